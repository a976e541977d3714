"""The kept count of each waiting line (hall, service, priority class): what
the displays show as "waiting" and what a new ticket's place is counted from.
It must agree with the tickets after every move into or out of a line."""

import importlib
import random

import pytest
from django.apps import apps
from django.db.models import Count

from queueing import services
from queueing.models import Ticket, TicketStatus, WaitingLine
from queueing.selectors import service_summaries, ticket_position
from tests.queueing.factories import build_floor
from tests.queueing.test_call_next import call, issue, open_counter
from tests.threads import run_in_threads

pytestmark = pytest.mark.django_db


def kept(floor):
    """{(service code, rank): waiting} from the kept counts, empty lines left out."""
    return {
        (line.service.code, line.priority_rank): line.waiting
        for line in WaitingLine.objects.filter(outlet=floor.hall).select_related("service")
        if line.waiting
    }


def counted(hall):
    """The same, counted from the tickets."""
    rows = (
        Ticket.objects.filter(outlet=hall, status=TicketStatus.WAITING)
        .values_list("service__code", "priority_rank").annotate(n=Count("id")).order_by()
    )
    return {(code, rank): n for code, rank, n in rows}


def test_issued_tickets_are_counted_in_their_service_and_priority_class(floor):
    issue(floor)
    issue(floor)
    issue(floor, priority="vip")
    issue(floor, service="enquiry", priority="care")

    assert kept(floor) == {("payment", 1): 2, ("payment", 0): 1, ("enquiry", 0): 1}


def test_a_called_ticket_leaves_its_line(floor):
    issue(floor)
    issue(floor)
    open_counter(floor)

    call(floor)

    assert kept(floor) == {("payment", 1): 1}


def test_a_cancelled_ticket_leaves_its_line(floor):
    ticket = issue(floor)
    issue(floor)

    services.ticket_cancel(token=ticket.token)

    assert kept(floor) == {("payment", 1): 1}


def test_a_transferred_ticket_joins_its_new_services_line(floor):
    issue(floor)
    open_counter(floor)
    call(floor)

    services.ticket_transfer(counter_id=floor.counter1.pk, service_code="enquiry", actor=floor.agent)

    assert kept(floor) == {("enquiry", 1): 1}


def test_serving_finishing_and_no_shows_leave_the_lines_alone(floor):
    for _ in range(3):
        issue(floor)
    open_counter(floor)
    call(floor)
    services.ticket_start(counter_id=floor.counter1.pk, actor=floor.agent)
    services.ticket_finish(counter_id=floor.counter1.pk, actor=floor.agent)
    call(floor)
    services.ticket_no_show(counter_id=floor.counter1.pk, actor=floor.agent)

    assert kept(floor) == {("payment", 1): 1}


def test_a_refused_issue_leaves_the_count_as_it_was(floor):
    from halls.models import HallService
    from queueing.errors import DailyCapReached

    HallService.objects.filter(outlet=floor.hall, service=floor.payment).update(daily_cap=1)
    issue(floor)

    with pytest.raises(DailyCapReached):
        issue(floor)

    assert kept(floor) == {("payment", 1): 1}


def test_the_displays_waiting_counts_come_from_the_kept_counts(floor):
    issue(floor)
    issue(floor, priority="care")
    issue(floor, service="enquiry")

    waiting = {s["code"]: s["waiting"] for s in service_summaries(outlet_id=floor.hall.pk)}

    assert waiting == {"payment": 2, "enquiry": 1}


def test_a_tickets_place_counted_from_the_back_matches_the_call_order(floor):
    """Whatever the mix of services and classes, a ticket's place is where the
    counters will really call it."""
    rng = random.Random(7)
    for _ in range(30):
        issue(floor, service=rng.choice(["payment", "enquiry"]), priority=rng.choice(["normal"] * 4 + ["vip", "care"]))
    open_counter(floor)
    places = {t.pk: ticket_position(t) for t in Ticket.objects.filter(outlet=floor.hall, status=TicketStatus.WAITING)}

    # Counter 1 serves both services: every ticket stands in one line, so its
    # place is one more than the tickets called before it.
    called = []
    while (ticket := call(floor)) is not None:
        called.append(ticket.pk)
        services.ticket_start(counter_id=floor.counter1.pk, actor=floor.agent)
        services.ticket_finish(counter_id=floor.counter1.pk, actor=floor.agent)

    assert [places[pk] for pk in called] == list(range(1, 31))


def test_the_migration_counts_the_lines_already_waiting(floor):
    issue(floor)
    issue(floor, priority="vip")
    issue(floor, service="enquiry")
    expected = kept(floor)
    WaitingLine.objects.all().delete()
    migration = importlib.import_module("queueing.migrations.0005_business_day")

    migration.count_waiting_tickets_per_day(apps, None)

    assert kept(floor) == expected


@pytest.mark.django_db(transaction=True)
def test_kiosks_and_agents_at_once_leave_every_line_counted_right(on_postgres):
    """Issuing, calling, cancelling and transferring at the same time from many
    threads: the kept counts still equal the tickets."""
    floor = build_floor()
    for counter, agent in ((floor.counter1, floor.agent), (floor.counter2, floor.agent2)):
        services.counter_open(counter_id=counter.pk, user=agent)
    for _ in range(10):
        issue(floor)
    workers = {0: (floor.counter1, floor.agent), 1: (floor.counter2, floor.agent2)}

    def work(i):
        rng = random.Random(i)
        for _ in range(15):
            if i in workers:
                counter, agent = workers[i]
                ticket = services.ticket_call_next(counter_id=counter.pk, actor=agent)
                if ticket is None:
                    continue
                if rng.random() < 0.3:
                    other = "enquiry" if ticket.service.code == "payment" else "payment"
                    services.ticket_transfer(counter_id=counter.pk, service_code=other, actor=agent)
                else:
                    services.ticket_start(counter_id=counter.pk, actor=agent)
                    services.ticket_finish(counter_id=counter.pk, actor=agent)
            else:
                ticket = issue(floor, service=rng.choice(["payment", "enquiry"]),
                               priority=rng.choice(["normal", "normal", "vip"]))
                if rng.random() < 0.2:
                    services.ticket_cancel(token=ticket.token)

    _, errors = run_in_threads(8, work)

    assert errors == []
    assert kept(floor) == counted(floor.hall)
    assert sum(kept(floor).values()) > 0
