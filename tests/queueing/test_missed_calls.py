"""过号顺延, the missed-calls sweep and calling a chosen ticket out of its turn."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from halls.models import HallService
from queueing import events, services
from queueing.errors import IllegalTransition, NotReinstatable
from queueing.models import Ticket, TicketEvent, TicketStatus, WaitingLine
from queueing.services.calls import ticket_missed_call
from tests.queueing.factories import build_floor
from tests.threads import run_in_threads


def issue(floor, service="payment", at=None, priority="normal"):
    ticket, _ = services.ticket_issue(outlet=floor.hall, service_code=service, channel="staff", priority=priority,
                                      now=at)
    return ticket


def no_show(floor, counter=None, at=None):
    counter = counter or floor.counter2
    called = services.ticket_call_next(counter_id=counter.pk, actor=floor.agent, now=at)
    services.ticket_no_show(counter_id=counter.pk, actor=floor.agent, now=at)
    called.refresh_from_db()
    return called


def calls_in_order(floor, counter, n):
    numbers = []
    for _ in range(n):
        ticket = services.ticket_call_next(counter_id=counter.pk, actor=floor.agent)
        if ticket is None:
            break
        numbers.append(ticket.number)
        services.ticket_start(counter_id=counter.pk, actor=floor.agent)
        services.ticket_finish(counter_id=counter.pk, actor=floor.agent)
    return numbers


@pytest.fixture
def payment_line(floor):
    """A001 missed its call at counter 2; A002..A006 wait."""
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    start = timezone.now() - timedelta(minutes=30)
    tickets = [issue(floor, at=start + timedelta(minutes=i)) for i in range(6)]
    missed = no_show(floor)
    assert missed.pk == tickets[0].pk
    return tickets


def test_a_reinstated_no_show_is_called_after_the_next_three(floor, payment_line):
    services.ticket_reinstate(outlet=floor.hall, number="A001", actor=floor.agent)

    assert calls_in_order(floor, floor.counter2, 6) == ["A002", "A003", "A004", "A001", "A005", "A006"]


def test_a_reinstated_ticket_reports_the_place_it_is_called_in(floor, payment_line, api):
    ticket = services.ticket_reinstate(outlet=floor.hall, number="A001", actor=floor.agent)

    body = api.get(f"/api/v1/tickets/{ticket.token}/").json()

    assert (body["status"], body["position"], body["number"]) == ("waiting", 4, "A001")


def test_a_reinstated_ticket_goes_last_when_fewer_wait(floor, payment_line, settings):
    settings.QUEUE_REINSTATE_PLACES = 10
    services.ticket_reinstate(outlet=floor.hall, number="A001", actor=floor.agent)

    assert calls_in_order(floor, floor.counter2, 6)[-1] == "A001"


def test_reinstate_counts_the_ticket_back_into_the_waiting_line(floor, payment_line, api):
    services.ticket_reinstate(outlet=floor.hall, number="A001", actor=floor.agent)

    payment = next(s for s in api.get(f"/api/v1/halls/{floor.hall.code}/queue/").json()["services"]
                   if s["code"] == "payment")
    assert payment["waiting"] == 6


def test_a_ticket_is_reinstated_at_most_the_hall_s_limit(floor, payment_line):
    services.ticket_reinstate(outlet=floor.hall, number="A001", actor=floor.agent)
    calls_in_order(floor, floor.counter2, 3)
    no_show(floor)

    with pytest.raises(NotReinstatable):
        services.ticket_reinstate(outlet=floor.hall, number="A001", actor=floor.agent)


def test_only_a_no_show_can_be_reinstated(floor, payment_line):
    with pytest.raises(NotReinstatable):
        services.ticket_reinstate(outlet=floor.hall, number="A002", actor=floor.agent)


def test_reinstate_is_in_the_event_log_with_who_did_it(floor, payment_line):
    ticket = services.ticket_reinstate(outlet=floor.hall, number="a001", actor=floor.agent2)

    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert (event.kind, event.from_status, event.to_status, event.actor_id) == (
        "reinstated", "no_show", "waiting", floor.agent2.pk)


def test_api_reinstate_answers_the_ticket(floor, payment_line, staff_api):
    response = staff_api.post(f"/api/v1/halls/{floor.hall.code}/tickets/A001/reinstate/")

    assert response.status_code == 200
    assert (response.json()["number"], response.json()["status"]) == ("A001", "waiting")


def test_api_reinstate_of_a_waiting_ticket_is_409_not_reinstatable(floor, payment_line, staff_api):
    response = staff_api.post(f"/api/v1/halls/{floor.hall.code}/tickets/A002/reinstate/")

    assert (response.status_code, response.json()["error"]["code"]) == (409, "not_reinstatable")


def test_api_reinstate_of_an_unknown_number_is_404(floor, payment_line, staff_api):
    assert staff_api.post(f"/api/v1/halls/{floor.hall.code}/tickets/Z999/reinstate/").status_code == 404


def test_api_reinstate_needs_staff_of_the_hall(floor, payment_line, api):
    assert api.post(f"/api/v1/halls/{floor.hall.code}/tickets/A001/reinstate/").status_code == 401


def test_a_reinstated_call_is_marked_for_the_displays(floor, payment_line, listen,
                                                     django_capture_on_commit_callbacks):
    services.ticket_reinstate(outlet=floor.hall, number="A001", actor=floor.agent)
    calls_in_order(floor, floor.counter2, 3)

    display = listen(events.hall_display_group(floor.hall.code))

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)

    [called] = [m for m in display.wait_for(lambda m: any(x["type"] == "ticket.called" for x in m))
                if m["type"] == "ticket.called"]
    assert (called["number"], called["reinstated"]) == ("A001", True)


@pytest.mark.django_db(transaction=True)
def test_reinstating_while_agents_call_keeps_every_ticket_called_once(on_postgres):
    floor = build_floor()
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent2)
    start = timezone.now() - timedelta(minutes=30)
    for i in range(6):
        issue(floor, at=start + timedelta(minutes=i))
    no_show(floor)
    actions = [
        lambda: services.ticket_reinstate(outlet=floor.hall, number="A001", actor=floor.agent),
        lambda: services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent),
        lambda: services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent2),
    ]

    _, errors = run_in_threads(3, lambda i: actions[i]())

    statuses = dict(Ticket.objects.filter(outlet=floor.hall).values_list("number", "status"))
    assert not errors
    assert sorted(n for n, s in statuses.items() if s == "called") == ["A002", "A003"]
    assert statuses["A001"] == "waiting"
    payment = WaitingLine.objects.get(outlet=floor.hall, service=floor.payment)
    assert payment.waiting == 4


# --- the missed-calls sweep ---------------------------------------------------------


@pytest.fixture
def called_ticket(floor):
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    issue(floor)
    return services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)


def test_a_call_nobody_answers_is_called_again_after_the_limit(floor, called_ticket, settings, listen,
                                                              django_capture_on_commit_callbacks):
    settings.QUEUE_AUTO_NO_SHOW_SECONDS = 120
    display = listen(events.hall_display_group(floor.hall.code))
    with time_machine.travel(called_ticket.called_at + timedelta(seconds=121)):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.missed_calls_sweep() == {"recalled": 1, "no_show": 0}

    [called] = [m for m in display.wait_for(lambda m: any(x["type"] == "ticket.called" for x in m))
                if m["type"] == "ticket.called"]
    assert (called["number"], called["recall"]) == (called_ticket.number, True)


def test_a_call_within_the_limit_is_left_alone(floor, called_ticket, settings):
    settings.QUEUE_AUTO_NO_SHOW_SECONDS = 120
    with time_machine.travel(called_ticket.called_at + timedelta(seconds=119)):
        assert services.missed_calls_sweep() == {"recalled": 0, "no_show": 0}


def test_after_the_recall_goes_unanswered_the_ticket_is_a_no_show(floor, called_ticket, settings):
    settings.QUEUE_AUTO_NO_SHOW_SECONDS = 120
    at = called_ticket.called_at
    with time_machine.travel(at + timedelta(seconds=121)):
        services.missed_calls_sweep()
    with time_machine.travel(at + timedelta(seconds=200)):
        assert services.missed_calls_sweep() == {"recalled": 0, "no_show": 0}
    with time_machine.travel(at + timedelta(seconds=242)):
        assert services.missed_calls_sweep() == {"recalled": 0, "no_show": 1}

    called_ticket.refresh_from_db()
    event = TicketEvent.objects.filter(ticket=called_ticket).last()
    assert (called_ticket.status, event.kind, event.detail["auto"]) == ("no_show", "no_show", True)


def test_a_ticket_being_served_is_never_marked(floor, called_ticket, settings):
    settings.QUEUE_AUTO_NO_SHOW_SECONDS = 120
    services.ticket_start(counter_id=floor.counter2.pk, actor=floor.agent)
    with time_machine.travel(called_ticket.called_at + timedelta(hours=1)):
        assert services.missed_calls_sweep() == {"recalled": 0, "no_show": 0}

    called_ticket.refresh_from_db()
    assert called_ticket.status == TicketStatus.SERVING


def test_a_hall_s_service_sets_its_own_limit(floor, called_ticket, settings):
    settings.QUEUE_AUTO_NO_SHOW_SECONDS = 120
    HallService.objects.filter(outlet=floor.hall, service=floor.payment).update(no_show_after_seconds=600)
    with time_machine.travel(called_ticket.called_at + timedelta(seconds=300)):
        assert services.missed_calls_sweep() == {"recalled": 0, "no_show": 0}
    with time_machine.travel(called_ticket.called_at + timedelta(seconds=601)):
        assert services.missed_calls_sweep() == {"recalled": 1, "no_show": 0}


def test_a_service_set_to_zero_is_never_marked(floor, called_ticket, settings):
    settings.QUEUE_AUTO_NO_SHOW_SECONDS = 120
    HallService.objects.filter(outlet=floor.hall, service=floor.payment).update(no_show_after_seconds=0)
    with time_machine.travel(called_ticket.called_at + timedelta(hours=1)):
        assert services.missed_calls_sweep() == {"recalled": 0, "no_show": 0}


def test_the_sweep_leaves_a_call_the_agent_repeated_since(floor, called_ticket):
    later = called_ticket.called_at + timedelta(seconds=300)
    services.ticket_recall(counter_id=floor.counter2.pk, actor=floor.agent, now=later)

    outcome = ticket_missed_call(counter_id=floor.counter2.pk, ticket_id=called_ticket.pk,
                                 called_at=called_ticket.called_at, now=later)

    assert outcome is None


# --- calling a chosen ticket ---------------------------------------------------------


@pytest.fixture
def waiting_three(floor):
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    start = timezone.now() - timedelta(minutes=10)
    return [issue(floor, at=start + timedelta(minutes=i)) for i in range(3)]


def test_an_agent_calls_a_chosen_ticket_out_of_its_turn(floor, waiting_three):
    ticket = services.ticket_call_chosen(counter_id=floor.counter2.pk, number="A003", reason="老人优先",
                                         actor=floor.agent)

    event = TicketEvent.objects.filter(ticket=ticket, kind="called").get()
    assert (ticket.number, ticket.status, event.detail) == (
        "A003", "called", {"out_of_order": True, "reason": "老人优先"})


def test_the_others_keep_their_order_after_a_chosen_call(floor, waiting_three):
    services.ticket_call_chosen(counter_id=floor.counter2.pk, number="A003", reason="x", actor=floor.agent)
    services.ticket_start(counter_id=floor.counter2.pk, actor=floor.agent)
    services.ticket_finish(counter_id=floor.counter2.pk, actor=floor.agent)

    assert calls_in_order(floor, floor.counter2, 3) == ["A001", "A002"]


def test_a_chosen_ticket_that_is_not_waiting_is_refused(floor, waiting_three):
    services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)
    services.ticket_start(counter_id=floor.counter2.pk, actor=floor.agent)
    services.ticket_finish(counter_id=floor.counter2.pk, actor=floor.agent)

    with pytest.raises(IllegalTransition):
        services.ticket_call_chosen(counter_id=floor.counter2.pk, number="A001", reason="x", actor=floor.agent)


def test_api_call_chosen_needs_a_reason(floor, waiting_three, staff_api):
    response = staff_api.post(f"/api/v1/counters/{floor.counter2.pk}/call/", {"number": "A003", "reason": " "},
                              format="json")

    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]


def test_api_call_chosen_answers_the_called_ticket(floor, waiting_three, staff_api):
    response = staff_api.post(f"/api/v1/counters/{floor.counter2.pk}/call/",
                              {"number": "A002", "reason": "预约客户"}, format="json")

    assert (response.status_code, response.json()["number"], response.json()["status"]) == (200, "A002", "called")


def test_api_call_chosen_of_an_unknown_number_is_404(floor, waiting_three, staff_api):
    response = staff_api.post(f"/api/v1/counters/{floor.counter2.pk}/call/",
                              {"number": "A099", "reason": "x"}, format="json")

    assert response.status_code == 404
