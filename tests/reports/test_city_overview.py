"""The city's live overview (/api/v1/city/overview/): one row per owned hall
with a queue, with the contract's fields; who may read it; its queries do
not grow with the number of halls."""

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from halls.models import OutletKind, StaffRole
from halls.roles import CITY_OPERATIONS_GROUP
from queueing import services as queue
from queueing.planning.models import PeakWarning, WarningKind, WarningLevel
from queueing.reports.services import rollups_refresh_day
from queueing.selectors import hall_line
from tests.halls.factories import OutletFactory, UserFactory, member
from tests.queueing.factories import build_floor
from tests.reports.conftest import DAY, at

pytestmark = pytest.mark.django_db

CONTRACT_FIELDS = {"code", "name", "district", "waiting", "longest_wait_seconds", "estimated_wait_seconds",
                   "open_counters", "counters", "warning_level", "issued_today", "served_today",
                   "service_level_today"}


def client_of(user=None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api


def overview(user=None):
    return client_of(user).get("/api/v1/city/overview/")


@pytest.fixture
def ops(db):
    user = UserFactory(username="city-ops", is_staff=True)
    user.groups.add(Group.objects.get(name=CITY_OPERATIONS_GROUP))
    return user


@pytest.fixture
def busy_hall(db):
    """At 10:05: A001 was called at 10:01 (after 60 s) and served; A002, A003
    and H001 wait since 10:00; counter 2 is open; a `warning` is active."""
    floor = build_floor(code="CTY-1", name="花园路营业厅", district="金水区")
    with time_machine.travel(at(10), tick=False) as clock:
        queue.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
        for code in ("payment", "payment", "payment", "enquiry"):
            queue.ticket_issue(outlet=floor.hall, service_code=code, channel="kiosk")
        clock.move_to(at(10, 1))
        queue.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)
        queue.ticket_start(counter_id=floor.counter2.pk, actor=floor.agent)
        clock.move_to(at(10, 3))
        queue.ticket_finish(counter_id=floor.counter2.pk, actor=floor.agent)
        clock.move_to(at(10, 5))
        rollups_refresh_day(outlet_ids=[floor.hall.pk], day=DAY)
    PeakWarning.objects.create(
        outlet=floor.hall, kind=WarningKind.WAIT, service=floor.payment, subject=f"service:{floor.payment.pk}",
        level=WarningLevel.WARNING, peak_level=WarningLevel.WARNING, figure=700, threshold=600,
        message="预计等候超标", started_at=at(10, 4),
    )
    PeakWarning.objects.create(
        outlet=floor.hall, kind=WarningKind.LONG_PAUSE, subject="counter:1", level=WarningLevel.NOTICE,
        peak_level=WarningLevel.NOTICE, figure=1300, threshold=1200, message="窗口暂停过久", started_at=at(10, 4),
    )
    return floor


def test_a_hall_shows_its_line_counters_worst_warning_and_todays_figures(ops, busy_hall):
    with time_machine.travel(at(10, 5), tick=False):
        rows = overview(ops).json()
        line = hall_line(outlet_id=busy_hall.hall.pk)

    assert len(rows) == 1
    row = rows[0]
    assert CONTRACT_FIELDS <= set(row)
    assert {k: row[k] for k in CONTRACT_FIELDS - {"estimated_wait_seconds"}} == {
        "code": "CTY-1", "name": "花园路营业厅", "district": "金水区",
        "waiting": 3, "longest_wait_seconds": 300, "open_counters": 1, "counters": 3,
        "warning_level": "warning", "issued_today": 4, "served_today": 1, "service_level_today": 1.0,
    }
    assert row["estimated_wait_seconds"] == max(e.seconds for e in line["estimates"].services.values())
    assert row["estimated_wait_seconds"] > 0


def test_a_quiet_hall_has_zeros_and_no_warning(ops, db):
    build_floor(code="CTY-Q")

    row = overview(ops).json()[0]

    assert (row["waiting"], row["longest_wait_seconds"], row["estimated_wait_seconds"], row["open_counters"],
            row["warning_level"], row["issued_today"], row["service_level_today"]) == (0, 0, 0, 0, None, 0, None)


def test_only_owned_halls_with_a_queue_are_listed(ops, db):
    build_floor(code="CTY-1")
    OutletFactory(code="FR-1", kind=OutletKind.FRANCHISE_STORE, has_queue=False)
    OutletFactory(code="CTY-NQ", has_queue=False)

    codes = [r["code"] for r in overview(ops).json()]

    assert codes == ["CTY-1"]


def test_city_operations_see_every_hall(ops, db):
    build_floor(code="CTY-1")
    build_floor(code="CTY-2", district="二七区")

    codes = [r["code"] for r in overview(ops).json()]

    assert codes == ["CTY-1", "CTY-2"]


def test_a_superuser_sees_every_hall(db):
    build_floor(code="CTY-1")
    build_floor(code="CTY-2")
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)

    assert [r["code"] for r in overview(admin).json()] == ["CTY-1", "CTY-2"]


def test_a_hall_manager_sees_only_their_halls(db):
    mine = build_floor(code="CTY-1")
    build_floor(code="CTY-2")
    manager = UserFactory(username="mgr")
    member(manager, mine.hall, StaffRole.MANAGER)

    codes = [r["code"] for r in overview(manager).json()]

    assert codes == ["CTY-1"]


def test_an_agent_is_refused(db):
    floor = build_floor(code="CTY-1")

    response = overview(floor.agent)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_anonymous_is_refused(db):
    build_floor(code="CTY-1")

    response = overview()

    assert response.status_code in (401, 403)
    assert "error" in response.json()


def _queries_for(user) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert overview(user).status_code == 200
    return len(queries)


def test_queries_do_not_grow_with_the_number_of_halls(ops, busy_hall, django_assert_max_num_queries):
    with time_machine.travel(at(10, 5), tick=False):
        one_hall = _queries_for(ops)
        for n in range(2, 7):
            floor = build_floor(code=f"CTY-{n}", district="二七区")
            queue.counter_open(counter_id=floor.counter1.pk, user=floor.agent)
            queue.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")

        with django_assert_max_num_queries(one_hall):
            rows = overview(ops).json()

    assert len(rows) == 6
