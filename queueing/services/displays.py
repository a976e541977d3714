"""Display devices: wall displays and counter screens register themselves on
their first heartbeat, and show the token it gave them on every later one;
the hall's staff see which have gone quiet."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from config.api import InvalidInput
from halls.devices import DeviceSeen, device_source
from halls.models import Counter, Outlet

from ..errors import DisplayTokenInvalid
from ..models import DisplayDevice, DisplayKind


def display_heartbeat(*, outlet: Outlet, device_id: str, kind: str, counter_number: int | None = None,
                      name: str = "", user_agent: str = "", device_token: str = "",
                      now: datetime | None = None) -> tuple[DisplayDevice, str]:
    """Record that a display of `outlet` is alive; the first heartbeat registers
    it. Returns (device, token): the token is given once, to a device being
    registered (or one registered before tokens), and "" afterwards; every
    later heartbeat must show it, so nobody else can speak for the device.

    A device is known by (outlet, device_id). `name` is kept when a heartbeat
    sends none, so a name given in the admin survives. Raises InvalidInput
    for an unknown kind, or a counter the hall does not have (a counter
    screen names one, a lobby display none); DisplayTokenInvalid (403) for a
    known device without its token."""
    now = now or timezone.now()
    if kind not in DisplayKind.values:
        raise InvalidInput(fields={"kind": [f"Choose one of {', '.join(DisplayKind.values)}."]})
    counter = None
    if kind == DisplayKind.COUNTER:
        if counter_number is None:
            raise InvalidInput(fields={"counter": ["A counter screen names its counter."]})
        counter = Counter.objects.filter(outlet=outlet, number=counter_number).first()
        if counter is None:
            raise InvalidInput(fields={"counter": [f"This hall has no counter {counter_number}."]})
    elif counter_number is not None:
        raise InvalidInput(fields={"counter": ["A lobby display has no counter."]})
    fields = {"kind": kind, "counter": counter, "last_seen_at": now, "user_agent": user_agent[:300]}
    if name:
        fields["name"] = name
    issued = ""
    try:
        with transaction.atomic():
            device = (
                DisplayDevice.objects.select_for_update().filter(outlet=outlet, device_id=device_id).order_by().first()
            )
            if device is None:
                issued = secrets.token_urlsafe(32)
                device = DisplayDevice.objects.create(
                    outlet=outlet, device_id=device_id, token_hash=_digest(issued), **fields
                )
                return device, issued
            if not device.token_hash:
                issued = secrets.token_urlsafe(32)
                device.token_hash = _digest(issued)
            elif not (
                isinstance(device_token, str) and device_token
                and hmac.compare_digest(device.token_hash, _digest(device_token))
            ):
                raise DisplayTokenInvalid()
            for field, value in fields.items():
                setattr(device, field, value)
            device.save()
    except IntegrityError:
        # Another first heartbeat of the same device id won: that device's
        # token is not ours (the page registers again under a new id).
        raise DisplayTokenInvalid() from None
    return device, issued


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def display_offline_after() -> timedelta:
    return timedelta(seconds=settings.DISPLAY_OFFLINE_AFTER_SECONDS)


def display_is_online(device: DisplayDevice, *, now: datetime | None = None) -> bool:
    """Whether the device sent a heartbeat within DISPLAY_OFFLINE_AFTER_SECONDS."""
    if device.last_seen_at is None:
        return False
    return device.last_seen_at >= (now or timezone.now()) - display_offline_after()


def display_list(*, outlet: Outlet) -> QuerySet[DisplayDevice]:
    """The hall's display devices, lobby displays first, then by counter."""
    return DisplayDevice.objects.filter(outlet=outlet).select_related("counter").order_by(
        "-kind", "counter__number", "registered_at", "id"
    )


@device_source
def displays_seen(outlet_ids, now) -> list[DeviceSeen]:
    """The halls' wall displays and counter screens, for the manager's floor."""
    limit = now - display_offline_after()
    return [
        DeviceSeen(outlet_id=d.outlet_id, key=f"display:{d.pk}", kind=d.kind, name=str(d),
                   last_seen_at=d.last_seen_at, quiet=d.last_seen_at is None or d.last_seen_at < limit)
        for d in DisplayDevice.objects.filter(outlet_id__in=outlet_ids).select_related("counter")
    ]
