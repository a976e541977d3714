"""Value-added services and transparent consumption (透明消费).

The "0000" list shows every service a customer pays for, each can be
cancelled at once, and a new subscription exists only after the customer
confirms it a second time (二次确认) within five minutes.
"""

import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..carrier.errors import UnknownVas, VasAlreadySubscribed
from ..carrier.gateway import VasInfo, get_carrier
from ..errors import ConfirmationExpired, ConfirmationNotFound
from ..models import VasConfirmation
from .actions import Origin, action_log

CONFIRM_WITHIN = timedelta(minutes=5)


def vas_catalogue() -> list[VasInfo]:
    return get_carrier().vas_catalogue()


def vas_list(*, phone: str, origin: Origin) -> list[VasInfo]:
    """The "0000" list: every value-added service of the customer, with its fee."""
    with action_log(origin, "vas_list", phone=phone):
        return get_carrier().vas_list(phone)


def vas_cancel(*, phone: str, code: str, origin: Origin, now: datetime | None = None) -> None:
    """Cancel at once. Raises VasNotSubscribed."""
    now = now or timezone.now()
    with action_log(origin, "vas_cancel", phone=phone, detail={"code": str(code)[:20]}):
        get_carrier().vas_cancel(phone, code, at=now)


def vas_request(*, phone: str, code: str, origin: Origin, now: datetime | None = None) -> VasConfirmation:
    """Ask for a new service: records what must be confirmed, and subscribes
    nothing. Raises UnknownVas, VasAlreadySubscribed, SubscriberNotFound."""
    now = now or timezone.now()
    with action_log(origin, "vas_request", phone=phone, detail={"code": str(code)[:20]}) as entry:
        carrier = get_carrier()
        if code not in {v.code for v in carrier.vas_catalogue()}:
            raise UnknownVas()
        if code in {v.code for v in carrier.vas_list(phone)}:
            raise VasAlreadySubscribed()
        with transaction.atomic():
            confirmation = VasConfirmation.objects.create(
                msisdn=phone, vas_code=code, channel=origin.channel, kiosk_id=origin.kiosk_id,
                created_at=now, expires_at=now + CONFIRM_WITHIN,
            )
        entry.detail["confirmation_id"] = str(confirmation.pk)
    return confirmation


def vas_confirm(*, phone: str, confirmation_id, origin: Origin, now: datetime | None = None) -> tuple[VasInfo, bool]:
    """The second confirmation: subscribes, once. Returns (service, created);
    confirming again returns the same subscription with created False.

    Raises ConfirmationNotFound (unknown, or another customer's),
    ConfirmationExpired (410: too late, nothing subscribed), VasAlreadySubscribed."""
    now = now or timezone.now()
    try:
        confirmation_id = uuid.UUID(str(confirmation_id))
    except ValueError:
        raise ConfirmationNotFound() from None
    with action_log(origin, "vas_confirm", phone=phone, detail={"confirmation_id": str(confirmation_id)}) as entry:
        with transaction.atomic():
            # Locked: two confirmations of one request subscribe once.
            confirmation = (
                VasConfirmation.objects.select_for_update().filter(pk=confirmation_id, msisdn=phone).first()
            )
            if confirmation is None:
                raise ConfirmationNotFound()
            entry.detail["code"] = confirmation.vas_code
            carrier = get_carrier()
            if confirmation.confirmed_at is not None:
                current = next((v for v in carrier.vas_list(phone) if v.code == confirmation.vas_code), None)
                if current is not None:
                    return current, False
                raise ConfirmationExpired("该确认已使用 / This confirmation was already used.")
            if confirmation.expires_at <= now:
                raise ConfirmationExpired()
            service = carrier.vas_subscribe(phone, confirmation.vas_code, at=now)
            confirmation.confirmed_at = now
            confirmation.save(update_fields=["confirmed_at"])
    return service, True
