"""Staff API tokens, remembered briefly by each process.

Every call of a counter console and every ticket a staff member issues
carries a token; looking it up (with its user) was a tenth of the cost of
issuing a ticket. Each process remembers a valid token's user for
AUTH_TOKEN_MEMO_SECONDS. Signing out (the token deleted) or a user changed
(deactivated, say) is forgotten at once by the process that made the change,
and by the others within those seconds.
"""

import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from config.cache import process_forget, process_memo


def _memo_key(token_key: str) -> str:
    return "auth-token:" + hashlib.sha256(token_key.encode()).hexdigest()


class MemoTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        # An unknown or inactive user's token raises AuthenticationFailed:
        # refusals are never remembered.
        parent = super().authenticate_credentials
        return process_memo(_memo_key(key), lambda: parent(key), settings.AUTH_TOKEN_MEMO_SECONDS)


class HallDevice:
    """A device of one hall that signs its own requests (a kiosk): what an
    authentication class puts in `request.auth`. Other apps ask what it may
    do through this interface, without knowing the app that owns the device.

    `outlet_id` is its hall; `ticket_channel` the channel of the tickets it
    takes for customers."""

    outlet_id: int
    ticket_channel: str = ""


def request_device(request) -> HallDevice | None:
    """The hall device that signed this request, if one did."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, HallDevice) else None


class VerifiedCustomer:
    """A customer who proved their phone with a one-time code: what the
    customer authentication (settings.CUSTOMER_AUTHENTICATION) puts in
    `request.auth`. `phone` is the number they proved."""

    phone: str


def request_customer_phone(request) -> str | None:
    """The phone of the signed-in customer of this request, if one signed in."""
    auth = getattr(request, "auth", None)
    return auth.phone if isinstance(auth, VerifiedCustomer) else None


@receiver(post_delete, sender=Token, dispatch_uid="auth-token-deleted")
def _token_deleted(sender, instance, **kwargs):
    process_forget(_memo_key(instance.key))


@receiver(post_save, sender=get_user_model(), dispatch_uid="auth-token-user-changed")
def _user_changed(sender, instance, created, **kwargs):
    if not created:
        process_forget(*(_memo_key(key) for key in Token.objects.filter(user=instance).values_list("key", flat=True)))
