"""Peak-flow warnings (客流高峰预警): evaluating a hall's floor against its
targets, keeping each warning's life (started, raised, lowered,
acknowledged, ended), and telling the people who act on it.

The rule (CONTRACT.md): a service's warning is `notice` when a new ticket's
estimated wait passes 0.75 x its target wait, `warning` past the target,
`critical` past twice the target; a level ends only when the figure falls
below 0.8 x its threshold, so a figure hovering at a threshold does not
flap. The same rule, with thresholds of their own, for the longest wait, the
arrivals of the last 15 minutes against the capacity of the counters open
for the service, a counter paused longer than the hall allows, and a
display or kiosk that went quiet while the hall is open.

Every change of a hall's line is checked against the wait levels its last
evaluation kept (levels.py); a change that moves one has the hall evaluated
(throttled per hall: PLANNING_EVALUATE_EVERY_SECONDS, see signals.py), and
Celery beat evaluates every hall every minute (warnings_evaluate_all). A new or raised warning a customer would
notice puts a line on the hall's wall displays; a critical one texts the
hall's managers, once per warning and level; every evaluation goes to the
manager's live floor.
"""

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone

from halls.models import CounterState, Outlet, StaffMembership, StaffRole
from queueing import services as queue_services
from queueing.models import HallNotice
from sms.services import sms_queue

from .. import events
from ..floor import HallFloor, hall_floor, halls_floors
from ..levels import level_for, wait_levels_keep, wait_thresholds
from ..models import (
    LEVEL_RANK,
    PeakWarning,
    Suggestion,
    WarningChange,
    WarningChangeKind,
    WarningKind,
    WarningLevel,
)
from .suggestions import NearbyHalls, possible_suggestions, suggestions_diff

logger = logging.getLogger(__name__)

# Arrivals against capacity, as a ratio.
ARRIVAL_THRESHOLDS = {WarningLevel.NOTICE: 0.85, WarningLevel.WARNING: 1.0, WarningLevel.CRITICAL: 1.5}
# Fewer arrivals than this in 15 minutes say nothing about capacity.
ARRIVALS_MIN = 5
# What customers see: these kinds put a line on the wall displays.
# (A predicted shortage is the staff's to act on: customers see nothing of it.)
CUSTOMER_KINDS = {WarningKind.WAIT, WarningKind.LONGEST_WAIT, WarningKind.ARRIVALS}
# Predicted: how far ahead the forecast and roster are compared, and the
# counters short (required - planned) that start each level.
PREDICT_MINUTES = 60
PREDICTED_THRESHOLDS = {WarningLevel.NOTICE: 0.5, WarningLevel.WARNING: 1.5, WarningLevel.CRITICAL: 2.5}
NOTICE_SOURCE = "warnings"


@dataclass(frozen=True)
class Reading:
    """One figure of the floor against its thresholds."""

    kind: str
    subject: str
    service_id: int | None
    figure: float
    thresholds: dict  # level -> threshold (entering above it)
    message: str


def _minutes(seconds: float) -> int:
    return max(0, math.ceil(seconds / 60))


