"""The ticket and counter state machines: every legal change, and every illegal one refused."""

import pytest

from halls.errors import UnknownService
from queueing import services
from queueing.errors import (
    CounterBusy,
    CounterInUse,
    CounterNotOpen,
    IllegalTransition,
    NoCurrentTicket,
    SameService,
    SignedInElsewhere,
)
from queueing.models import CounterEvent, Ticket, TicketEvent


def issue(floor, service="payment"):
    return services.ticket_issue(outlet=floor.hall, service_code=service, channel="kiosk")[0]


def at_counter(floor, status):
    """A ticket brought to `status` at counter 1 (open, signed in by floor.agent)."""
    ticket = issue(floor)
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)
    if status == "waiting":
        return ticket
    services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)
    if status == "serving":
        services.ticket_start(counter_id=floor.counter1.pk, actor=floor.agent)
    if status == "done":
        services.ticket_start(counter_id=floor.counter1.pk, actor=floor.agent)
        services.ticket_finish(counter_id=floor.counter1.pk, actor=floor.agent)
    if status == "no_show":
        services.ticket_no_show(counter_id=floor.counter1.pk, actor=floor.agent)
    ticket.refresh_from_db()
    assert ticket.status == status
    return ticket


def act(floor, action, **kwargs):
    fn = getattr(services, f"ticket_{action}")
    return fn(counter_id=floor.counter1.pk, actor=floor.agent, **kwargs)


# --- Legal ticket transitions ------------------------------------------------------


@pytest.mark.smoke
def test_start_moves_a_called_ticket_to_serving(floor):
    ticket = at_counter(floor, "called")

    act(floor, "start")

    ticket.refresh_from_db()
    assert ticket.status == "serving" and ticket.started_at is not None


@pytest.mark.smoke
def test_finish_moves_a_serving_ticket_to_done_and_frees_the_counter(floor):
    ticket = at_counter(floor, "serving")

    act(floor, "finish")

    ticket.refresh_from_db()
    assert ticket.status == "done" and ticket.finished_at is not None
    assert services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent) is None


def test_recall_calls_the_same_ticket_again(floor):
    ticket = at_counter(floor, "called")

    act(floor, "recall")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.call_count) == ("called", 2)


def test_no_show_ends_a_called_ticket(floor):
    ticket = at_counter(floor, "called")

    act(floor, "no_show")

    ticket.refresh_from_db()
    assert ticket.status == "no_show"


def test_recalling_past_the_call_limit_makes_a_no_show(floor, settings):
    settings.QUEUE_MAX_CALLS = 3
    ticket = at_counter(floor, "called")
    act(floor, "recall")
    act(floor, "recall")

    act(floor, "recall")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.call_count) == ("no_show", 3)
    assert TicketEvent.objects.filter(ticket=ticket).last().detail == {"reason": "max_calls", "calls": 3}


def test_cancel_takes_a_waiting_ticket_out_of_the_queue(floor):
    ticket = issue(floor)

    services.ticket_cancel(token=ticket.token)

    ticket.refresh_from_db()
    assert ticket.status == "cancelled"


@pytest.mark.parametrize("status", ["called", "serving"])
def test_transfer_puts_the_ticket_back_in_another_queue_with_its_number(floor, status):
    ticket = at_counter(floor, status)

    act(floor, "transfer", service_code="enquiry")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.service.code, ticket.number, ticket.counter_id) == (
        "waiting", "enquiry", "A001", None)


def test_a_transferred_ticket_is_called_by_the_new_services_counters(floor):
    ticket = at_counter(floor, "serving")
    act(floor, "transfer", service_code="enquiry")
    services.counter_open(counter_id=floor.counter3.pk, user=floor.agent2)

    called = services.ticket_call_next(counter_id=floor.counter3.pk, actor=floor.agent2)

    assert called.pk == ticket.pk


# --- Illegal ticket transitions ------------------------------------------------------

ILLEGAL = [
    ("recall", "serving"),
    ("start", "serving"),
    ("finish", "called"),
    ("no_show", "serving"),
]


@pytest.mark.parametrize("action,status", ILLEGAL)
def test_an_illegal_change_of_the_current_ticket_is_refused_and_changes_nothing(floor, action, status):
    ticket = at_counter(floor, status)
    events_before = TicketEvent.objects.count()

    with pytest.raises(IllegalTransition):
        act(floor, action)

    ticket.refresh_from_db()
    assert ticket.status == status
    assert TicketEvent.objects.count() == events_before


@pytest.mark.parametrize("action", ["recall", "start", "finish", "no_show"])
@pytest.mark.parametrize("status", ["done", "no_show"])
def test_a_counter_whose_ticket_has_ended_has_nothing_to_act_on(floor, action, status):
    at_counter(floor, status)

    with pytest.raises(NoCurrentTicket):
        act(floor, action)


def test_transfer_without_a_current_ticket_is_refused(floor):
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)

    with pytest.raises(NoCurrentTicket):
        act(floor, "transfer", service_code="enquiry")


@pytest.mark.parametrize("status", ["called", "serving", "done", "no_show", "cancelled"])
def test_only_a_waiting_ticket_can_be_cancelled(floor, status):
    if status == "cancelled":
        ticket = issue(floor)
        services.ticket_cancel(token=ticket.token)
    else:
        ticket = at_counter(floor, status)

    with pytest.raises(IllegalTransition):
        services.ticket_cancel(token=ticket.token)

    ticket.refresh_from_db()
    assert ticket.status == status


