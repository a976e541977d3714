"""`manage.py seed_demo`: the demo Zhengzhou network and the demo sign-ins."""

import re
from collections import Counter as Tally
from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from halls import demo
from halls.demo_data import DISTRICTS
from halls.models import (
    Counter,
    CounterService,
    CounterState,
    HallService,
    OpeningException,
    OpeningHours,
    Outlet,
    OutletKind,
    Service,
    StaffMembership,
    StaffRole,
    outlet_code_validator,
)
from halls.selectors import outlet_is_open
from tests.halls.factories import OutletFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 11, 30)
SATURDAY = date(2026, 11, 28)
URBAN_CORE = {"金水区", "二七区", "中原区", "管城回族区", "惠济区", "郑东新区", "高新区", "经开区"}


@pytest.fixture(autouse=True)
def _demo_allowed(settings):
    """The demo's published sign-ins are refused with DEBUG off; a demo runs with it on."""
    settings.DEBUG = True


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def snapshot() -> dict:
    """Every row the seed writes, as plain values."""
    return {
        "outlets": sorted(Outlet.objects.values_list("code", "name", "kind", "district", "address", "lat", "lng",
                                                    "has_queue", "is_active")),
        "hours": sorted(OpeningHours.objects.values_list("outlet__code", "weekday", "opens", "closes")),
        "exceptions": sorted(OpeningException.objects.values_list("outlet__code", "date", "is_closed", "note")),
        "services": sorted(Service.objects.values_list("code", "name_zh", "prefix", "target_wait_seconds",
                                                       "default_handle_seconds", "sort_order")),
        "hall_services": sorted(HallService.objects.values_list("outlet__code", "service__code", "prefix")),
        "counters": sorted(Counter.objects.values_list("outlet__code", "number", "name", "state")),
        "counter_services": sorted(CounterService.objects.values_list("counter__outlet__code", "counter__number",
                                                                      "service__code", "position")),
        "memberships": sorted(StaffMembership.objects.values_list("user__username", "outlet__code", "role")),
        "users": sorted(get_user_model().objects.values_list("username", "password", "is_staff", "is_superuser")),
        "groups": sorted(get_user_model().groups.through.objects.values_list("user__username", "group__name")),
    }


def counter_service_codes(outlet) -> list[list[str]]:
    return [
        [cs.service.code for cs in counter.counter_services.order_by("position").select_related("service")]
        for counter in outlet.counters.order_by("number")
    ]


@pytest.fixture
def small_city(db):
    return seed("--small")


# --- The plan -------------------------------------------------------------------


def test_the_city_plan_has_the_size_of_zhengzhous_network():
    city = demo.city_plan()

    kinds = Tally(outlet.kind for outlet in city)

    assert kinds[OutletKind.OWNED_HALL] >= 200
    assert (kinds[OutletKind.FRANCHISE_STORE], kinds[OutletKind.AGENT_STORE]) == (500, 800)
    assert kinds[OutletKind.AUTHORIZED_POINT] == 4000


def test_outlet_codes_follow_the_code_format():
    codes = [outlet.code for outlet in demo.city_plan()]

    for code in codes:
        outlet_code_validator(code)
        assert re.fullmatch(r"ZZ-(H\d{3}|[FAP]\d{4})", code), code
    assert len(set(codes)) == len(codes)


def test_outlet_names_are_unique_in_the_city():
    names = [outlet.name for outlet in demo.city_plan()]

    assert len(set(names)) == len(names)


def test_owned_halls_are_named_as_china_mobile_halls():
    halls = [outlet for outlet in demo.city_plan() if outlet.kind == OutletKind.OWNED_HALL]

    assert all(re.fullmatch(r"中国移动\w+营业厅", hall.name) for hall in halls)
    assert halls[0].name == "中国移动郑州花园路营业厅"