def readings(floor: HallFloor) -> list[Reading]:
    """Every figure of the floor that can raise a warning now."""
    found = []
    for s in floor.services:
        target = float(s.target_wait_seconds)
        subject = f"service:{s.service_id}"
        found.append(Reading(
            WarningKind.WAIT, subject, s.service_id, float(s.estimated_wait_seconds), wait_thresholds(target),
            f"{s.name}新取号预计等候约{_minutes(s.estimated_wait_seconds)}分钟（目标{_minutes(target)}分钟）/ "
            f"{s.name_en}: a ticket taken now waits about {_minutes(s.estimated_wait_seconds)} min "
            f"(target {_minutes(target)} min)",
        ))
        found.append(Reading(
            WarningKind.LONGEST_WAIT, subject, s.service_id, float(s.longest_wait_seconds),
            {WarningLevel.WARNING: target, WarningLevel.CRITICAL: 2 * target},
            f"{s.name}最久的顾客已等候{_minutes(s.longest_wait_seconds)}分钟（目标{_minutes(target)}分钟）/ "
            f"{s.name_en}: the longest wait is {_minutes(s.longest_wait_seconds)} min (target {_minutes(target)} min)",
        ))
        if s.arrivals_15m >= ARRIVALS_MIN:
            ratio = s.arrivals_15m / s.capacity_15m if s.capacity_15m else float(s.arrivals_15m)
            found.append(Reading(
                WarningKind.ARRIVALS, subject, s.service_id, round(ratio, 3), ARRIVAL_THRESHOLDS,
                f"{s.name}近15分钟到达{s.arrivals_15m}人，开放窗口约可接待{s.capacity_15m:g}人 / "
                f"{s.name_en}: {s.arrivals_15m} arrivals in 15 min, open counters serve about {s.capacity_15m:g}",
            ))
    found += _predicted(floor)
    limit = floor.outlet.pause_limit_minutes * 60
    for c in floor.counters:
        if c.state == CounterState.PAUSED and c.state_since is not None and limit:
            paused = (floor.now - c.state_since).total_seconds()
            found.append(Reading(
                WarningKind.LONG_PAUSE, f"counter:{c.counter_id}", None, paused,
                {WarningLevel.WARNING: float(limit), WarningLevel.CRITICAL: 2.0 * limit},
                f"{c.label}已暂停{_minutes(paused)}分钟（上限{_minutes(limit)}分钟）/ "
                f"Counter {c.number} has been paused {_minutes(paused)} min (limit {_minutes(limit)} min)",
            ))
    if floor.is_open:
        for device in floor.devices:
            if device.quiet:
                seconds = (floor.now - device.last_seen_at).total_seconds() if device.last_seen_at else 1e9
                found.append(Reading(
                    WarningKind.DEVICE_SILENT, device.key, None, 1.0, {WarningLevel.WARNING: 0.5},
                    f"{device.name}已离线（{'从未上线' if device.last_seen_at is None else f'{_minutes(seconds)}分钟未响应'}）/ "
                    f"{device.name} has gone quiet",
                ))
    return found


def _predicted(floor: HallFloor) -> list[Reading]:
    """Counters short in the next PREDICT_MINUTES: per pool of services, the
    half hour where the requirement (by the current forecast) passes what is
    planned the most. Planned: the roster's people on duty then; for a hall
    without a roster that day, the counters open now."""
    if not floor.is_open or not floor.outlook:
        return []
    until = floor.now + timedelta(minutes=PREDICT_MINUTES)
    by_code = {s.code: s for s in floor.services}
    worst: dict[str, tuple] = {}
    for slot in floor.outlook:
        if not floor.now < slot.start <= until:
            continue
        ids = {by_code[c].service_id for c in slot.services if c in by_code}
        planned = slot.planned
        if planned is None:
            planned = sum(1 for c in floor.counters if c.state == CounterState.OPEN and ids & set(c.services))
        short = slot.required - planned
        if slot.pool not in worst or short > worst[slot.pool][0]:
            worst[slot.pool] = (short, slot, planned)
    found = []
    for pool, (short, slot, planned) in worst.items():
        service = by_code.get(pool)
        if service is None or short <= 0:
            continue
        minutes = _minutes((slot.start - floor.now).total_seconds())
        at = timezone.localtime(slot.start).strftime("%H:%M")
        whole = len(slot.services) == len(floor.services)
        label, label_en = ("全厅", "the hall") if whole else (service.name, service.name_en)
        found.append(Reading(
            WarningKind.PREDICTED, f"pool:{pool}", service.service_id, float(short), PREDICTED_THRESHOLDS,
            f"预计{minutes}分钟后（{at}）{label}需要{slot.required}个窗口，排班{planned}个 / "
            f"In {minutes} min ({at}) {label_en} needs {slot.required} counters, {planned} are planned",
        ))
    return found


def _change(warning, kind, now, actor=None) -> WarningChange:
    return WarningChange(warning=warning, kind=kind, level=warning.level, figure=warning.figure, at=now,
                         actor=actor if actor is not None and actor.is_authenticated else None)


