"""The demo city: Zhengzhou Mobile's outlet network, its services and the demo sign-ins.

`seed_demo(small=...)` runs every registered step, in order, in one
transaction. Other apps add their own steps (kiosks, subscribers, number
stock, rewards) in their own `demo.py`, which `seed_demo` imports:

    from halls.demo import StepResult, demo_step

    @demo_step
    def seed_kiosks(*, small: bool) -> StepResult | None:
        ...

Steps run in INSTALLED_APPS order (this module's first), each in the order it
was registered. A step owns the rows it describes, keyed on natural keys
(outlet and service codes, counter numbers, usernames): it creates the
missing ones and brings their demo fields back to the demo values, and leaves
every other row and field (a counter's state, an outlet switched off) alone.
So a second run writes nothing, and a full run after a `small` one only adds.

The city is drawn from `halls.demo_data` with fixed seeds: every run, on every
machine, builds the same outlets, and the small city is the first few outlets
of each kind of the full one.
"""

import functools
import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from time import monotonic

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, get_hasher, identify_hasher, make_password
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.db.models import Count, Q
from django.utils.module_loading import autodiscover_modules

from . import demo_data

logger = logging.getLogger(__name__)
from .models import (
    Counter,
    CounterService,
    DistrictAssignment,
    HallService,
    OpeningException,
    OpeningHours,
    Outlet,
    OutletKind,
    Service,
    StaffMembership,
    StaffRole,
)
from .roles import CITY_OPERATIONS_GROUP

# --- The registry of steps --------------------------------------------------


@dataclass
class StepResult:
    """What a step reports: summary lines for the operator, and how many rows it wrote."""

    lines: dict[str, str] = field(default_factory=dict)
    created: int = 0
    updated: int = 0

    def add(self, other: "StepResult") -> None:
        self.lines.update(other.lines)
        self.created += other.created
        self.updated += other.updated

    def count(self, written: tuple[int, int]) -> None:
        self.created += written[0]
        self.updated += written[1]


DemoStep = Callable[..., StepResult | None]
DEMO_STEPS: list[DemoStep] = []


def demo_step(step: DemoStep) -> DemoStep:
    """Register `step(*, small: bool)` to run on every `seed_demo`, after those already registered."""
    name = f"{step.__module__}.{step.__qualname__}"
    if all(f"{s.__module__}.{s.__qualname__}" != name for s in DEMO_STEPS):
        DEMO_STEPS.append(step)
    return step


def seed_demo(*, small: bool = False) -> StepResult:
    """Build (or bring back) the demo city. `small`: a few outlets, for tests.

    Idempotent. Runs every registered step in one transaction, so a failing
    step leaves the database as it was."""
    demo_secrets_check()
    autodiscover_modules("demo")
    summary = StepResult()
    with transaction.atomic(durable=True):
        for step in DEMO_STEPS:
            started = monotonic()
            result = step(small=small)
            logger.info("Demo step %s: %.1f s", step.__qualname__, monotonic() - started)
            if result is not None:
                summary.add(result)
    return summary


# --- The plan: what the city looks like, before any database ----------------

OWNED_HALLS = 212
FRANCHISE_STORES = 500
AGENT_STORES = 800
AUTHORIZED_POINTS = 4000
SMALL_CITY = {
    OutletKind.OWNED_HALL: 3,
    OutletKind.FRANCHISE_STORE: 2,
    OutletKind.AGENT_STORE: 2,
    OutletKind.AUTHORIZED_POINT: 2,
}

# The demo sign-ins work here; other apps put the demo kiosk here too.
DEMO_HALL_CODE = "ZZ-H001"
# The city's 24-hour self-service halls; ZZ-H003 is also in the small city.
TWENTY_FOUR_HOUR_HALLS = ("ZZ-H003", "ZZ-H040", "ZZ-H120")

ALL_DAY = time(0)  # opens == closes == 00:00 is open all day
WEEKDAYS = range(0, 5)
WEEKEND = range(5, 7)
EVERY_DAY = range(0, 7)

NEW_YEARS_DAY = date(2027, 1, 1)
SPRING_FESTIVAL_EVE = date(2027, 2, 5)


@dataclass(frozen=True)
class ExceptionPlan:
    date: date
    is_closed: bool
    opens: time | None
    closes: time | None
    note: str


