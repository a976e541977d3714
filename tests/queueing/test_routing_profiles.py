"""Work profiles: how a counter chooses among its services, and places in line
that are the order in which tickets are really called, under every profile."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from halls.models import StaffMembership
from queueing import services
from queueing.models import Ticket, TicketStatus
from queueing.selectors import hall_routing, hall_waiting_positions, ticket_progress

FIXED_INSTANT = 1_800_000_000.0


@pytest.fixture
def frozen():
    with time_machine.travel(FIXED_INSTANT, tick=False):
        yield timezone.now()


def issue(floor, service, minutes_ago, priority="normal"):
    ticket, _ = services.ticket_issue(outlet=floor.hall, service_code=service, channel="staff", priority=priority,
                                      now=timezone.now() - timedelta(minutes=minutes_ago))
    return ticket


def set_profile(floor, counter, profile, *items):
    """items: (service code, position, weight)."""
    body = [{"service": code, "position": position, "weight": weight} for code, position, weight in items] or None
    services.counter_profile_set(counter_id=counter.pk, profile=profile, services=body, actor=floor.agent)


def reported(floor) -> dict[str, int]:
    """Every waiting ticket's place as its holder sees it (API, ticket page),
    checked against what the refresher sends (the socket)."""
    waiting = Ticket.objects.filter(outlet=floor.hall, status=TicketStatus.WAITING, parked=False)
    places = {t.number: ticket_progress(t)["position"] for t in waiting.select_related("outlet", "service")}
    pushed = hall_waiting_positions(outlet_id=floor.hall.pk)
    assert {t.number: pushed[t.pk]["position"] for t in waiting} == places
    return places


def in_place_order(places: dict[str, int]) -> list[str]:
    assert sorted(places.values()) == list(range(1, len(places) + 1)), places
    return sorted(places, key=places.get)


def open_counters(floor, *counters):
    for counter, agent in zip(counters, [floor.agent, floor.agent2, *[None] * 3], strict=False):
        if agent is None:
            from tests.halls.factories import UserFactory, member

            agent = UserFactory(username=f"extra-{counter.pk}")
            member(agent, floor.hall)
        services.counter_open(counter_id=counter.pk, user=agent)


def call_in_turn(floor, *counters) -> list[str]:
    """Call-next until nothing waits, each time at the counter that is free
    first (as the estimates play it: a ticket takes its service's mean
    handle time; counters free together call in the order of their ids)."""
    means = {floor.payment.pk: floor.payment.default_handle_seconds,
             floor.enquiry.pk: floor.enquiry.default_handle_seconds}
    free = {c.pk: 0.0 for c in counters}
    called = []
    while free:
        counter_id = min(free, key=lambda c: (free[c], c))
        counter = next(c for c in counters if c.pk == counter_id)
        agent = counter.__class__.objects.get(pk=counter_id).signed_in_user
        ticket = services.ticket_call_next(counter_id=counter_id, actor=agent)
        if ticket is None:
            del free[counter_id]
            continue
        called.append(ticket.number)
        services.ticket_start(counter_id=counter_id, actor=agent)
        services.ticket_finish(counter_id=counter_id, actor=agent)
        free[counter_id] += means[ticket.service_id]
    return called


# --- One counter: its profile alone decides ------------------------------------------------


def test_fifo_calls_vip_and_care_first_then_the_longest_waiting_across_services(floor, frozen):
    issue(floor, "payment", 10)
    issue(floor, "enquiry", 8)
    issue(floor, "payment", 2, priority="vip")
    issue(floor, "enquiry", 1, priority="care")
    issue(floor, "payment", 5)
    open_counters(floor, floor.counter1)

    places = reported(floor)

    assert in_place_order(places) == ["A002", "H002", "A001", "H001", "A003"]
    assert call_in_turn(floor, floor.counter1) == in_place_order(places)


def test_strict_empties_the_first_services_line_before_the_second_even_of_vips(floor, frozen):
    set_profile(floor, floor.counter1, "strict", ("enquiry", 0, 1), ("payment", 1, 1))
    issue(floor, "payment", 10)
    issue(floor, "enquiry", 5)
    issue(floor, "payment", 1, priority="vip")
    issue(floor, "enquiry", 3)
    open_counters(floor, floor.counter1)

    places = reported(floor)

    assert in_place_order(places) == ["H001", "H002", "A002", "A001"]
    assert call_in_turn(floor, floor.counter1) == in_place_order(places)


def test_strict_puts_vip_and_care_first_within_a_service(floor, frozen):
    set_profile(floor, floor.counter1, "strict", ("payment", 0, 1), ("enquiry", 1, 1))
    issue(floor, "payment", 10)
    issue(floor, "payment", 1, priority="care")
    issue(floor, "enquiry", 20, priority="vip")
    open_counters(floor, floor.counter1)

    places = reported(floor)

    assert in_place_order(places) == ["A002", "A001", "H001"]
    assert call_in_turn(floor, floor.counter1) == in_place_order(places)


def test_strict_services_in_the_same_position_share_a_turn_by_waiting_time(floor, frozen):
    set_profile(floor, floor.counter1, "strict", ("payment", 0, 1), ("enquiry", 0, 1))
    issue(floor, "payment", 3)
    issue(floor, "enquiry", 5)
    open_counters(floor, floor.counter1)

    places = reported(floor)

    assert call_in_turn(floor, floor.counter1) == in_place_order(places) == ["H001", "A001"]


def test_weighted_calls_the_largest_waited_time_times_weight(floor, frozen):
    set_profile(floor, floor.counter1, "weighted", ("payment", 0, 1), ("enquiry", 1, 3))
    issue(floor, "payment", 10)  # 600 s x 1
    issue(floor, "enquiry", 4)  # 240 s x 3 = 720
    issue(floor, "enquiry", 2)  # 120 s x 3 = 360
    issue(floor, "payment", 7)  # 420 s x 1
    issue(floor, "payment", 0.5, priority="vip")  # vip and care still first
    open_counters(floor, floor.counter1)

    places = reported(floor)

    assert in_place_order(places) == ["A003", "H001", "A001", "A002", "H002"]
    assert call_in_turn(floor, floor.counter1) == in_place_order(places)


# --- Overlapping counters: the order in which the floor calls ------------------------------


def overlapping_line(floor):
    issue(floor, "payment", 12)
    issue(floor, "enquiry", 11)
    issue(floor, "payment", 9)
    issue(floor, "enquiry", 8, priority="care")
    issue(floor, "enquiry", 6)
    issue(floor, "payment", 4)
    issue(floor, "payment", 3)
    issue(floor, "enquiry", 2)
    issue(floor, "payment", 1, priority="vip")


@pytest.mark.parametrize("profile,items", [
    ("fifo", ()),
    ("strict", (("enquiry", 0, 1), ("payment", 1, 1))),
    ("strict", (("payment", 0, 1), ("enquiry", 1, 1))),
    ("weighted", (("payment", 0, 1), ("enquiry", 1, 4))),
    ("weighted", (("payment", 0, 5), ("enquiry", 1, 1))),
])
def test_overlapping_counters_call_in_the_order_of_the_places_they_report(floor, frozen, profile, items):
    # counter1 serves both services by `profile`; counter2 payment, counter3 enquiry.
    set_profile(floor, floor.counter1, profile, *items)
    overlapping_line(floor)
    open_counters(floor, floor.counter1, floor.counter2, floor.counter3)

    places = reported(floor)

    assert call_in_turn(floor, floor.counter1, floor.counter2, floor.counter3) == in_place_order(places)


def test_two_strict_counters_in_opposite_orders_call_in_the_order_of_the_places(floor, frozen):
    set_profile(floor, floor.counter1, "strict", ("payment", 0, 1), ("enquiry", 1, 1))
    set_profile(floor, floor.counter3, "strict", ("enquiry", 0, 1), ("payment", 1, 1))
    overlapping_line(floor)
    open_counters(floor, floor.counter1, floor.counter3)

    places = reported(floor)

    assert call_in_turn(floor, floor.counter1, floor.counter3) == in_place_order(places)


def test_counters_of_one_service_set_in_call_order_keep_the_fast_count(floor, frozen):
    set_profile(floor, floor.counter2, "fifo", ("payment", 0, 1), ("enquiry", 1, 1))
    overlapping_line(floor)
    open_counters(floor, floor.counter1, floor.counter2)

    assert hall_routing(outlet_id=floor.hall.pk)["inexact"] == set()
    places = reported(floor)
    assert call_in_turn(floor, floor.counter1, floor.counter2) == in_place_order(places)


# --- Whose profile, and changing it live ----------------------------------------------------


def test_the_agents_own_profile_follows_them_to_the_counter(floor, frozen):
    set_profile(floor, floor.counter1, "fifo", ("enquiry", 0, 1), ("payment", 1, 1))
    StaffMembership.objects.filter(user=floor.agent, outlet=floor.hall).update(profile="strict")
    issue(floor, "payment", 10)
    issue(floor, "enquiry", 5)
    open_counters(floor, floor.counter1)

    first = services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)

    assert first.number == "H001"


def test_a_profile_changed_while_open_applies_to_the_next_call(floor, frozen):
    issue(floor, "payment", 10)
    issue(floor, "enquiry", 5)
    open_counters(floor, floor.counter1)
    assert reported(floor) == {"A001": 1, "H001": 2}

    set_profile(floor, floor.counter1, "strict", ("enquiry", 0, 1), ("payment", 1, 1))

    assert reported(floor) == {"H001": 1, "A001": 2}
    assert services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent).number == "H001"