def test_urban_outlets_lie_within_the_urban_area():
    urban = [outlet for outlet in demo.city_plan() if outlet.district in URBAN_CORE]

    assert all(34.60 <= outlet.lat <= 34.90 and 113.45 <= outlet.lng <= 113.90 for outlet in urban)


def test_every_outlet_lies_within_the_municipality():
    city = demo.city_plan()

    assert all(34.25 <= outlet.lat <= 35.05 and 112.70 <= outlet.lng <= 114.25 for outlet in city)


def test_every_district_of_zhengzhou_has_owned_halls_and_other_outlets():
    city = demo.city_plan()

    for kind in OutletKind.values:
        assert {outlet.district for outlet in city if outlet.kind == kind} == {d.name for d in DISTRICTS}, kind


def test_the_city_has_three_24_hour_halls():
    city = demo.city_plan()

    assert [outlet.code for outlet in city if outlet.is_all_day] == ["ZZ-H003", "ZZ-H040", "ZZ-H120"]


def test_every_planned_hall_has_4_to_20_counters_each_calling_1_to_4_of_its_services():
    halls = [outlet for outlet in demo.city_plan() if outlet.has_queue]

    for hall in halls:
        assert 4 <= len(hall.counters) <= 20, hall.code
        for services in hall.counters:
            assert 1 <= len(services) <= 4 and len(set(services)) == len(services), hall.code
            assert set(services) <= set(hall.services), hall.code


def test_every_planned_hall_calls_each_service_it_offers_at_some_counter():
    halls = [outlet for outlet in demo.city_plan() if outlet.has_queue]

    for hall in halls:
        assert {code for services in hall.counters for code in services} == set(hall.services), hall.code


def test_the_small_city_is_the_start_of_the_full_city():
    small, full = demo.city_plan(small=True), demo.city_plan()

    for outlet in small:
        assert outlet == next(o for o in full if o.code == outlet.code)
    assert [o.code for o in small] == [
        "ZZ-H001", "ZZ-H002", "ZZ-H003", "ZZ-F0001", "ZZ-F0002", "ZZ-A0001", "ZZ-A0002", "ZZ-P0001", "ZZ-P0002",
    ]


def test_the_city_plan_is_the_same_on_every_run():
    first = demo.city_plan()

    demo._full_city.cache_clear()
    second = demo.city_plan()

    assert first == second and first is not second


# --- The small city --------------------------------------------------------------


def test_small_seed_builds_three_owned_halls_with_queues(small_city):
    halls = Outlet.objects.filter(kind=OutletKind.OWNED_HALL)

    assert [(h.code, h.has_queue) for h in halls] == [("ZZ-H001", True), ("ZZ-H002", True), ("ZZ-H003", True)]


def test_small_seed_lists_two_outlets_of_each_other_kind_without_a_queue(small_city):
    others = Outlet.objects.exclude(kind=OutletKind.OWNED_HALL)

    assert Tally(others.values_list("kind", flat=True)) == {
        OutletKind.FRANCHISE_STORE: 2,
        OutletKind.AGENT_STORE: 2,
        OutletKind.AUTHORIZED_POINT: 2,
    }
    assert not others.filter(has_queue=True).exists()
    assert not Counter.objects.filter(outlet__in=others).exists()


def test_small_seed_builds_a_24_hour_hall(small_city):
    hall = Outlet.objects.get(code="ZZ-H003")

    hours = list(hall.opening_hours.values_list("weekday", "opens", "closes"))

    assert [(day, f"{opens:%H:%M}", f"{closes:%H:%M}") for day, opens, closes in hours] == [
        (day, "00:00", "00:00") for day in range(7)
    ]
    assert outlet_is_open(hall, at(SATURDAY, 3)) and outlet_is_open(hall, at(MONDAY, 23, 59))