NEW_YEAR_CLOSURE = ExceptionPlan(NEW_YEARS_DAY, True, None, None, "元旦休息")
EVE_SHORT_DAY = ExceptionPlan(SPRING_FESTIVAL_EVE, False, time(9), time(14), "除夕营业至14:00")


@dataclass(frozen=True)
class OutletPlan:
    code: str
    name: str
    kind: str
    district: str
    address: str
    lat: Decimal
    lng: Decimal
    hours: tuple[tuple[int, time, time], ...]  # (weekday, opens, closes)
    exceptions: tuple[ExceptionPlan, ...] = ()
    services: tuple[str, ...] = ()  # service codes the hall offers
    counters: tuple[tuple[str, ...], ...] = ()  # counter 1, 2, ...: the service codes it calls, in order

    @property
    def has_queue(self) -> bool:
        return self.kind == OutletKind.OWNED_HALL

    @property
    def is_all_day(self) -> bool:
        return all(opens == closes == ALL_DAY for _, opens, closes in self.hours) and len(self.hours) == 7


def city_plan(*, small: bool = False) -> tuple[OutletPlan, ...]:
    """Every outlet of the demo city, owned halls first, each kind in code order."""
    city = _full_city()
    if not small:
        return city
    taken = dict.fromkeys(SMALL_CITY, 0)
    chosen = []
    for outlet in city:
        if taken[outlet.kind] < SMALL_CITY[outlet.kind]:
            taken[outlet.kind] += 1
            chosen.append(outlet)
    return tuple(chosen)


@functools.cache
def _full_city() -> tuple[OutletPlan, ...]:
    names: set[str] = set()  # outlet names are unique across the city
    return (
        *_owned_halls(random.Random(f"{demo_data.SEED}:owned"), names),
        *_franchise_stores(random.Random(f"{demo_data.SEED}:franchise"), names),
        *_agent_stores(random.Random(f"{demo_data.SEED}:agent"), names),
        *_authorized_points(random.Random(f"{demo_data.SEED}:point"), names),
    )


def _daily(opens: time, closes: time, days: Iterable[int] = EVERY_DAY) -> tuple[tuple[int, time, time], ...]:
    return tuple((day, opens, closes) for day in days)


def _hall_hours(weekday_opens: time, weekday_closes: time) -> tuple[tuple[int, time, time], ...]:
    return _daily(weekday_opens, weekday_closes, WEEKDAYS) + _daily(time(9), time(17), WEEKEND)


