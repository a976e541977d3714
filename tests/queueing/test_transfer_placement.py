"""One ticket, several services (一票到底): a transferred ticket keeps its number
and is placed in its new line by the hall's rule."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from queueing import services
from queueing.models import Ticket, TicketEvent
from queueing.selectors import ticket_progress

FIXED_INSTANT = 1_800_000_000.0


@pytest.fixture
def frozen():
    with time_machine.travel(FIXED_INSTANT, tick=False):
        yield timezone.now()


def issue(floor, service, minutes_ago, priority="normal"):
    ticket, _ = services.ticket_issue(outlet=floor.hall, service_code=service, channel="staff", priority=priority,
                                      now=timezone.now() - timedelta(minutes=minutes_ago))
    return ticket


def transferred_with(floor, placement):
    """Enquiry waits H001 (8 min), H002 (6), a vip H003 (5), H004 (1); payment's
    A001 (3 min) is called at counter2 and sent to enquiry. Returns the
    enquiry counter's calls, in order, and the places reported before."""
    floor.hall.transfer_placement = placement
    floor.hall.save()
    issue(floor, "enquiry", 8)
    issue(floor, "enquiry", 6)
    issue(floor, "payment", 3)
    issue(floor, "enquiry", 5, priority="vip")
    issue(floor, "enquiry", 1)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent2)
    services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent2)
    moved = services.ticket_transfer(counter_id=floor.counter2.pk, service_code="enquiry", actor=floor.agent2)
    assert moved.number == "A001"
    services.counter_open(counter_id=floor.counter3.pk, user=floor.agent)
    places = {t.number: ticket_progress(t)["position"]
              for t in Ticket.objects.filter(outlet=floor.hall, status="waiting").select_related("outlet", "service")}
    calls = []
    while (ticket := services.ticket_call_next(counter_id=floor.counter3.pk, actor=floor.agent)) is not None:
        calls.append(ticket.number)
        services.ticket_start(counter_id=floor.counter3.pk, actor=floor.agent)
        services.ticket_finish(counter_id=floor.counter3.pk, actor=floor.agent)
    assert sorted(places, key=places.get) == calls
    return calls


def test_keep_places_a_transferred_ticket_by_its_issue_time(floor, frozen):
    assert transferred_with(floor, "keep") == ["H003", "H001", "H002", "A001", "H004"]


def test_front_places_it_ahead_of_its_new_lines_tickets_of_its_class(floor, frozen):
    assert transferred_with(floor, "front") == ["H003", "A001", "H001", "H002", "H004"]


def test_back_places_it_at_the_end_of_its_new_line(floor, frozen):
    assert transferred_with(floor, "back") == ["H003", "H001", "H002", "H004", "A001"]


def test_the_transfer_event_says_where_it_was_placed_and_its_issue_time_stays(floor, frozen):
    transferred_with(floor, "back")

    ticket = Ticket.objects.get(outlet=floor.hall, number="A001")
    event = TicketEvent.objects.get(ticket=ticket, kind="transferred")
    assert event.detail["placement"] == "back"
    assert ticket.issued_at == timezone.now() - timedelta(minutes=3)