def warnings_evaluate(*, outlet: Outlet, now: datetime | None = None, floor: HallFloor | None = None,
                      line: dict | None = None) -> list[PeakWarning]:
    """Evaluate the hall's floor now: start, raise, lower and end its
    warnings, and tell the live floor. Returns the warnings that started or
    rose. One evaluation of a hall at a time: another running for it makes
    this one a no-op."""
    now = now or timezone.now()
    floor = floor or hall_floor(outlet=outlet, now=now, line=line)
    return _evaluate({outlet.pk: floor}, now, always_tell=True)


def warnings_evaluate_all(*, now: datetime | None = None, batch: int = 250) -> int:
    """Evaluate every active hall with a queue (Celery beat, every minute):
    their floors read a batch at a time, and only the halls whose warnings
    change are written. Returns how many warnings started or rose."""
    now = now or timezone.now()
    outlets = list(Outlet.objects.filter(has_queue=True, is_active=True).order_by("pk"))
    risen = 0
    for first in range(0, len(outlets), batch):
        floors = halls_floors(outlets[first:first + batch], now=now)
        risen += len(_evaluate(floors, now, always_tell=False))
    return risen


def warnings_evaluate_halls(*, outlet_ids, now: datetime | None = None, batch: int = 250) -> int:
    """Evaluate these halls (their lines changed): their floors read together,
    and each hall's live floor told. Returns how many warnings started or rose."""
    now = now or timezone.now()
    outlets = list(Outlet.objects.filter(pk__in=outlet_ids, has_queue=True, is_active=True).order_by("pk"))
    risen = 0
    for first in range(0, len(outlets), batch):
        floors = halls_floors(outlets[first:first + batch], now=now)
        risen += len(_evaluate(floors, now, always_tell=True, floor_only=True))
    return risen


def _evaluate(floors: dict, now: datetime, *, always_tell: bool, floor_only: bool = False) -> list[PeakWarning]:
    """`always_tell`: every hall's live floor hears its floor, written or not;
    `floor_only`: a hall with nothing to write is only told, not gone through."""
    ids = list(floors)
    active = {}
    for warning in (PeakWarning.objects.filter(outlet_id__in=ids, ended_at__isnull=True)
                    .select_related("service", "acknowledged_by")
                    .prefetch_related(Prefetch("suggestions", to_attr="open_suggestions",
                                               queryset=Suggestion.objects.filter(applied_at__isnull=True,
                                                                                  withdrawn_at__isnull=True)))):
        active[(warning.outlet_id, warning.kind, warning.subject)] = warning
    notices = {n.outlet_id: n for n in HallNotice.objects.filter(outlet_id__in=ids)}
    nearby = NearbyHalls(floors)
    # The halls with a live floor page open: only they hear their floor (a
    # hall evaluated on request always does).
    watched = set(ids) if always_tell and not floor_only else events.halls_watched(ids)
    risen, told, levels = [], [], {}
    for pk, floor in floors.items():
        try:
            plan = _plan(floor, {k[1:]: w for k, w in active.items() if k[0] == pk}, now, nearby)
            if plan["writes"] or (always_tell and not floor_only):
                applied = _apply(floor, plan, notices.get(pk), now, nearby, told=pk in watched)
                if applied is None:  # another evaluation of the hall holds it; its levels are its own
                    continue
                risen += applied
            elif always_tell and pk in watched:
                # Nothing to write: a live floor open on the hall hears the new line alone.
                told.append((floor, plan["current"]))
            levels[pk] = plan["wait_levels"]
        except Exception:  # noqa: BLE001 - one hall's trouble must not stop the others
            logger.exception("Evaluating the warnings of hall %s failed", floor.outlet.code)
    # Kept after commit (the callers' transactions, if any): a change of the
    # line that moves none of them needs no evaluation (levels.py).
    transaction.on_commit(lambda: wait_levels_keep(levels), robust=True)
    events.send_floors(told)
    return risen


