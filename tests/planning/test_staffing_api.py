"""The staffing API (CONTRACT.md, hall management): who reads a hall's
staffing, who plans and edits its roster, what-ifs, and each person's own
shifts."""

from datetime import time, timedelta

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from halls.models import StaffRole
from halls.roles import CITY_OPERATIONS_GROUP
from queueing.planning.models import RosterShift, RosterShiftSource
from tests.halls.factories import UserFactory, member
from tests.planning.staffing_factories import MONDAY, forecast, one_service_hall, staffed

pytestmark = pytest.mark.django_db


def client_of(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def hall(clock, no_shrinkage):
    hall, service = one_service_hall(handle=300, target_wait=600)
    hall.people = staffed(hall)
    hall.manager = UserFactory(username=f"mgr-{hall.code}")
    member(hall.manager, hall, StaffRole.MANAGER)
    for i in range(7):
        forecast(hall, service, MONDAY + timedelta(days=i), 12)
    return hall


def url(hall, tail):
    return f"/api/v1/halls/{hall.code}/{tail}"


# --- Reading a hall's staffing -------------------------------------------------------------------


def test_the_staffing_rows_are_the_contracts_one_per_half_hour(hall):
    rows = client_of(hall.people[0]).get(url(hall, f"staffing/?date={MONDAY}")).json()

    assert len(rows) == 16
    assert rows[0] == {"slot_start": "2026-12-07T09:00:00+08:00", "forecast_arrivals": 12.0,
                       "required_counters": rows[0]["required_counters"], "scheduled_counters": 0}
    assert rows[0]["required_counters"] >= 1


def test_the_staffing_defaults_to_the_halls_live_day(hall):
    rows = client_of(hall.manager).get(url(hall, "staffing/")).json()

    assert rows[0]["slot_start"].startswith(str(MONDAY))


def test_city_operations_read_any_halls_staffing(hall):
    ops = UserFactory(username="ops-staffing", is_staff=True)
    ops.groups.add(Group.objects.get(name=CITY_OPERATIONS_GROUP))

    assert client_of(ops).get(url(hall, "staffing/")).status_code == 200


def test_staff_of_another_hall_may_not_read_it(hall):
    other, _ = one_service_hall()
    stranger = UserFactory(username="stranger")
    member(stranger, other, StaffRole.MANAGER)

    assert client_of(stranger).get(url(hall, "staffing/")).status_code == 403


def test_anonymous_callers_are_asked_to_sign_in(hall):
    assert APIClient().get(url(hall, "staffing/")).status_code == 401


def test_an_unknown_hall_is_not_found(hall):
    assert client_of(hall.manager).get("/api/v1/halls/NOPE/staffing/").status_code == 404


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "2030-01-01"])
def test_a_bad_or_far_date_is_a_clear_error(hall, bad):
    answer = client_of(hall.manager).get(url(hall, f"staffing/?date={bad}"))

    assert answer.status_code == 400 and "date" in answer.json()["error"]["fields"]


def test_the_plan_day_gives_both_models_and_the_days_shifts(hall):
    RosterShift.objects.create(outlet=hall, user=hall.people[0], date=MONDAY, starts=time(9), ends=time(13))

    day = client_of(hall.manager).get(url(hall, f"plan/?date={MONDAY}")).json()

    slot = day["slots"][0]
    assert (slot["slot_start"], slot["scheduled_counters"]) == ("09:00", 1)
    assert {"required_erlang_c", "required_erlang_a"} <= set(slot)
    assert [s["starts"] for s in day["shifts"]] == ["09:00"]


# --- Planning and editing the roster ---------------------------------------------------------------


def test_a_manager_plans_the_week(hall):
    answer = client_of(hall.manager).post(url(hall, "roster/plan/"), {"week": str(MONDAY)}, format="json")

    assert answer.status_code == 200
    assert len(answer.json()["week"]["shifts"]) == RosterShift.objects.filter(outlet=hall).count() > 0


def test_an_agent_may_not_plan_the_week(hall):
    answer = client_of(hall.people[0]).post(url(hall, "roster/plan/"), {"week": str(MONDAY)}, format="json")

    assert answer.status_code == 403 and not RosterShift.objects.exists()


def test_a_manager_adds_a_shift_of_their_own(hall):
    body = {"user": hall.people[0].pk, "date": str(MONDAY), "starts": "09:00", "ends": "13:00"}

    answer = client_of(hall.manager).post(url(hall, "roster/shifts/"), body, format="json")

    assert answer.status_code == 201
    assert RosterShift.objects.get(pk=answer.json()["id"]).source == RosterShiftSource.MANAGER