def test_the_first_hall_is_a_daytime_hall_with_eight_counters(small_city):
    hall = Outlet.objects.get(code="ZZ-H001")

    assert hall.counters.count() == 8
    assert outlet_is_open(hall, at(MONDAY, 8, 30)) and outlet_is_open(hall, at(MONDAY, 17, 59))
    assert not outlet_is_open(hall, at(MONDAY, 18)) and not outlet_is_open(hall, at(MONDAY, 3))
    assert outlet_is_open(hall, at(SATURDAY, 9)) and not outlet_is_open(hall, at(SATURDAY, 17))


def test_the_first_hall_offers_every_service(small_city):
    hall = Outlet.objects.get(code="ZZ-H001")

    assert set(hall.hall_services.values_list("service__code", flat=True)) == set(Service.objects.values_list(
        "code", flat=True))


def test_every_outlet_has_opening_hours_for_every_day(small_city):
    for outlet in Outlet.objects.all():
        assert sorted(outlet.opening_hours.values_list("weekday", flat=True)) == list(range(7)), outlet.code


def test_a_holiday_closes_a_hall_for_the_day(small_city):
    hall = Outlet.objects.get(code="ZZ-H002")
    new_years_day = date(2027, 1, 1)  # a Friday

    assert not outlet_is_open(hall, at(new_years_day, 10))
    assert outlet_is_open(hall, at(date(2027, 1, 4), 10))


def test_the_service_catalogue_has_the_eight_services_with_their_prefixes(small_city):
    services = Service.objects.order_by("sort_order")

    assert [(s.code, s.prefix) for s in services] == [
        ("payment", "A"), ("new_line", "B"), ("plan_change", "C"), ("handset", "D"),
        ("broadband", "E"), ("enterprise", "F"), ("points", "G"), ("enquiry", "H"),
    ]
    assert all(s.name_zh and s.name_en for s in services)


def test_enterprise_clients_have_a_shorter_target_wait(small_city):
    targets = dict(Service.objects.values_list("code", "target_wait_seconds"))

    assert targets.pop("enterprise") == 300
    assert set(targets.values()) == {600}


def test_hall_services_carry_the_services_default_prefix(small_city):
    hall_services = HallService.objects.select_related("service")

    assert hall_services.exists()
    assert all(hs.prefix == hs.service.prefix for hs in hall_services)


def test_every_counter_calls_one_to_four_services_the_hall_offers(small_city):
    for hall in Outlet.objects.filter(has_queue=True):
        offered = set(hall.hall_services.values_list("service__code", flat=True))
        for codes in counter_service_codes(hall):
            assert 1 <= len(codes) <= 4 and set(codes) <= offered, hall.code


def test_every_offered_service_is_called_at_some_counter(small_city):
    for hall in Outlet.objects.filter(has_queue=True):
        called = {code for codes in counter_service_codes(hall) for code in codes}
        assert called == set(hall.hall_services.values_list("service__code", flat=True)), hall.code


# --- Running it again -----------------------------------------------------------------


def test_seed_is_idempotent(small_city):
    before = snapshot()

    output = seed("--small")

    assert snapshot() == before
    assert "0 rows created, 0 updated" in output


def test_seed_restores_a_demo_outlets_details(small_city):
    Outlet.objects.filter(code="ZZ-H001").update(name="改过的名字", has_queue=False)

    seed("--small")

    hall = Outlet.objects.get(code="ZZ-H001")
    assert (hall.name, hall.has_queue) == ("中国移动郑州花园路营业厅", True)


def test_seed_leaves_a_counters_state_alone(small_city):
    agent = get_user_model().objects.get(username="demo_agent1")
    Counter.objects.filter(outlet__code="ZZ-H001", number=1).update(state=CounterState.OPEN, signed_in_user=agent)

    seed("--small")

    counter = Counter.objects.get(outlet__code="ZZ-H001", number=1)
    assert (counter.state, counter.signed_in_user) == (CounterState.OPEN, agent)