def _plan(floor: HallFloor, active: dict, now: datetime, nearby) -> dict:
    """What the floor asks of the hall's warnings, worked out without writing."""
    found = {(r.kind, r.subject): r for r in readings(floor)}
    plan = {"end": [], "raise": [], "lower": [], "refresh": [], "start": [], "suggest": [], "writes": False}
    after = {}
    for key, warning in active.items():
        reading = found.get(key)
        level = level_for(reading.figure, reading.thresholds, warning.level) if reading else None
        if level is None:
            plan["end"].append(warning)
            continue
        target = "raise" if LEVEL_RANK[level] > LEVEL_RANK[warning.level] else (
            "lower" if LEVEL_RANK[level] < LEVEL_RANK[warning.level] else "refresh")
        if target != "refresh" or reading.message != warning.message:
            plan[target].append((warning, level, reading))
        after[key] = (warning, level, reading)
    for key, reading in found.items():
        if key not in active:
            level = level_for(reading.figure, reading.thresholds, None)
            if level is not None:
                plan["start"].append((reading, level))
    for key, (warning, level, reading) in after.items():
        possible = possible_suggestions(reading.kind, reading.subject, reading.service_id, level, floor, nearby)
        add, withdraw, retext = suggestions_diff(getattr(warning, "open_suggestions", []), possible)
        if add or withdraw or retext:
            plan["suggest"].append((warning, add, withdraw, retext))
    for warning in plan["end"]:
        if getattr(warning, "open_suggestions", []):
            plan["suggest"].append((warning, [], list(warning.open_suggestions), []))
    plan["writes"] = any(plan[k] for k in ("end", "raise", "lower", "refresh", "start", "suggest"))
    plan["current"] = [w for w, _, _ in after.values()]
    waits = {reading.service_id: level for _, level, reading in after.values() if reading.kind == WarningKind.WAIT}
    waits.update({reading.service_id: level for reading, level in plan["start"] if reading.kind == WarningKind.WAIT})
    plan["wait_levels"] = {s.service_id: (float(s.target_wait_seconds), waits.get(s.service_id))
                           for s in floor.services}
    return plan


def _apply(floor: HallFloor, plan: dict, notice, now: datetime, nearby, *, told: bool = True
           ) -> list[PeakWarning] | None:
    """Write the plan; the warnings that started or rose (None: another
    evaluation of the hall is writing, and this one wrote nothing)."""
    outlet = floor.outlet
    risen, changes = [], []
    with transaction.atomic():
        # The hall's row orders its evaluations (no-key: taking tickets, which
        # only reference the hall, is never blocked by it).
        if not Outlet.objects.select_for_update(no_key=True, skip_locked=True).filter(pk=outlet.pk).exists():
            return None
        for warning in plan["end"]:
            warning.ended_at = now
            changes.append(_change(warning, WarningChangeKind.ENDED, now))
        PeakWarning.objects.bulk_update(plan["end"], ["ended_at"])
        updated = []
        for target in ("raise", "lower", "refresh"):
            for warning, level, reading in plan[target]:
                warning.level, warning.figure, warning.message = level, reading.figure, reading.message
                warning.threshold = reading.thresholds[level]
                if target == "raise":
                    warning.raised_at = now
                    if LEVEL_RANK[level] > LEVEL_RANK[warning.peak_level]:
                        warning.peak_level = level
                    changes.append(_change(warning, WarningChangeKind.RAISED, now))
                    risen.append(warning)
                elif target == "lower":
                    changes.append(_change(warning, WarningChangeKind.LOWERED, now))
                updated.append(warning)
        PeakWarning.objects.bulk_update(updated, ["level", "figure", "message", "threshold", "raised_at", "peak_level"])
        started = _start(outlet, plan["start"], now)
        for warning in started:
            changes.append(_change(warning, WarningChangeKind.STARTED, now))
            risen.append(warning)
        WarningChange.objects.bulk_create(changes)
        new_suggestions, withdrawn, retexted = [], [], []
        for warning, add, withdraw, retext in plan["suggest"]:
            new_suggestions += [Suggestion(warning=warning, kind=p["kind"], params=p["params"], text=p["text"],
                                           created_at=now) for p in add]
            withdrawn += withdraw
            retexted += retext
        for warning in started:
            reading_level = warning.level
            new_suggestions += [
                Suggestion(warning=warning, kind=p["kind"], params=p["params"], text=p["text"], created_at=now)
                for p in possible_suggestions(warning.kind, warning.subject, warning.service_id, reading_level,
                                              floor, nearby)
            ]
        Suggestion.objects.bulk_create(new_suggestions)
        if withdrawn:
            Suggestion.objects.filter(pk__in=[s.pk for s in withdrawn]).update(withdrawn_at=now)
        if retexted:
            Suggestion.objects.bulk_update(retexted, ["text"])
        current = plan["current"] + started
        _tell(outlet, floor, risen, current, notice, now, told=told)
    return risen