def test_a_shift_that_breaks_a_rule_is_refused_with_the_rule_and_nothing_saved(hall):
    body = {"user": hall.people[0].pk, "date": str(MONDAY), "starts": "09:00", "ends": "10:00"}  # under 4 h

    answer = client_of(hall.manager).post(url(hall, "roster/shifts/"), body, format="json")

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "roster_rule_broken" and answer.json()["error"]["fields"]
    assert not RosterShift.objects.exists()


def test_a_shift_off_the_half_hour_is_a_validation_error(hall):
    body = {"user": hall.people[0].pk, "date": str(MONDAY), "starts": "09:10", "ends": "13:00"}

    answer = client_of(hall.manager).post(url(hall, "roster/shifts/"), body, format="json")

    assert answer.status_code == 400 and "starts" in answer.json()["error"]["fields"]


def test_a_shift_for_someone_not_on_the_halls_staff_is_refused(hall):
    outsider = UserFactory(username="outsider")
    body = {"user": outsider.pk, "date": str(MONDAY), "starts": "09:00", "ends": "13:00"}

    answer = client_of(hall.manager).post(url(hall, "roster/shifts/"), body, format="json")

    assert answer.status_code == 400 and "user" in answer.json()["error"]["fields"]


def test_a_manager_moves_a_shift(hall):
    shift = RosterShift.objects.create(outlet=hall, user=hall.people[0], date=MONDAY, starts=time(9),
                                       ends=time(13), source=RosterShiftSource.SOLVER)

    answer = client_of(hall.manager).patch(f"/api/v1/roster-shifts/{shift.pk}/",
                                           {"starts": "13:00", "ends": "17:00"}, format="json")

    shift.refresh_from_db()
    assert answer.status_code == 200
    assert (shift.starts, shift.source) == (time(13), RosterShiftSource.MANAGER)


def test_a_manager_removes_a_shift(hall):
    shift = RosterShift.objects.create(outlet=hall, user=hall.people[0], date=MONDAY, starts=time(9), ends=time(13))

    answer = client_of(hall.manager).delete(f"/api/v1/roster-shifts/{shift.pk}/")

    assert answer.status_code == 204 and not RosterShift.objects.exists()


def test_a_manager_of_another_hall_may_not_touch_the_shift(hall):
    shift = RosterShift.objects.create(outlet=hall, user=hall.people[0], date=MONDAY, starts=time(9), ends=time(13))
    other, _ = one_service_hall()
    stranger = UserFactory(username="other-manager")
    member(stranger, other, StaffRole.MANAGER)

    answer = client_of(stranger).delete(f"/api/v1/roster-shifts/{shift.pk}/")

    assert answer.status_code == 403 and RosterShift.objects.filter(pk=shift.pk).exists()


# --- What-if ----------------------------------------------------------------------------------------


def test_two_more_counters_raise_the_simulated_service_level(hall):
    for person in hall.people[:2]:
        RosterShift.objects.create(outlet=hall, user=person, date=MONDAY, starts=time(9), ends=time(17))
    body = {"date": str(MONDAY), "days": 10,
            "changes": [{"kind": "add", "count": 2, "services": ["payment"], "start": "09:00"}]}

    result = client_of(hall.manager).post(url(hall, "simulate/"), body, format="json").json()

    assert result["plan"] == "roster" and result["people"] == 2
    assert result["what_if"]["day"]["service_level"]["mean"] > result["baseline"]["day"]["service_level"]["mean"]


def test_a_what_if_on_a_service_the_hall_lacks_is_a_validation_error(hall):
    body = {"changes": [{"kind": "move", "from_service": "nope", "to_service": "payment"}]}

    answer = client_of(hall.manager).post(url(hall, "simulate/"), body, format="json")

    assert answer.status_code == 400


def test_a_day_without_a_forecast_has_nothing_to_simulate(hall):
    answer = client_of(hall.manager).post(url(hall, "simulate/"), {"date": str(MONDAY + timedelta(days=20))},
                                          format="json")

    assert answer.status_code == 409 and answer.json()["error"]["code"] == "nothing_to_simulate"


# --- My shifts ---------------------------------------------------------------------------------------


def test_an_agent_sees_their_own_shifts_only(hall, clock):
    me, colleague = hall.people[:2]
    RosterShift.objects.create(outlet=hall, user=me, date=MONDAY, starts=time(9), ends=time(13))
    RosterShift.objects.create(outlet=hall, user=colleague, date=MONDAY, starts=time(13), ends=time(17))

    shifts = client_of(me).get("/api/v1/me/shifts/").json()

    assert [(s["date"], s["starts"], s["hall"]) for s in shifts] == [(str(MONDAY), "09:00", hall.code)]


def test_past_shifts_are_not_listed(hall, clock):
    me = hall.people[0]
    RosterShift.objects.create(outlet=hall, user=me, date=MONDAY - timedelta(days=1), starts=time(9), ends=time(13))

    assert client_of(me).get("/api/v1/me/shifts/").json() == []

