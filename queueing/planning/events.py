"""The manager's live floor: its group, and what goes out on it (after
commit, through the queue's channel-layer sends)."""

import logging

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from queueing.events import send_to_group, send_to_groups

from .floor import HallFloor, floor_payload

logger = logging.getLogger(__name__)

# A floor page pings every 20 s; a hall is watched while one has pinged lately.
WATCH_SECONDS = 75


def hall_floor_group(outlet_code: str) -> str:
    """Staff following a hall's floor (/ws/halls/{code}/floor/)."""
    return f"hall-{outlet_code}.floor"


def watch_key(outlet_id: int) -> str:
    return f"planning:floor:watched:{outlet_id}"


def floor_watched(outlet_id: int) -> None:
    """A live floor page of the hall is open (on connect and every ping)."""
    try:
        cache.set(watch_key(outlet_id), 1, timeout=WATCH_SECONDS)
    except Exception:  # noqa: BLE001 - the shared cache is down: every hall counts as watched
        logger.debug("Hall %s: floor watch not recorded, the shared cache is unavailable", outlet_id)


def halls_watched(outlet_ids) -> set[int]:
    """Which of these halls have a live floor page open (every one of them
    when the shared cache cannot say): the others need no floor updates, a
    page that opens gets the floor as it is then."""
    outlet_ids = list(outlet_ids)
    try:
        found = cache.get_many([watch_key(pk) for pk in outlet_ids])
    except Exception:  # noqa: BLE001
        return set(outlet_ids)
    return {pk for pk in outlet_ids if watch_key(pk) in found}


def warning_payload(warning, suggestions=None) -> dict:
    """A warning as the contract shows it (GET /api/v1/halls/{code}/warnings/)."""
    def at(value):
        return timezone.localtime(value).isoformat() if value else None

    if suggestions is None:
        suggestions = [s for s in warning.suggestions.all() if s.is_open]
    return {
        "id": warning.pk,
        "level": warning.level,
        "kind": warning.kind,
        "service": warning.service.code if warning.service_id else None,
        "subject": warning.subject,
        "started_at": at(warning.started_at),
        "raised_at": at(warning.raised_at),
        "ended_at": at(warning.ended_at),
        "acknowledged_at": at(warning.acknowledged_at),
        "acknowledged_by": (warning.acknowledged_by.get_full_name() or warning.acknowledged_by.get_username())
        if warning.acknowledged_by_id else None,
        "message": warning.message,
        "figure": warning.figure,
        "threshold": warning.threshold,
        "suggestions": [{"id": s.pk, "kind": s.kind, "text": s.text} for s in suggestions],
    }


def floor_message(floor: HallFloor, warnings) -> dict:
    return {"type": "floor", **floor_payload(floor), "warnings": [warning_payload(w) for w in warnings]}


def send_floors(floors: list[tuple[HallFloor, list]]) -> None:
    """Send each hall's floor with its warnings as loaded (their open
    suggestions in `open_suggestions`), now, in one go: the halls whose
    evaluation wrote nothing."""
    send_to_groups([
        (hall_floor_group(floor.outlet.code),
         {"type": "floor", **floor_payload(floor),
          "warnings": [warning_payload(w, getattr(w, "open_suggestions", None)) for w in warnings]})
        for floor, warnings in floors
    ])


def broadcast_floor_on_commit(outlet_code: str, floor: HallFloor, warnings) -> None:
    """After commit, send the floor as it was evaluated to the hall's live
    floor pages (its warnings read then, with their suggestions)."""
    payload = floor_payload(floor)
    ids = [w.pk for w in warnings]

    def send():
        from .models import PeakWarning

        current = (PeakWarning.objects.filter(pk__in=ids, ended_at__isnull=True)
                   .select_related("service", "acknowledged_by").prefetch_related("suggestions"))
        send_to_group(hall_floor_group(outlet_code),
                      {"type": "floor", **payload, "warnings": [warning_payload(w) for w in current]})

    transaction.on_commit(send, robust=True)
