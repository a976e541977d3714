from datetime import timedelta

import pytest
from django.utils import timezone

from queueing import services
from queueing.errors import CounterBusy, CounterNotOpen
from queueing.models import Ticket, TicketStatus
from tests.locks import lock_timeout, rows_locked_elsewhere
from tests.queueing.factories import build_floor
from tests.threads import run_in_threads


def issue(floor, service="payment", priority="normal", at=None):
    ticket, _ = services.ticket_issue(outlet=floor.hall, service_code=service, channel="staff",
                                      priority=priority, now=at)
    return ticket


def open_counter(floor, counter=None, user=None):
    counter = counter or floor.counter1
    services.counter_open(counter_id=counter.pk, user=user or floor.agent)
    return counter


def call(floor, counter=None, user=None):
    counter = counter or floor.counter1
    return services.ticket_call_next(counter_id=counter.pk, actor=user or floor.agent)


@pytest.mark.smoke
def test_call_next_calls_the_longest_waiting_ticket(floor):
    first = issue(floor)
    issue(floor)
    open_counter(floor)

    called = call(floor)

    assert called.pk == first.pk
    assert (called.status, called.counter_id, called.call_count) == ("called", floor.counter1.pk, 1)


def test_vip_and_care_are_called_before_normal(floor):
    now = timezone.now()
    issue(floor, at=now - timedelta(minutes=10))
    care = issue(floor, priority="care", at=now - timedelta(minutes=2))
    vip = issue(floor, priority="vip", at=now - timedelta(minutes=1))
    open_counter(floor)

    first = call(floor)
    services.ticket_start(counter_id=floor.counter1.pk, actor=floor.agent)
    services.ticket_finish(counter_id=floor.counter1.pk, actor=floor.agent)
    second = call(floor)

    assert [first.pk, second.pk] == [care.pk, vip.pk]


def test_call_next_takes_from_every_service_of_the_counter_by_waiting_time(floor):
    now = timezone.now()
    enquiry = issue(floor, "enquiry", at=now - timedelta(minutes=5))
    issue(floor, "payment", at=now - timedelta(minutes=1))
    open_counter(floor)

    assert call(floor).pk == enquiry.pk


def test_a_counter_never_calls_a_service_it_does_not_serve(floor):
    issue(floor, "enquiry")
    open_counter(floor, floor.counter2)

    assert call(floor, floor.counter2) is None


def test_call_next_with_nothing_waiting_returns_nothing(floor):
    open_counter(floor)

    assert call(floor) is None


def test_a_closed_counter_cannot_call(floor):
    issue(floor)

    with pytest.raises(CounterNotOpen):
        call(floor)


def test_a_paused_counter_cannot_call(floor):
    issue(floor)
    open_counter(floor)
    services.counter_pause(counter_id=floor.counter1.pk, actor=floor.agent, reason="break")

    with pytest.raises(CounterNotOpen):
        call(floor)


def test_a_double_press_does_not_skip_a_ticket(floor):
    first = issue(floor)
    second = issue(floor)
    open_counter(floor)
    call(floor)

    with pytest.raises(CounterBusy):
        call(floor)

    assert Ticket.objects.get(pk=first.pk).status == TicketStatus.CALLED
    assert Ticket.objects.get(pk=second.pk).status == TicketStatus.WAITING


def test_a_retried_call_with_the_same_key_returns_the_same_ticket(floor):
    issue(floor)
    issue(floor)
    open_counter(floor)

    first = services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent, request_key="press-1")
    again = services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent, request_key="press-1")

    assert again.pk == first.pk
    assert Ticket.objects.filter(status=TicketStatus.CALLED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_many_agents_calling_at_once_never_share_a_ticket(on_postgres):
    from halls.models import Counter, CounterService
    from tests.halls.factories import UserFactory, member

    floor = build_floor()
    counters, agents = [], []
    for n in range(10, 22):
        counter = Counter.objects.create(outlet=floor.hall, number=n)
        CounterService.objects.create(counter=counter, service=floor.payment, position=0)
        agent = UserFactory(username=f"racer{n}")
        member(agent, floor.hall)
        services.counter_open(counter_id=counter.pk, user=agent)
        counters.append(counter)
        agents.append(agent)
    for _ in range(30):
        issue(floor)

    def serve_until_empty(i):
        called = []
        while True:
            ticket = services.ticket_call_next(counter_id=counters[i].pk, actor=agents[i])
            if ticket is None:
                return called
            called.append(ticket.pk)
            services.ticket_start(counter_id=counters[i].pk, actor=agents[i])
            services.ticket_finish(counter_id=counters[i].pk, actor=agents[i])

    results, errors = run_in_threads(len(counters), serve_until_empty)

    assert errors == []
    called = [pk for batch in results for pk in batch]
    assert len(called) == 30
    assert len(set(called)) == 30
    assert Ticket.objects.filter(status=TicketStatus.DONE).count() == 30


@pytest.mark.django_db(transaction=True)
def test_a_double_press_racing_on_one_counter_calls_one_ticket(on_postgres):
    floor = build_floor()
    for _ in range(5):
        issue(floor)
    open_counter(floor)

    def press(i):
        try:
            return services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent).pk
        except CounterBusy:
            return None

    results, errors = run_in_threads(8, press)

    assert errors == []
    assert len([r for r in results if r is not None]) == 1
    assert Ticket.objects.filter(status=TicketStatus.CALLED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_call_next_passes_over_a_ticket_locked_elsewhere_at_once(on_postgres):
    floor = build_floor()
    oldest = issue(floor, at=timezone.now() - timedelta(minutes=2))
    next_one = issue(floor, at=timezone.now() - timedelta(minutes=1))
    open_counter(floor)

    # Another agent's call holds the oldest ticket's row lock, its transaction open.
    with rows_locked_elsewhere(Ticket, id=oldest.pk), lock_timeout(1.0):
        called = call(floor)

    assert called.pk == next_one.pk
    oldest.refresh_from_db()
    assert oldest.status == TicketStatus.WAITING