def test_seed_leaves_other_outlets_alone(small_city):
    other = OutletFactory(code="T-H001", name="别的营业厅")

    seed("--small")

    assert Outlet.objects.get(pk=other.pk).name == "别的营业厅"
    assert other.opening_hours.count() == 7


# --- The demo sign-ins ----------------------------------------------------------------


def test_demo_admin_is_a_superuser_who_signs_in_with_the_demo_password(small_city, settings):
    user = authenticate(username="demo_admin", password=settings.DEMO_PASSWORD)

    assert user is not None and user.is_superuser and user.is_staff


def test_demo_manager_belongs_to_the_first_hall_only(small_city, settings):
    manager = authenticate(username="demo_manager", password=settings.DEMO_PASSWORD)

    assert list(manager.memberships.values_list("outlet__code", "role")) == [("ZZ-H001", StaffRole.MANAGER)]
    assert manager.is_staff and not manager.is_superuser
    assert list(manager.groups.values_list("name", flat=True)) == ["厅经理"]


def test_demo_agents_belong_to_the_first_hall_only(small_city, settings):
    for username in ("demo_agent1", "demo_agent2"):
        agent = authenticate(username=username, password=settings.DEMO_PASSWORD)

        assert list(agent.memberships.values_list("outlet__code", "role")) == [("ZZ-H001", StaffRole.AGENT)]
        assert not agent.is_staff and not agent.is_superuser


def test_demo_staff_sent_to_another_hall_are_brought_back_by_the_seed(small_city):
    agent = get_user_model().objects.get(username="demo_agent1")
    StaffMembership.objects.create(user=agent, outlet=Outlet.objects.get(code="ZZ-H002"))
    StaffMembership.objects.filter(user=agent, outlet__code="ZZ-H001").update(role=StaffRole.MANAGER)

    seed("--small")

    assert list(agent.memberships.values_list("outlet__code", "role")) == [("ZZ-H001", StaffRole.AGENT)]


def test_the_hall_manager_group_grants_the_admin_permissions(small_city):
    manager = get_user_model().objects.get(username="demo_manager")

    permissions = manager.get_group_permissions()

    for model in ("outlet", "openinghours", "openingexception", "hallservice", "counter", "counterservice",
                  "staffmembership"):
        assert {f"halls.view_{model}", f"halls.change_{model}"} <= permissions
    for model in ("openingexception", "openinghours", "counterservice"):
        assert {f"halls.add_{model}", f"halls.delete_{model}"} <= permissions
    assert {"queueing.view_ticket", "queueing.view_ticketevent", "queueing.view_counterevent"} <= permissions
    assert "halls.add_outlet" not in permissions and "halls.change_service" not in permissions


def test_the_hall_manager_group_grants_the_hall_kiosks_displays_and_ratings(small_city):
    manager = get_user_model().objects.get(username="demo_manager")

    permissions = manager.get_group_permissions()

    assert {"kiosk.view_kioskdevice", "kiosk.change_kioskdevice", "kiosk.view_selfserviceaction",
            "kiosk.view_order", "kiosk.view_payment"} <= permissions
    assert {"queueing.view_ticketrating", "queueing.view_displaydevice", "queueing.change_displaydevice"} <= permissions
    assert "kiosk.add_kioskdevice" not in permissions and "kiosk.view_subscriber" not in permissions


def test_demo_manager_sees_only_their_hall_in_the_admin(small_city, client, settings):
    assert client.login(username="demo_manager", password=settings.DEMO_PASSWORD)

    page = client.get("/admin/halls/outlet/").content.decode()

    assert "ZZ-H001" in page and "ZZ-H002" not in page


def test_a_changed_demo_password_takes_effect_on_the_next_run(small_city, settings):
    settings.DEMO_PASSWORD = "another-demo-pass-2027"

    seed("--small")

    assert authenticate(username="demo_agent1", password="another-demo-pass-2027") is not None
    assert authenticate(username="demo_agent1", password="demo-pass-2012") is None