def _coordinate(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


def _spot(rng: random.Random, district: demo_data.District) -> tuple[Decimal, Decimal]:
    lat_min, lat_max, lng_min, lng_max = district.box
    return _coordinate(rng.uniform(lat_min, lat_max)), _coordinate(rng.uniform(lng_min, lng_max))


def _address(district: demo_data.District, place: str) -> str:
    # Urban districts are written under the city; the counties are known by their own name.
    return f"{'郑州市' if district.city == '郑州' else ''}{district.name}{place}"


def _districts_for(kind_index: int, total: int, rng: random.Random) -> list[demo_data.District]:
    """`total` districts, shared out by the districts' weights for this kind, in a random order."""
    weights = [d.weights[kind_index] for d in demo_data.DISTRICTS]
    exact = [w * total / sum(weights) for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    slots = [d for d, n in zip(demo_data.DISTRICTS, counts, strict=True) for _ in range(n)]
    rng.shuffle(slots)
    return slots


def _unique(names: set[str], draw: Callable[[], tuple]) -> tuple:
    """Draw until the name (the first item) is new in the city."""
    while True:
        drawn = draw()
        if drawn[0] not in names:
            names.add(drawn[0])
            return drawn


def _counter_plan(rng: random.Random, count: int, offered: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """Each counter calls a primary service, then up to three others of the hall.

    Every offered service is called at some counter: one that no counter
    calls would leave its tickets waiting forever."""
    primaries = [code for code in demo_data.COUNTER_PRIMARY_ORDER if code in offered]
    counters = [[primaries[i % len(primaries)]] for i in range(count)]
    # With four or more counters this adds at most one service to each.
    uncalled = [code for code in offered if code not in {services[0] for services in counters}]
    for i, code in enumerate(uncalled):
        counters[i % count].append(code)
    for services in counters:
        size = min(4, len(services) + rng.choice((0, 1, 1, 2, 2, 3)))
        others = [code for code in offered if code not in services]
        services.extend(rng.sample(others, k=max(0, min(len(others), size - len(services)))))
    return tuple(tuple(services) for services in counters)


def _catalogue_order(codes: Iterable[str]) -> tuple[str, ...]:
    wanted = set(codes)
    return tuple(s.code for s in demo_data.SERVICES if s.code in wanted)


ALL_SERVICES = tuple(s.code for s in demo_data.SERVICES)

# The first halls are written out: the demo sign-ins, the tests and the kiosk
# demo use them, so they should not move when the generator changes.
PINNED_HALLS = (
    OutletPlan(
        code="ZZ-H001",
        name="中国移动郑州花园路营业厅",
        kind=OutletKind.OWNED_HALL,
        district="金水区",
        address="郑州市金水区花园路139号",
        lat=Decimal("34.790600"),
        lng=Decimal("113.675200"),
        hours=_hall_hours(time(8, 30), time(18)),
        services=ALL_SERVICES,
        counters=(
            ("payment", "enquiry"),
            ("payment", "points"),
            ("new_line", "plan_change"),
            ("new_line", "plan_change", "payment"),
            ("plan_change", "enquiry", "payment"),
            ("handset", "new_line"),
            ("broadband", "plan_change"),
            ("enterprise", "broadband"),
        ),
    ),
    OutletPlan(
        code="ZZ-H002",
        name="中国移动郑州二七广场营业厅",
        kind=OutletKind.OWNED_HALL,
        district="二七区",
        address="郑州市二七区德化街21号",
        lat=Decimal("34.755300"),
        lng=Decimal("113.675800"),
        hours=_hall_hours(time(9), time(17, 30)),
        exceptions=(NEW_YEAR_CLOSURE, EVE_SHORT_DAY),
        services=_catalogue_order(("payment", "new_line", "plan_change", "handset", "broadband", "points", "enquiry")),
        counters=(
            ("payment", "enquiry"),
            ("payment", "points"),
            ("new_line", "plan_change"),
            ("plan_change", "payment"),
            ("handset", "new_line"),
            ("broadband", "enquiry"),
        ),
    ),
    OutletPlan(
        code="ZZ-H003",
        name="中国移动郑州商务外环路24小时自助营业厅",
        kind=OutletKind.OWNED_HALL,
        district="郑东新区",
        address="郑州市郑东新区商务外环路17号",
        lat=Decimal("34.771700"),
        lng=Decimal("113.729400"),
        hours=_daily(ALL_DAY, ALL_DAY),
        services=demo_data.TWENTY_FOUR_HOUR_SERVICES,
        counters=(
            ("payment", "points"),
            ("payment", "enquiry"),
            ("new_line", "plan_change"),
            ("plan_change", "enquiry", "payment"),
        ),
    ),
)


def _owned_halls(rng: random.Random, names: set[str]) -> list[OutletPlan]:
    names.update(hall.name for hall in PINNED_HALLS)
    halls = list(PINNED_HALLS)
    districts = _districts_for(0, OWNED_HALLS - len(PINNED_HALLS), rng)
    for number, district in enumerate(districts, start=len(PINNED_HALLS) + 1):
        code = f"ZZ-H{number:03d}"
        all_day = code in TWENTY_FOUR_HOUR_HALLS
        kind_of_hall = "24小时自助营业厅" if all_day else "营业厅"

        def draw(district=district, kind_of_hall=kind_of_hall):
            road = rng.choice(district.roads)
            for variant in ("", *demo_data.HALL_NAME_VARIANTS):
                name = f"中国移动{district.city}{road}{variant}{kind_of_hall}"
                if name not in names:
                    return name, road
            return name, road

        name, road = _unique(names, draw)
        lat, lng = _spot(rng, district)
        address = _address(district, f"{road}{rng.randint(1, 300)}号")
        if all_day:
            hours, exceptions = _daily(ALL_DAY, ALL_DAY), ()
            services, counter_count = demo_data.TWENTY_FOUR_HOUR_SERVICES, 4
        else:
            hours = _hall_hours(time(8, 30), time(18)) if rng.random() < 0.75 else _hall_hours(time(9), time(17, 30))
            # The county halls close on New Year's Day; every daytime hall closes early on the eve.
            exceptions = ((NEW_YEAR_CLOSURE,) if district.city != "郑州" else ()) + (EVE_SHORT_DAY,)
            optional = [code for code, share in demo_data.OPTIONAL_SERVICES.items() if rng.random() < share]
            services = _catalogue_order((*demo_data.CORE_SERVICES, *optional))
            counter_count = round(rng.triangular(4, 20, 9))
        halls.append(
            OutletPlan(
                code=code,
                name=name,
                kind=OutletKind.OWNED_HALL,
                district=district.name,
                address=address,
                lat=lat,
                lng=lng,
                hours=hours,
                exceptions=exceptions,
                services=services,
                counters=_counter_plan(rng, counter_count, services),
            )
        )
    return halls


def _franchise_stores(rng: random.Random, names: set[str]) -> list[OutletPlan]:
    stores = []
    for number, district in enumerate(_districts_for(1, FRANCHISE_STORES, rng), start=1):

        def draw(district=district):
            road = rng.choice(district.roads)
            return f"{district.name}{road}{rng.choice(demo_data.FRANCHISE_OPERATORS)}专营店", road

        name, road = _unique(names, draw)
        lat, lng = _spot(rng, district)
        hours = _daily(time(9), time(21)) if rng.random() < 0.7 else _daily(time(8, 30), time(21, 30))
        stores.append(
            OutletPlan(
                code=f"ZZ-F{number:04d}",
                name=name,
                kind=OutletKind.FRANCHISE_STORE,
                district=district.name,
                address=_address(district, f"{road}{rng.randint(1, 400)}号"),
                lat=lat,
                lng=lng,
                hours=hours,
            )
        )
    return stores


def _agent_stores(rng: random.Random, names: set[str]) -> list[OutletPlan]:
    stores = []
    for number, district in enumerate(_districts_for(2, AGENT_STORES, rng), start=1):

        def draw(district=district):
            road = rng.choice(district.roads)
            shop = f"{rng.choice(demo_data.AGENT_SHOP_NAMES)}{rng.choice(demo_data.AGENT_SHOP_KINDS)}"
            return f"{district.name}{road}{shop}特约代理店", road

        name, road = _unique(names, draw)
        lat, lng = _spot(rng, district)
        hours = _daily(time(8, 30), time(21, 30)) if rng.random() < 0.6 else _daily(time(9), time(22))
        stores.append(
            OutletPlan(
                code=f"ZZ-A{number:04d}",
                name=name,
                kind=OutletKind.AGENT_STORE,
                district=district.name,
                address=_address(district, f"{road}{rng.randint(1, 400)}号"),
                lat=lat,
                lng=lng,
                hours=hours,
            )
        )
    return stores


def _authorized_points(rng: random.Random, names: set[str]) -> list[OutletPlan]:
    """Shops that sell cards and top-ups, SIM-card agents and village convenience points."""
    points = []
    for number, district in enumerate(_districts_for(3, AUTHORIZED_POINTS, rng), start=1):
        village_share = 0 if not district.towns else 0.55 if district.city != "郑州" else 0.35
        roll = rng.random()
        if roll < village_share:

            def draw(district=district):
                town = rng.choice(district.towns)
                village = rng.choice(demo_data.VILLAGE_PATTERNS).format(rng.choice(demo_data.SURNAMES))
                return f"{district.name}{town}{village}村级便民点", f"{town}{village}村"

            name, place = _unique(names, draw)
            hours = _daily(time(7), time(21))
        elif roll < village_share + 0.15:

            def draw(district=district):
                road = rng.choice(district.roads)
                return f"{district.name}{road}{rng.choice(demo_data.SURNAMES)}记号卡代办点", road

            name, road = _unique(names, draw)
            place = f"{road}{rng.randint(1, 400)}号"
            hours = _daily(time(9), time(20))
        else:

            def draw(district=district):
                road = rng.choice(district.roads)
                shop = f"{rng.choice(demo_data.SURNAMES)}记{rng.choice(demo_data.POINT_SHOP_KINDS)}"
                return f"{district.name}{road}{shop}", road

            name, road = _unique(names, draw)
            place = f"{road}{rng.randint(1, 400)}号"
            hours = _daily(time(7, 30), time(22, 30))
        lat, lng = _spot(rng, district)
        points.append(
            OutletPlan(
                code=f"ZZ-P{number:04d}",
                name=name,
                kind=OutletKind.AUTHORIZED_POINT,
                district=district.name,
                address=_address(district, place),
                lat=lat,
                lng=lng,
                hours=hours,
            )
        )
    return points


# --- Writing the plan -------------------------------------------------------

BATCH_SIZE = 1000


def _sync(
    model: type[models.Model],
    rows: Iterable[dict],
    *,
    key: tuple[str, ...],
    fields: tuple[str, ...],
    existing: models.QuerySet,
) -> tuple[int, int]:
    """Create the rows missing from `existing` (matched on `key`), and bring
    `fields` back on the ones that differ. A few queries, whatever the row count.
    Returns (created, updated)."""
    current = {tuple(getattr(obj, name) for name in key): obj for obj in existing}
    new, changed = [], []
    for row in rows:
        obj = current.get(tuple(row[name] for name in key))
        if obj is None:
            new.append(model(**row))
        elif any(getattr(obj, name) != row[name] for name in fields):
            for name in fields:
                setattr(obj, name, row[name])
            changed.append(obj)
    model.objects.bulk_create(new, batch_size=BATCH_SIZE)
    if changed:
        model.objects.bulk_update(changed, fields, batch_size=BATCH_SIZE)
    return len(new), len(changed)


@demo_step
def seed_services(*, small: bool) -> StepResult:
    """The global catalogue of services."""
    result = StepResult()
    rows = [
        {
            "code": s.code,
            "name_zh": s.name_zh,
            "name_en": s.name_en,
            "prefix": s.prefix,
            "target_wait_seconds": s.target_wait_seconds,
            "default_handle_seconds": s.default_handle_seconds,
            "sort_order": order,
        }
        for order, s in enumerate(demo_data.SERVICES, start=1)
    ]
    fields = ("name_zh", "name_en", "prefix", "target_wait_seconds", "default_handle_seconds", "sort_order")
    result.count(
        _sync(Service, rows, key=("code",), fields=fields, existing=Service.objects.filter(code__in=ALL_SERVICES))
    )
    result.lines["services"] = f"{len(rows)} (" + ", ".join(f"{s.prefix} {s.code}" for s in demo_data.SERVICES) + ")"
    return result


@demo_step
def seed_network(*, small: bool) -> StepResult:
    """Outlets with their hours and holiday exceptions; the owned halls' services and counters."""
    plan = city_plan(small=small)
    result = StepResult()
    city = Outlet.objects.filter(code__startswith=demo_data.CODE_PREFIX)
    # Read back only what the plan covers: a small run on a full city need not load it all.
    # (By prefix for a full run: thousands of codes would not fit one IN list everywhere.)
    planned = city.filter(code__in=[o.code for o in plan]) if small else city
    in_plan = Q(outlet__in=planned)

    result.count(
        _sync(
            Outlet,
            (
                {
                    "code": o.code,
                    "name": o.name,
                    "kind": o.kind,
                    "district": o.district,
                    "address": o.address,
                    "lat": o.lat,
                    "lng": o.lng,
                    "has_queue": o.has_queue,
                }
                for o in plan
            ),
            key=("code",),
            fields=("name", "kind", "district", "address", "lat", "lng", "has_queue"),
            existing=planned,
        )
    )
    outlet_ids = dict(planned.values_list("code", "id"))
    service_ids = dict(Service.objects.filter(code__in=ALL_SERVICES).values_list("code", "id"))
    prefixes = {s.code: s.prefix for s in demo_data.SERVICES}
    sort_orders = {s.code: order for order, s in enumerate(demo_data.SERVICES, start=1)}
    halls = [o for o in plan if o.has_queue]

    result.count(
        _sync(
            OpeningHours,
            (
                {"outlet_id": outlet_ids[o.code], "weekday": day, "opens": opens, "closes": closes}
                for o in plan
                for day, opens, closes in o.hours
            ),
            key=("outlet_id", "weekday", "opens"),
            fields=("closes",),
            existing=OpeningHours.objects.filter(in_plan),
        )
    )
    result.count(
        _sync(
            OpeningException,
            (
                {
                    "outlet_id": outlet_ids[o.code],
                    "date": e.date,
                    "is_closed": e.is_closed,
                    "opens": e.opens,
                    "closes": e.closes,
                    "note": e.note,
                }
                for o in plan
                for e in o.exceptions
            ),
            key=("outlet_id", "date"),
            fields=("is_closed", "opens", "closes", "note"),
            existing=OpeningException.objects.filter(in_plan),
        )
    )
    result.count(
        _sync(
            HallService,
            (
                {
                    "outlet_id": outlet_ids[o.code],
                    "service_id": service_ids[code],
                    "prefix": prefixes[code],
                    "sort_order": sort_orders[code],
                }
                for o in halls
                for code in o.services
            ),
            key=("outlet_id", "service_id"),
            fields=("prefix", "sort_order"),
            existing=HallService.objects.filter(in_plan),
        )
    )
    # Counters: only their existence is the demo's; state and sign-in belong to the floor.
    result.count(
        _sync(
            Counter,
            (
                {"outlet_id": outlet_ids[o.code], "number": number}
                for o in halls
                for number in range(1, len(o.counters) + 1)
            ),
            key=("outlet_id", "number"),
            fields=(),
            existing=Counter.objects.filter(in_plan),
        )
    )
    counter_ids = {
        (outlet_id, number): pk
        for outlet_id, number, pk in Counter.objects.filter(in_plan).values_list("outlet_id", "number", "id")
    }
    result.count(
        _sync(
            CounterService,
            (
                {
                    "counter_id": counter_ids[outlet_ids[o.code], number],
                    "service_id": service_ids[code],
                    "position": position,
                }
                for o in halls
                for number, codes in enumerate(o.counters, start=1)
                for position, code in enumerate(codes)
            ),
            key=("counter_id", "service_id"),
            fields=("position",),
            existing=CounterService.objects.filter(counter__outlet__in=planned),
        )
    )

    in_city = Q(outlet__in=city)
    by_kind = dict(city.order_by().values_list("kind").annotate(n=Count("id")))
    result.lines["outlets"] = ", ".join(f"{by_kind.get(kind, 0)} {kind}" for kind in OutletKind.values)
    result.lines["owned halls"] = (
        f"{Counter.objects.filter(in_city).count()} counters, "
        f"{HallService.objects.filter(in_city).count()} hall services, "
        f"{OpeningException.objects.filter(in_city).count()} dated exceptions"
    )
    return result


# --- The demo sign-ins ------------------------------------------------------

@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    role: str | None  # their role at the demo hall; None: no hall
    is_superuser: bool = False
    groups: tuple[str, ...] = ()  # role groups beyond those their memberships give


DEMO_USERS = (
    DemoUser("demo_admin", "演示管理员", None, is_superuser=True),
    DemoUser("demo_ops", "赵敏", None, groups=(CITY_OPERATIONS_GROUP,)),
    # The manager's membership gives the hall manager group and staff status
    # (halls.services.staff_groups_sync): the admin shows their hall only.
    DemoUser("demo_manager", "张丽", StaffRole.MANAGER),
    DemoUser("demo_agent1", "李明", StaffRole.AGENT),
    DemoUser("demo_agent2", "王芳", StaffRole.AGENT),
    # The rest of the demo hall's staff: enough people for its roster.
    DemoUser("demo_agent3", "刘洋", StaffRole.AGENT),
    DemoUser("demo_agent4", "陈静", StaffRole.AGENT),
    DemoUser("demo_agent5", "杨帆", StaffRole.AGENT),
    DemoUser("demo_agent6", "黄磊", StaffRole.AGENT),
    DemoUser("demo_agent7", "周婷", StaffRole.AGENT),
    DemoUser("demo_agent8", "吴强", StaffRole.AGENT),
    DemoUser("demo_agent9", "徐丹", StaffRole.AGENT),
    DemoUser("demo_agent10", "孙浩", StaffRole.AGENT),
    DemoUser("demo_agent11", "马丽", StaffRole.AGENT),
    DemoUser("demo_agent12", "朱峰", StaffRole.AGENT),
    DemoUser("demo_agent13", "胡敏", StaffRole.AGENT),
    DemoUser("demo_agent14", "郭亮", StaffRole.AGENT),
    DemoUser("demo_agent15", "何雪", StaffRole.AGENT),
    DemoUser("demo_agent16", "林涛", StaffRole.AGENT),
)

# Published defaults: with DEBUG off, a demo that anybody could sign in to is refused.
DEFAULT_DEMO_PASSWORD = "demo-pass-2012"
DEFAULT_DEMO_KIOSK_TOKEN = "demo-kiosk-token"


class DemoRefused(Exception):
    """seed_demo will not build sign-ins that anybody could use."""


def demo_secrets_check() -> None:
    """With DEBUG off, refuse the published demo password and kiosk token:
    set DEMO_PASSWORD and DEMO_KIOSK_TOKEN to values of your own."""
    if settings.DEBUG:
        return
    refused = []
    if settings.DEMO_PASSWORD == DEFAULT_DEMO_PASSWORD:
        refused.append("DEMO_PASSWORD")
    if settings.DEMO_KIOSK_TOKEN == DEFAULT_DEMO_KIOSK_TOKEN:
        refused.append("DEMO_KIOSK_TOKEN")
    if refused:
        raise DemoRefused(
            f"DEBUG is off and {' and '.join(refused)} {'is' if len(refused) == 1 else 'are'} still the published "
            "default: anybody could sign in to this demo. Set your own value, or run with DEBUG=true."
        )


def _demo_password_hash(current: Iterable[str]) -> str:
    """One hash of DEMO_PASSWORD for every demo sign-in.

    Hashing is slow by design, so it is done once, not once per user; and a
    hash that still matches the password (and the preferred hasher) is kept,
    so that running the seed again leaves the demo users' sessions valid."""
    password = settings.DEMO_PASSWORD
    preferred = get_hasher()
    for encoded in dict.fromkeys(current):
        try:
            hasher = identify_hasher(encoded)
        except ValueError:  # unusable or unknown
            continue
        if hasher.algorithm == preferred.algorithm and not preferred.must_update(encoded):
            if check_password(password, encoded):
                return encoded
    return make_password(password)


@demo_step
def seed_demo_staff(*, small: bool) -> StepResult:
    """demo_admin everywhere; demo_ops reads every hall; demo_manager,
    demo_agent1 and demo_agent2 at the demo hall only. Their role groups come
    from the migrations and their memberships; this step only assigns them."""
    result = StepResult()
    hall = Outlet.objects.get(code=DEMO_HALL_CODE)
    role_groups = {g.name: g for g in Group.objects.filter(name__in=[CITY_OPERATIONS_GROUP])}

    User = get_user_model()
    existing = {u.username: u for u in User.objects.filter(username__in=[d.username for d in DEMO_USERS])}
    password = _demo_password_hash(u.password for u in existing.values())
    hall_staff = []
    for demo in DEMO_USERS:
        user = existing.get(demo.username) or User(username=demo.username)
        wanted = {
            "first_name": demo.first_name,
            "is_active": True,
            "is_superuser": demo.is_superuser,
            "password": password,
        }
        if demo.is_superuser or demo.groups:
            wanted["is_staff"] = True
        changed = [name for name, value in wanted.items() if getattr(user, name) != value]
        for name in changed:
            setattr(user, name, wanted[name])
        if user.pk is None:
            user.save()
            result.created += 1
        elif changed:
            user.save(update_fields=changed)
            result.updated += 1
        for name in demo.groups:
            user.groups.add(role_groups[name])
        if demo.role is None:
            continue
        hall_staff.append(user)
        membership, created = StaffMembership.objects.get_or_create(
            user=user, outlet=hall, defaults={"role": demo.role}
        )
        if created:
            result.created += 1
        elif membership.role != demo.role:
            membership.role = demo.role
            membership.save(update_fields=["role"])
            result.updated += 1

    # "They belong to that hall only": drop any other hall or district they were given.
    deleted, _ = StaffMembership.objects.filter(user__in=hall_staff).exclude(outlet=hall).delete()
    deleted += DistrictAssignment.objects.filter(user__in=hall_staff).delete()[0]
    result.updated += deleted

    result.lines[f"sign-ins (password {settings.DEMO_PASSWORD})"] = (
        f"demo_admin (superuser), demo_ops (city operations, /city/); at {hall.code} {hall.name}: "
        "demo_manager (hall manager, /manage/, /admin/), demo_agent1 to demo_agent16 (agents, /console/)"
    )
    return result
