"""A hall's floor as its manager sees it, read now: per service the line,
the estimated and longest wait against the target, the arrivals of the last
15 minutes against the capacity of the counters open for it; every counter
with its state, agent, ticket and time in that state; the devices that went
quiet. The peak-flow warnings are evaluated from it (services/warnings.py)
and the manager's live floor shows it (views.py, consumers.py)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

from halls.devices import DeviceSeen, hall_devices
from halls.models import Counter, CounterService, CounterState, HallService, Outlet, StaffMembership
from halls.selectors import outlet_is_open
from queueing.days import halls_with_hours, live_days
from queueing.models import ACTIVE_AT_COUNTER, Ticket, TicketStatus
from queueing.selectors import halls_handle_stats, halls_lines

from .staffing import outlooks_kept

ARRIVALS_WINDOW = timedelta(minutes=15)


@dataclass
class ServiceFloor:
    service_id: int
    code: str
    name: str
    name_en: str
    target_wait_seconds: int
    waiting: int = 0
    estimated_wait_seconds: int = 0
    estimated_wait_range: tuple[int, int] = (0, 0)
    longest_wait_seconds: int = 0
    arrivals_15m: int = 0
    capacity_15m: float = 0.0  # tickets the counters open for it can serve in 15 minutes
    open_counters: int = 0


@dataclass
class CounterFloor:
    counter_id: int
    number: int
    label: str
    state: str
    pause_reason: str
    state_since: datetime | None
    agent_id: int | None
    agent: str
    services: list[int]
    current: dict | None = None  # {"number", "status", "service_id", "since"}
    profile: str = "fifo"  # the work profile it calls by (its agent's, else its own)


@dataclass
class HallFloor:
    outlet: Outlet
    now: datetime
    is_open: bool
    services: list[ServiceFloor] = field(default_factory=list)
    counters: list[CounterFloor] = field(default_factory=list)
    devices: list[DeviceSeen] = field(default_factory=list)
    skills: dict[int, set[int]] = field(default_factory=dict)  # agent id -> services they may serve
    handle_means: dict[int, float] = field(default_factory=dict)
    # The rest of the day by forecast and roster (staffing.hall_outlook), as the last re-forecast kept it.
    outlook: list = field(default_factory=list)

    def service(self, service_id: int) -> ServiceFloor | None:
        return next((s for s in self.services if s.service_id == service_id), None)


def hall_floor(*, outlet: Outlet, now: datetime | None = None, line: dict | None = None) -> HallFloor:
    """The hall's floor now (`line`: the hall's line as the refresher just
    played it, queueing.selectors.hall_line)."""
    return halls_floors([outlet], now=now, lines={outlet.pk: line} if line else None)[outlet.pk]


def halls_floors(outlets, *, now: datetime | None = None, lines: dict | None = None) -> dict[int, HallFloor]:
    """The floors of many halls now, in a fixed number of queries whatever
    their number (the minute's evaluation reads the whole city at once)."""
    now = now or timezone.now()
    outlets = list(outlets)
    ids = [o.pk for o in outlets]
    hours = halls_with_hours(ids, around=timezone.localdate(now))
    given = lines or {}
    missing = [pk for pk in ids if pk not in given]
    lines = {**given, **(halls_lines(missing, now, halls=hours) if missing else {})}
    days = {pk: line.get("day") for pk, line in lines.items()}
    if any(day is None for day in days.values()):
        days.update(live_days([pk for pk, day in days.items() if day is None], now, halls=hours))
    handles = {pk: line["handle"] for pk, line in lines.items() if "handle" in line}
    without = [pk for pk in ids if pk not in handles]
    if without:
        handles.update(halls_handle_stats(without, timezone.localtime(now)))

    offers = defaultdict(list)
    for hs in (HallService.objects.filter(outlet_id__in=ids, is_active=True).select_related("service")
               .order_by("sort_order", "service__sort_order")):
        offers[hs.outlet_id].append(hs)
    counters = defaultdict(list)
    for c in (Counter.objects.filter(outlet_id__in=ids).order_by("number").values(
            "id", "outlet_id", "number", "name", "state", "profile", "pause_reason", "state_changed_at",
            "signed_in_user_id",
            "signed_in_user__username", "signed_in_user__first_name", "signed_in_user__last_name")):
        counters[c["outlet_id"]].append(c)
    served = defaultdict(list)
    for counter_id, service_id in (CounterService.objects.filter(counter__outlet_id__in=ids)
                                   .order_by("counter_id", "position").values_list("counter_id", "service_id")):
        served[counter_id].append(service_id)
    oldest = min((d for d in days.values() if d), default=timezone.localdate(now))
    at_counters = {}
    for t in Ticket.objects.filter(
        Q(status=TicketStatus.SERVING) | Q(status=TicketStatus.CALLED, business_date__gte=oldest),
        outlet_id__in=ids, status__in=ACTIVE_AT_COUNTER,
    ).only("outlet_id", "counter_id", "number", "status", "service_id", "called_at", "started_at", "business_date"):
        if t.status == TicketStatus.SERVING or t.business_date >= days[t.outlet_id]:
            at_counters[t.counter_id] = t
    longest = {}
    for outlet_id, service_id, day, first in (
        Ticket.objects.filter(outlet_id__in=ids, status=TicketStatus.WAITING, business_date__gte=oldest)
        .values("outlet_id", "service_id", "business_date").annotate(first=Min("issued_at")).order_by()
        .values_list("outlet_id", "service_id", "business_date", "first")
    ):
        if day == days[outlet_id]:
            longest[(outlet_id, service_id)] = first
    arrivals = {
        (outlet_id, service_id): n for outlet_id, service_id, n in (
            Ticket.objects.filter(outlet_id__in=ids, issued_at__gte=now - ARRIVALS_WINDOW, issued_at__lte=now)
            .values("outlet_id", "service_id").annotate(n=Count("id")).order_by()
            .values_list("outlet_id", "service_id", "n")
        )
    }
    devices = defaultdict(list)
    for device in hall_devices(ids, now):
        devices[device.outlet_id].append(device)
    skills = defaultdict(lambda: defaultdict(set))
    for outlet_id, user_id, service_id in StaffMembership.skills.through.objects.filter(
            staffmembership__outlet_id__in=ids).values_list(
            "staffmembership__outlet_id", "staffmembership__user_id", "service_id"):
        skills[outlet_id][user_id].add(service_id)

    outlooks = outlooks_kept(ids)
    floors = {}
    for outlet in outlets:
        pk = outlet.pk
        floor = HallFloor(outlet=outlet, now=now, is_open=outlet_is_open(hours.get(pk, outlet), now))
        floor.handle_means = {sid: h.mean for sid, h in handles.get(pk, {}).items()}
        floor.skills = dict(skills.get(pk, {}))
        floor.devices = devices.get(pk, [])
        floor.outlook = outlooks.get(pk, [])
        estimates = lines[pk]["estimates"].services
        setups = lines[pk].get("routing", {}).get("setup", {})
        for c in counters.get(pk, []):
            ticket = at_counters.get(c["id"])
            current = None
            if ticket is not None:
                current = {"number": ticket.number, "status": ticket.status, "service_id": ticket.service_id,
                           "since": ticket.started_at if ticket.status == TicketStatus.SERVING else ticket.called_at}
            full_name = f"{c['signed_in_user__first_name'] or ''} {c['signed_in_user__last_name'] or ''}".strip()
            floor.counters.append(CounterFloor(
                counter_id=c["id"], number=c["number"], label=c["name"] or f"{c['number']}号窗口", state=c["state"],
                pause_reason=c["pause_reason"], state_since=c["state_changed_at"], agent_id=c["signed_in_user_id"],
                agent=(full_name or c["signed_in_user__username"]) if c["signed_in_user_id"] else "",
                services=served.get(c["id"], []), current=current,
                profile=setups[c["id"]][0] if c["id"] in setups else c["profile"],
            ))
        for hs in offers.get(pk, []):
            sid = hs.service_id
            estimate = estimates.get(sid)
            capacity, open_count = 0.0, 0
            for c in floor.counters:
                if c.state == CounterState.OPEN and sid in c.services:
                    open_count += 1
                    # A counter of several services gives each its share of its time.
                    mean = max(floor.handle_means.get(sid, 300.0), 1.0)
                    capacity += ARRIVALS_WINDOW.total_seconds() / mean / len(c.services)
            first = longest.get((pk, sid))
            floor.services.append(ServiceFloor(
                service_id=sid, code=hs.service.code, name=hs.service.name_zh, name_en=hs.service.name_en,
                target_wait_seconds=hs.target_wait,
                waiting=lines[pk]["waiting"].get(sid, 0),
                estimated_wait_seconds=estimate.seconds if estimate else 0,
                estimated_wait_range=(estimate.low, estimate.high) if estimate else (0, 0),
                longest_wait_seconds=int((now - first).total_seconds()) if first else 0,
                arrivals_15m=arrivals.get((pk, sid), 0), capacity_15m=round(capacity, 1), open_counters=open_count,
            ))
        floors[pk] = floor
    return floors


def floor_payload(floor: HallFloor) -> dict:
    """The floor as JSON for the manager's page and its socket."""
    now = floor.now
    names = {s.service_id: s for s in floor.services}
    return {
        "hall": floor.outlet.code,
        "generated_at": timezone.localtime(now).isoformat(),
        "is_open": floor.is_open,
        "services": [
            {
                "code": s.code, "name": s.name, "name_en": s.name_en, "waiting": s.waiting,
                "estimated_wait_seconds": s.estimated_wait_seconds,
                "estimated_wait_range": list(s.estimated_wait_range),
                "longest_wait_seconds": s.longest_wait_seconds, "target_wait_seconds": s.target_wait_seconds,
                "arrivals_15m": s.arrivals_15m, "capacity_15m": s.capacity_15m, "open_counters": s.open_counters,
            }
            for s in floor.services
        ],
        "counters": [
            {
                "id": c.counter_id, "number": c.number, "label": c.label, "state": c.state,
                "pause_reason": c.pause_reason, "agent": c.agent,
                "seconds_in_state": int((now - c.state_since).total_seconds()) if c.state_since else None,
                "services": [names[s].code for s in c.services if s in names],
                "profile": c.profile,
                "current": None if c.current is None else {
                    "number": c.current["number"], "status": c.current["status"],
                    "service": names[c.current["service_id"]].code if c.current["service_id"] in names else None,
                    "seconds": int((now - c.current["since"]).total_seconds()) if c.current["since"] else None,
                },
            }
            for c in floor.counters
        ],
        "quiet_devices": [
            {"key": d.key, "kind": d.kind, "name": d.name,
             "last_seen_at": timezone.localtime(d.last_seen_at).isoformat() if d.last_seen_at else None}
            for d in floor.devices if d.quiet
        ],
    }
