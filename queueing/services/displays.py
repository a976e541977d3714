"""Display devices: wall displays and counter screens register themselves on
their first heartbeat; the hall's staff see which have gone quiet."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from config.api import InvalidInput
from halls.devices import DeviceSeen, device_source
from halls.models import Counter, Outlet

from ..models import DisplayDevice, DisplayKind


def display_heartbeat(*, outlet: Outlet, device_id: str, kind: str, counter_number: int | None = None,
                      name: str = "", user_agent: str = "", now: datetime | None = None) -> DisplayDevice:
    """Record that a display of `outlet` is alive; the first heartbeat registers it.

    A device is known by (outlet, device_id). `name` is kept when a heartbeat
    sends none, so a name given in the admin survives. Raises InvalidInput
    for an unknown kind, or a counter the hall does not have (a counter
    screen names one, a lobby display none)."""
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
    defaults = {"kind": kind, "counter": counter, "last_seen_at": now, "user_agent": user_agent[:300]}
    if name:
        defaults["name"] = name
    with transaction.atomic():
        # update_or_create locks the row, and retries as an update when another
        # first heartbeat of the same device wins the unique constraint.
        device, _ = DisplayDevice.objects.update_or_create(outlet=outlet, device_id=device_id, defaults=defaults)
    return device


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
