"""A warning's levels, and the hall's wait levels as its last evaluation
left them.

The contract's rule (a new ticket's estimated wait against the service's
target) is checked on every change of a hall's line: the queue's refresher
has just played the line, so the check is arithmetic on its estimates
against the levels the last evaluation kept in the shared cache, with no
read of the database. Only a change that moves a level (or a hall whose
live floor page is open, or one whose levels are not kept) has a worker
evaluate the hall; everything else waits for the minute's evaluation.
"""

from django.core.cache import cache

from .models import LEVEL_RANK, WarningLevel

END_FACTOR = 0.8
# Kept for three of the minute task's runs: when it stops, every change is evaluated again.
KEPT_SECONDS = 180


def level_for(figure: float, thresholds: dict, current: str | None) -> str | None:
    """The level a figure puts a warning at, given the level it is at: the
    highest level whose threshold it passes, or the current level (or one
    below it) as long as the figure stays at or above 0.8 x that level's
    threshold."""
    levels = sorted(thresholds, key=LEVEL_RANK.get)
    entered = [level for level in levels if figure > thresholds[level]]
    kept = [level for level in levels if current is not None and LEVEL_RANK[level] <= LEVEL_RANK[current]
            and figure >= END_FACTOR * thresholds[level]]
    candidates = entered + kept
    return max(candidates, key=LEVEL_RANK.get) if candidates else None


def wait_thresholds(target_seconds: float) -> dict:
    """The contract's thresholds of a new ticket's estimated wait."""
    target = float(target_seconds)
    return {WarningLevel.NOTICE: 0.75 * target, WarningLevel.WARNING: target, WarningLevel.CRITICAL: 2 * target}


def levels_key(outlet_id: int) -> str:
    return f"planning:wait-levels:{outlet_id}"


def wait_levels_keep(levels: dict[int, dict[int, tuple[float, str | None]]]) -> None:
    """Keep each hall's wait levels as evaluated: {hall id: {service id:
    (target seconds, level or None)}}."""
    if not levels:
        return
    try:
        cache.set_many({levels_key(pk): kept for pk, kept in levels.items()}, KEPT_SECONDS)
    except Exception:  # noqa: BLE001 - without them every change is evaluated, as when they expire
        pass


def wait_level_moves(kept: dict | None, estimates: dict) -> bool:
    """Whether the line's estimates (service id -> Estimate of a ticket taken
    now) put any service's wait warning at another level than `kept` (unknown
    levels count as moved)."""
    if kept is None:
        return True
    for service_id, (target, level) in kept.items():
        estimate = estimates.get(service_id)
        figure = float(estimate.seconds) if estimate is not None else 0.0
        if level_for(figure, wait_thresholds(target), level) != level:
            return True
    return False
