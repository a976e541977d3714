"""The devices of a hall that report themselves (wall displays and counter
screens by heartbeat, kiosks by their requests), from whichever app owns
them: each app registers a source here, and the manager's floor and the
warnings read them all without knowing those apps."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DeviceSeen:
    outlet_id: int
    key: str  # unique within the hall: "display:5", "kiosk:2"
    kind: str  # "lobby", "counter", "kiosk"
    name: str
    last_seen_at: datetime | None
    quiet: bool  # not heard from for longer than its kind allows


_sources: list[Callable[[Iterable[int], datetime], list[DeviceSeen]]] = []


def device_source(source):
    """Register `source(outlet_ids, now) -> [DeviceSeen]` (an app's ready())."""
    if source not in _sources:
        _sources.append(source)
    return source


def hall_devices(outlet_ids: Iterable[int], now: datetime) -> list[DeviceSeen]:
    """Every registered device of these halls."""
    outlet_ids = list(outlet_ids)
    return [device for source in _sources for device in source(outlet_ids, now)]
