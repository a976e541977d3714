"""The city's reports (/api/v1/city/reports/): districts and halls over any
period, ranked by service level, with the city's totals; who may read them."""

import csv
import io

import pytest
import time_machine

from halls.models import OutletKind, StaffRole
from kiosk.models import ActionResult, SelfServiceAction, SelfServiceChannel
from queueing import services as queue
from queueing.reports.services import rollups_refresh_day
from tests.halls.factories import OutletFactory, UserFactory, member
from tests.kiosk.factories import KioskDeviceFactory
from tests.queueing.factories import build_floor
from tests.reports.conftest import DAY, at, client_of

pytestmark = pytest.mark.django_db

RANGE = f"from={DAY}&to={DAY}"



@pytest.fixture
def quick_hall(day):
    """A second hall, in another district, that served its one customer at once."""
    floor = build_floor(code="RPT-2", district="天河区")
    with time_machine.travel(at(10), tick=False) as clock:
        queue.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
        queue.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
        queue.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)
        queue.ticket_start(counter_id=floor.counter2.pk, actor=floor.agent)
        clock.move_to(at(10, 5))
        queue.ticket_finish(counter_id=floor.counter2.pk, actor=floor.agent)
        rollups_refresh_day(outlet_ids=[floor.hall.pk], day=DAY)
    return floor



def city(user, query=RANGE):
    return client_of(user).get(f"/api/v1/city/reports/?{query}")


def test_halls_are_ranked_by_service_level(ops, day, quick_hall):
    halls = city(ops).json()["halls"]

    assert [(h["rank"], h["code"], h["service_level"]) for h in halls] == [
        (1, "RPT-2", 1.0), (2, "RPT-1", round(1 / 6, 4))]


def test_the_city_totals_add_up_every_hall(ops, day, quick_hall):
    totals = city(ops).json()["city"]

    assert (totals["issued"], totals["served"], totals["closed_unserved"], totals["service_level"]) == (
        7, 3, 2, round(2 / 7, 4))


def test_each_district_has_its_halls_and_figures(ops, day, quick_hall):
    districts = {d["district"]: d for d in city(ops).json()["districts"]}

    assert (districts["天河区"]["halls"], districts["天河区"]["issued"]) == (1, 1)


def test_one_district_drills_down_to_its_halls(ops, day, quick_hall):
    halls = city(ops, f"{RANGE}&district=天河区").json()["halls"]

    assert [h["code"] for h in halls] == ["RPT-2"]


def test_a_period_without_tickets_is_empty_not_an_error(ops, day):
    report = city(ops, "from=2026-11-01&to=2026-11-02").json()

    assert (report["halls"], report["city"]["issued"]) == ([], 0)


def test_the_district_table_comes_as_csv(ops, day, quick_hall):
    response = city(ops, f"{RANGE}&format=csv&table=districts")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))

    assert sorted(r["区县 / District"] for r in rows) == sorted({day.hall.district, "天河区"})


def test_a_hall_manager_sees_only_their_halls(day, quick_hall):
    manager = UserFactory(username="city-mgr")
    member(manager, quick_hall.hall, StaffRole.MANAGER)

    halls = city(manager).json()["halls"]

    assert [h["code"] for h in halls] == ["RPT-2"]


def test_an_agent_may_not_read_the_city_report(day):
    assert city(day.agent).status_code == 403


def test_a_range_backwards_is_a_clear_error(ops, day):
    response = city(ops, f"from={DAY}&to=2026-12-01")

    assert response.status_code == 400


def test_franchise_stores_kiosks_count_in_the_self_service_figures(ops, day):
    store = OutletFactory(code="FR-001", kind=OutletKind.FRANCHISE_STORE, has_queue=False)
    kiosk = KioskDeviceFactory(outlet=store)
    SelfServiceAction.objects.create(channel=SelfServiceChannel.KIOSK, kiosk=kiosk, action="topup_create",
                                     result=ActionResult.OK, at=at(11))

    by_kind = city(ops).json()["self_service"]["by_kind"]

    assert [(k["kind"], k["outlets_with_kiosks"], k["total"]) for k in by_kind] == [("franchise_store", 1, 1)]
