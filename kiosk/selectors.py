"""Reads of the project's self-service tables shared by the API, the pages and
the admin. (The customer's account is read through the carrier gateway, kiosk.carrier.gateway.)"""

from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from sms.models import SmsMessage

from .models import CustomerSession, KioskDevice, Order, SelfServiceAction, token_digest


def kiosk_for_token(token: str) -> KioskDevice | None:
    """The active kiosk of an active outlet with this device token."""
    return (
        KioskDevice.objects.select_related("outlet")
        .filter(token_hash=token_digest(token), is_active=True, outlet__is_active=True)
        .first()
    )


def customer_session_for_token(token: str, *, now: datetime | None = None) -> CustomerSession | None:
    """The live session of this token: not ended, not expired."""
    now = now or timezone.now()
    return (
        CustomerSession.objects.select_related("kiosk")
        .filter(token_hash=token_digest(token), ended_at__isnull=True, expires_at__gt=now)
        .first()
    )


def order_by_no(order_no: str) -> Order | None:
    return Order.objects.filter(order_no=order_no).first()


def sms_outbox(*, phone: str = "", limit: int = 50) -> QuerySet[SmsMessage]:
    """Texts, newest first (for the development outbox)."""
    messages = SmsMessage.objects.order_by("-created_at", "-id")
    if phone:
        messages = messages.filter(to=phone)
    return messages[:limit]


def self_service_by_action(outlet_ids, start: datetime, end: datetime, *, using: str = "default") -> list[dict]:
    """Self-service on the kiosks of these outlets in [start, end), by
    action, most used first: `{action, total, ok, refused, failed}` (what
    the reports show for a hall, a district or the city), read from the
    database `using` (the reports may read a replica)."""
    rows = (
        SelfServiceAction.objects.using(using).filter(kiosk__outlet_id__in=outlet_ids, at__gte=start, at__lt=end)
        .values("action")
        .annotate(total=Count("id"), ok=Count("id", filter=Q(result="ok")),
                  refused=Count("id", filter=Q(result="refused")), failed=Count("id", filter=Q(result="failed")))
        .order_by("-total")
    )
    return [dict(row) for row in rows]
