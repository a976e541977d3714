"""Pools (暂存): a visit parked aside, out of the line, called back by hand or when its time comes."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from queueing import services
from queueing.models import Ticket, TicketEvent, WaitingLine
from queueing.selectors import counter_pool, queue_snapshot, ticket_progress
from tests.api_errors import assert_api_error

FIXED_INSTANT = 1_800_000_000.0


@pytest.fixture
def frozen():
    with time_machine.travel(FIXED_INSTANT, tick=False) as traveller:
        yield traveller


def issue(floor, service="payment", minutes_ago=0):
    ticket, _ = services.ticket_issue(outlet=floor.hall, service_code=service, channel="staff",
                                      now=timezone.now() - timedelta(minutes=minutes_ago))
    return ticket


@pytest.fixture
def at_counter(floor, frozen):
    """counter1 open, its agent serving A001; A002 waits."""
    issue(floor, minutes_ago=5)
    issue(floor, minutes_ago=4)
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)
    services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)
    services.ticket_start(counter_id=floor.counter1.pk, actor=floor.agent)
    return floor


def park(floor, **kwargs):
    return services.ticket_park(counter_id=floor.counter1.pk, actor=floor.agent, **kwargs)


def call_next(floor, counter=None, user=None):
    counter = counter or floor.counter1
    return services.ticket_call_next(counter_id=counter.pk, actor=user or floor.agent)


def test_a_parked_visit_waits_out_of_the_line_and_frees_the_counter(at_counter):
    floor = at_counter

    parked = park(floor)

    assert (parked.status, parked.parked, parked.counter_id, parked.pool_counter_id) == (
        "waiting", True, None, floor.counter1.pk)
    assert TicketEvent.objects.filter(ticket=parked, kind="parked").exists()
    progress = ticket_progress(Ticket.objects.select_related("outlet").get(pk=parked.pk))
    assert (progress["status"], progress["position"]) == ("waiting", None)


def test_the_displays_do_not_count_a_parked_visit(at_counter):
    floor = at_counter

    park(floor)

    waiting = {s["code"]: s["waiting"] for s in queue_snapshot(outlet=floor.hall)["services"]}
    assert waiting["payment"] == 1
    assert sum(WaitingLine.objects.filter(outlet=floor.hall).values_list("waiting", flat=True)) == 1


def test_other_counters_never_call_a_parked_visit(at_counter):
    floor = at_counter
    parked = park(floor)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent2)

    assert call_next(floor, floor.counter2, floor.agent2).number == "A002"
    services.ticket_start(counter_id=floor.counter2.pk, actor=floor.agent2)
    services.ticket_finish(counter_id=floor.counter2.pk, actor=floor.agent2)
    assert call_next(floor, floor.counter2, floor.agent2) is None
    assert Ticket.objects.get(pk=parked.pk).parked


def test_without_a_return_time_the_counter_calls_the_line_not_the_pool(at_counter):
    floor = at_counter
    park(floor)

    assert call_next(floor).number == "A002"


def test_the_agent_calls_a_parked_visit_back_by_hand(at_counter):
    floor = at_counter
    park(floor)

    called = services.ticket_call_from_pool(counter_id=floor.counter1.pk, number="A001", actor=floor.agent)

    assert (called.status, called.parked, called.counter_id, called.pool_counter_id) == (
        "called", False, floor.counter1.pk, None)
    call = TicketEvent.objects.filter(ticket=called, kind="called").last()
    assert call.detail == {"pool": "counter"}
    assert counter_pool(floor.counter1) == []


def test_a_due_visit_comes_back_to_its_counter_before_the_line(at_counter, frozen):
    floor = at_counter
    park(floor, minutes=10)
    assert call_next(floor).number == "A002"  # not due yet
    services.ticket_start(counter_id=floor.counter1.pk, actor=floor.agent)
    services.ticket_finish(counter_id=floor.counter1.pk, actor=floor.agent)
    issue(floor)

    frozen.shift(timedelta(minutes=10))

    assert call_next(floor).number == "A001"


def test_an_agents_pool_follows_them_to_another_counter(at_counter, frozen):
    floor = at_counter
    park(floor, to="agent", minutes=5)
    services.counter_close(counter_id=floor.counter1.pk, actor=floor.agent)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)

    floor.counter2.refresh_from_db()
    assert [t.number for t in counter_pool(floor.counter2)] == ["A001"]
    frozen.shift(timedelta(minutes=5))
    assert call_next(floor, floor.counter2).number == "A001"


def test_an_agents_pool_is_not_the_counters(at_counter):
    floor = at_counter
    park(floor, to="agent")
    services.counter_close(counter_id=floor.counter1.pk, actor=floor.agent)
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent2)
    floor.counter1.refresh_from_db()

    assert counter_pool(floor.counter1) == []
    with pytest.raises(services.NotInPool):
        services.ticket_call_from_pool(counter_id=floor.counter1.pk, number="A001", actor=floor.agent2)


def test_a_customer_may_leave_while_parked(at_counter):
    floor = at_counter
    parked = park(floor)

    cancelled = services.ticket_cancel(token=parked.token)

    assert (cancelled.status, cancelled.parked) == ("cancelled", False)
    assert sum(WaitingLine.objects.filter(outlet=floor.hall).values_list("waiting", flat=True)) == 1


def test_the_day_closes_parked_visits_too(at_counter, frozen):
    floor = at_counter
    parked = park(floor)
    day = parked.business_date

    services.business_day_close_hall(outlet=floor.hall, day=day, now=timezone.now() + timedelta(days=1))

    parked.refresh_from_db()
    assert (parked.status, parked.cancel_reason, parked.parked) == ("cancelled", "day_closed", False)


# --- The API --------------------------------------------------------------------------------


def test_the_api_parks_lists_and_calls_back(at_counter, staff_api):
    floor = at_counter
    base = f"/api/v1/counters/{floor.counter1.pk}"

    parked = staff_api.post(f"{base}/park/", {"minutes": 5, "to": "agent"}, format="json")
    pool = staff_api.get(f"{base}/pool/")
    called = staff_api.post(f"{base}/pool/A001/call/")

    assert parked.status_code == 200, parked.content
    assert parked.json()["ticket"]["parked"] is True and parked.json()["current_ticket"] is None
    assert [(t["number"], t["pool"], t["due"]) for t in pool.json()] == [("A001", "agent", False)]
    assert called.status_code == 200 and called.json()["status"] == "called"


def test_the_api_refuses_a_number_not_in_the_pool(at_counter, staff_api):
    floor = at_counter
    services.ticket_finish(counter_id=floor.counter1.pk, actor=floor.agent)

    response = staff_api.post(f"/api/v1/counters/{floor.counter1.pk}/pool/A002/call/")

    assert_api_error(response, 404, "not_in_pool")


@pytest.mark.parametrize("body", [{"minutes": 0}, {"minutes": "soon"}, {"to": "hall"}])
def test_the_api_refuses_bad_park_requests(at_counter, staff_api, body):
    response = staff_api.post(f"/api/v1/counters/{at_counter.counter1.pk}/park/", body, format="json")

    assert_api_error(response, 400, "validation_error")
    assert not Ticket.objects.filter(parked=True).exists()


def test_parking_with_nobody_at_the_counter_is_refused(floor, staff_api):
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)

    assert_api_error(staff_api.post(f"/api/v1/counters/{floor.counter1.pk}/park/", {}, format="json"), 409,
                     "no_current_ticket")


def test_the_ticket_page_tells_a_parked_customer_to_come_back_when_ready(at_counter, client):
    parked = park(at_counter)

    page = client.get(f"/t/{parked.token}/").content.decode()

    assert "号码已暂存，准备好后请回到窗口" in page