def test_the_summary_names_the_sign_ins_and_their_password(small_city, settings):
    for expected in ("demo_admin", "demo_manager", "demo_agent1", "demo_agent16", settings.DEMO_PASSWORD):
        assert expected in small_city


# --- Steps of other apps ------------------------------------------------------------------


def test_a_step_another_app_registers_runs_with_the_seed(db, monkeypatch):
    monkeypatch.setattr(demo, "DEMO_STEPS", list(demo.DEMO_STEPS))
    seen = []

    @demo.demo_step
    def seed_kiosks(*, small):
        seen.append((small, Outlet.objects.filter(code=demo.DEMO_HALL_CODE).exists()))
        return demo.StepResult({"kiosks": "1 at ZZ-H001"}, created=1)

    output = seed("--small")

    assert seen == [(True, True)]
    assert "kiosks: 1 at ZZ-H001" in output


# --- The full city ----------------------------------------------------------------------


def test_full_seed_builds_the_city_network(db):
    seed()

    kinds = Tally(Outlet.objects.values_list("kind", flat=True))
    assert kinds[OutletKind.OWNED_HALL] >= 200
    assert (kinds[OutletKind.FRANCHISE_STORE], kinds[OutletKind.AGENT_STORE]) == (500, 800)
    assert kinds[OutletKind.AUTHORIZED_POINT] == 4000
    assert set(Outlet.objects.filter(has_queue=True).values_list("kind", flat=True)) == {OutletKind.OWNED_HALL}
    counters = Tally(Counter.objects.values_list("outlet__code", flat=True))
    services = Tally(HallService.objects.values_list("outlet__code", flat=True))
    for code in Outlet.objects.filter(kind=OutletKind.OWNED_HALL).values_list("code", flat=True):
        assert 4 <= counters[code] <= 20 and services[code] >= 5, code
    assert OpeningHours.objects.values("outlet").distinct().count() == Outlet.objects.count()


def test_full_seed_after_a_small_one_adds_without_duplicates(db):
    seed("--small")

    seed()

    city = demo.city_plan()
    assert Outlet.objects.count() == len(city)
    assert Counter.objects.count() == sum(len(outlet.counters) for outlet in city)
    assert Outlet.objects.get(code="ZZ-H001").counters.count() == 8


# --- Published demo secrets ------------------------------------------------------------


@pytest.mark.parametrize("setting", ["DEMO_PASSWORD", "DEMO_KIOSK_TOKEN"])
def test_with_debug_off_the_seed_refuses_a_published_demo_secret(db, settings, setting):
    settings.DEBUG = False
    settings.DEMO_PASSWORD = "our-own-demo-password-2026"
    settings.DEMO_KIOSK_TOKEN = "our-own-demo-kiosk-token-2026"
    setattr(settings, setting, {"DEMO_PASSWORD": "demo-pass-2012", "DEMO_KIOSK_TOKEN": "demo-kiosk-token"}[setting])

    with pytest.raises(CommandError, match=setting):
        seed("--small")

    assert not Outlet.objects.exists()


def test_with_debug_off_the_seed_builds_with_secrets_of_ones_own(db, settings):
    settings.DEBUG = False
    settings.DEMO_PASSWORD = "our-own-demo-password-2026"
    settings.DEMO_KIOSK_TOKEN = "our-own-demo-kiosk-token-2026"

    seed("--small")

    assert authenticate(username="demo_manager", password="our-own-demo-password-2026") is not None


def test_demo_ops_reads_every_hall_and_works_none(small_city, settings):
    from halls.roles import user_can_act_on, user_reads

    ops = authenticate(username="demo_ops", password=settings.DEMO_PASSWORD)
    halls = list(Outlet.objects.filter(has_queue=True))

    assert ops is not None and ops.is_staff and not ops.is_superuser
    assert all(user_reads(ops, hall) for hall in halls)
    assert not any(user_can_act_on(ops, hall) for hall in halls)