def _start(outlet, starts, now) -> list[PeakWarning]:
    """The warnings that start, written together (one at a time if one of
    them was started meanwhile by an evaluation that ran without the hall's
    lock: that one is left out)."""
    fresh = [PeakWarning(outlet=outlet, kind=reading.kind, service_id=reading.service_id, subject=reading.subject,
                         level=level, peak_level=level, figure=reading.figure, threshold=reading.thresholds[level],
                         message=reading.message, started_at=now) for reading, level in starts]
    if not fresh:
        return []
    try:
        with transaction.atomic():
            return PeakWarning.objects.bulk_create(fresh)
    except IntegrityError:
        pass
    started = []
    for warning in fresh:
        warning.pk = None
        try:
            with transaction.atomic():
                warning.save(force_insert=True)
        except IntegrityError:
            continue
        started.append(warning)
    return started


def _customer_line(warning: PeakWarning, floor: HallFloor) -> str:
    service = floor.service(warning.service_id) if warning.service_id else None
    if service is None:
        return "当前办理人数较多，敬请耐心等候 / It is busy now; thank you for your patience"
    if service.code in settings.PLANNING_KIOSK_SERVICES:
        return f"{service.name}可在自助终端办理，无需排队 / {service.name_en}: use the self-service kiosks, no queue"
    return f"{service.name}业务当前等候较长，敬请谅解 / {service.name_en}: longer waits than usual now"


def _tell(outlet, floor, risen, current, notice, now, *, told: bool = True) -> None:
    """The displays' line, the managers' texts and (`told`: a live floor page
    is open) the live floor, after commit."""
    facing = [w for w in current if w.kind in CUSTOMER_KINDS]
    ours = notice is None or notice.source == NOTICE_SOURCE
    if facing and ours:
        top = max(facing, key=lambda w: (LEVEL_RANK[w.level], w.figure))
        line = _customer_line(top, floor)
        if notice is None or notice.message != line or notice.level != top.level or any(
                w.kind in CUSTOMER_KINDS for w in risen):
            queue_services.hall_notice_set(outlet=outlet, level=top.level, message=line, source=NOTICE_SOURCE, now=now)
    elif not facing and notice is not None and notice.source == NOTICE_SOURCE:
        queue_services.hall_notice_clear(outlet=outlet, source=NOTICE_SOURCE)
    managers = None
    for warning in risen:
        if warning.level != WarningLevel.CRITICAL:
            continue
        if managers is None:
            managers = list(StaffMembership.objects.filter(outlet=outlet, role=StaffRole.MANAGER)
                            .exclude(phone="").values_list("phone", flat=True).distinct())
        for phone in managers:
            sms_queue(to=phone, text=f"【客流预警】{outlet.name}：{warning.message.split(' / ')[0]}",
                      purpose="peak_warning", dedupe_key=f"warning-{warning.pk}-{warning.level}-{phone}")
    if told:
        events.broadcast_floor_on_commit(outlet.code, floor, current)


def warning_acknowledge(*, warning_id: int, actor, now: datetime | None = None) -> PeakWarning:
    """The manager has seen the warning (once; acknowledging again changes nothing)."""
    now = now or timezone.now()
    with transaction.atomic():
        warning = PeakWarning.objects.select_for_update().get(pk=warning_id)
        if warning.acknowledged_at is None:
            warning.acknowledged_at, warning.acknowledged_by = now, actor
            warning.save(update_fields=["acknowledged_at", "acknowledged_by"])
            _change(warning, WarningChangeKind.ACKNOWLEDGED, now, actor).save()
    return warning
