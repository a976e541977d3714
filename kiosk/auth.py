"""DRF authentication for kiosks and customers.

- `Authorization: Kiosk <device token>`: a registered self-service terminal.
  `request.auth` is the KioskDevice; `request.user` stays anonymous.
- `Authorization: Customer <token>`: a customer who proved their phone with a
  one-time code. `request.auth` is the CustomerSession.
"""

from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from .models import CustomerSession, KioskDevice
from .selectors import customer_session_for_token, kiosk_for_token

# last_seen_at is written at most this often per kiosk, not on every request.
SEEN_EVERY = timedelta(seconds=60)


def _credential(request, keyword: bytes) -> str | None:
    """The token after `keyword` in the Authorization header; None for another scheme."""
    parts = get_authorization_header(request).split()
    if not parts or parts[0].lower() != keyword.lower():
        return None
    if len(parts) != 2:
        raise AuthenticationFailed("Authorization: %s <token>" % keyword.decode())
    try:
        token = parts[1].decode("ascii")
    except UnicodeError:
        raise AuthenticationFailed("The token is not valid.") from None
    if not token.isprintable() or len(token) > 200:
        raise AuthenticationFailed("The token is not valid.")
    return token


class KioskAuthentication(BaseAuthentication):
    keyword = b"Kiosk"

    def authenticate(self, request):
        token = _credential(request, self.keyword)
        if token is None:
            return None
        device = kiosk_for_token(token)
        if device is None:
            raise AuthenticationFailed("未登记或已停用的终端 / Unknown or disabled kiosk.")
        now = timezone.now()
        if device.last_seen_at is None or now - device.last_seen_at > SEEN_EVERY:
            KioskDevice.objects.filter(pk=device.pk).update(last_seen_at=now)
            device.last_seen_at = now
        return AnonymousUser(), device

    def authenticate_header(self, request):
        return 'Kiosk realm="api"'


class CustomerAuthentication(BaseAuthentication):
    keyword = b"Customer"

    def authenticate(self, request):
        token = _credential(request, self.keyword)
        if token is None:
            return None
        session = customer_session_for_token(token)
        if session is None:
            raise AuthenticationFailed("登录已过期，请重新验证手机号 / The session has expired; verify your phone again.")
        return AnonymousUser(), session

    def authenticate_header(self, request):
        return 'Customer realm="api"'


def request_kiosk(request) -> KioskDevice | None:
    """The kiosk that signed this request, if one did."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, KioskDevice) else None


def request_customer(request) -> CustomerSession | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, CustomerSession) else None