def test_transfer_to_the_same_service_is_refused(floor):
    at_counter(floor, "called")

    with pytest.raises(SameService):
        act(floor, "transfer", service_code="payment")


def test_transfer_to_a_service_the_hall_does_not_offer_is_refused(floor):
    at_counter(floor, "called")

    with pytest.raises(UnknownService):
        act(floor, "transfer", service_code="broadband")


# --- Counter states -----------------------------------------------------------------


def counter_state(floor):
    floor.counter1.refresh_from_db()
    return floor.counter1.state


@pytest.mark.smoke
def test_opening_a_counter_signs_the_agent_in(floor):
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)

    floor.counter1.refresh_from_db()
    assert (floor.counter1.state, floor.counter1.signed_in_user_id) == ("open", floor.agent.pk)


def test_pause_and_resume_keep_the_agent_signed_in(floor):
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)

    services.counter_pause(counter_id=floor.counter1.pk, actor=floor.agent, reason="meeting")
    paused = counter_state(floor), floor.counter1.pause_reason
    services.counter_resume(counter_id=floor.counter1.pk, actor=floor.agent)

    assert paused == ("paused", "meeting")
    assert counter_state(floor) == "open"
    assert floor.counter1.signed_in_user_id == floor.agent.pk


@pytest.mark.parametrize("start", ["open", "paused"])
def test_closing_signs_the_agent_out(floor, start):
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)
    if start == "paused":
        services.counter_pause(counter_id=floor.counter1.pk, actor=floor.agent)

    services.counter_close(counter_id=floor.counter1.pk, actor=floor.agent)

    floor.counter1.refresh_from_db()
    assert (floor.counter1.state, floor.counter1.signed_in_user_id) == ("closed", None)


@pytest.mark.parametrize("action", ["counter_pause", "counter_resume"])
def test_a_closed_counter_cannot_pause_or_resume(floor, action):
    with pytest.raises(CounterNotOpen):
        getattr(services, action)(counter_id=floor.counter1.pk, actor=floor.agent)

    assert counter_state(floor) == "closed"


@pytest.mark.parametrize("action", ["counter_pause", "counter_close"])
def test_a_counter_with_a_ticket_at_it_cannot_pause_or_close(floor, action):
    at_counter(floor, "called")

    with pytest.raises(CounterBusy):
        getattr(services, action)(counter_id=floor.counter1.pk, actor=floor.agent)

    assert counter_state(floor) == "open"


def test_a_counter_another_agent_has_open_cannot_be_taken_over(floor):
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)

    with pytest.raises(CounterInUse):
        services.counter_open(counter_id=floor.counter1.pk, user=floor.agent2)


def test_an_agent_signs_in_to_one_counter_at_a_time(floor):
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)

    with pytest.raises(SignedInElsewhere):
        services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)


def test_opening_an_open_counter_again_changes_nothing(floor):
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)

    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)

    assert CounterEvent.objects.filter(counter=floor.counter1).count() == 1


def test_every_counter_change_is_logged_with_its_reason(floor):
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)
    services.counter_pause(counter_id=floor.counter1.pk, actor=floor.agent, reason="back_office")
    services.counter_resume(counter_id=floor.counter1.pk, actor=floor.agent)
    services.counter_close(counter_id=floor.counter1.pk, actor=floor.agent)

    log = list(CounterEvent.objects.filter(counter=floor.counter1).values_list("kind", "from_state", "to_state",
                                                                                "reason"))
    assert log == [
        ("opened", "closed", "open", ""),
        ("paused", "open", "paused", "back_office"),
        ("resumed", "paused", "open", ""),
        ("closed", "open", "closed", ""),
    ]


# --- The event log --------------------------------------------------------------------


@pytest.mark.smoke
def test_a_ticket_life_is_recorded_in_full(floor):
    ticket = at_counter(floor, "called")
    act(floor, "recall")
    act(floor, "start")
    act(floor, "finish")

    log = list(TicketEvent.objects.filter(ticket=ticket).values_list(
        "kind", "from_status", "to_status", "counter_id", "actor_id"))
    c, a = floor.counter1.pk, floor.agent.pk
    assert log == [
        ("issued", "", "waiting", None, None),
        ("called", "waiting", "called", c, a),
        ("recalled", "called", "called", c, a),
        ("started", "called", "serving", c, a),
        ("finished", "serving", "done", c, a),
    ]


def test_the_event_log_cannot_be_rewritten(floor):
    ticket = issue(floor)
    event = TicketEvent.objects.get(ticket=ticket)

    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        TicketEvent.objects.filter(ticket=ticket).update(kind="called")
    with pytest.raises(TypeError):
        TicketEvent.objects.filter(ticket=ticket).delete()


def test_a_transfer_is_logged_with_both_services(floor):
    ticket = at_counter(floor, "serving")

    act(floor, "transfer", service_code="enquiry")

    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert (event.kind, event.from_status, event.to_status) == ("transferred", "serving", "waiting")
    assert event.detail == {"from_service": "payment", "to_service": "enquiry", "placement": "keep"}
    assert Ticket.objects.get(pk=ticket.pk).service.code == "enquiry"
