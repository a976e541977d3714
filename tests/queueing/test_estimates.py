"""Place in line and wait estimates."""

from datetime import timedelta

import pytest
from django.utils import timezone

from queueing import services
from queueing.events import hall_snapshot
from queueing.selectors import (
    estimate_wait_seconds,
    hall_waiting_positions,
    service_summaries,
    ticket_position,
)


def issue(floor, service="payment", priority="normal", minutes_ago=0):
    now = timezone.now() - timedelta(minutes=minutes_ago)
    return services.ticket_issue(outlet=floor.hall, service_code=service, channel="staff", priority=priority,
                                 now=now)[0]


def summary(floor, code):
    return next(s for s in service_summaries(outlet_id=floor.hall.pk) if s["code"] == code)


def test_the_first_in_line_is_position_one(floor):
    ticket = issue(floor)

    assert ticket_position(ticket) == 1


def test_a_vip_ticket_goes_ahead_of_normal_ones(floor):
    normal = issue(floor, minutes_ago=5)
    vip = issue(floor, priority="vip")

    assert (ticket_position(vip), ticket_position(normal)) == (1, 2)


def test_position_counts_other_services_the_same_counters_call_first(floor):
    # Counter 1 serves payment and enquiry: an older enquiry ticket is called before this payment one.
    issue(floor, "enquiry", minutes_ago=5)
    payment = issue(floor, "payment")

    assert ticket_position(payment) == 2


def test_the_whole_halls_positions_agree_with_each_tickets_position(floor):
    tickets = [issue(floor, "enquiry", minutes_ago=9), issue(floor, minutes_ago=8),
               issue(floor, priority="care", minutes_ago=1), issue(floor, "enquiry", minutes_ago=3), issue(floor)]

    lines = hall_waiting_positions(outlet_id=floor.hall.pk)

    assert {t.pk: lines[t.pk]["position"] for t in tickets} == {t.pk: ticket_position(t) for t in tickets}


def test_estimates_divide_the_line_among_open_counters():
    assert estimate_wait_seconds(position=4, open_counters=2, handle_seconds=120) == 240
    assert estimate_wait_seconds(position=5, open_counters=2, handle_seconds=120) == 360


def test_with_no_counter_open_the_estimate_assumes_one_will_open():
    assert estimate_wait_seconds(position=3, open_counters=0, handle_seconds=100) == 300


def test_a_service_with_nobody_waiting_estimates_one_handle_time(floor):
    assert summary(floor, "payment") == {"code": "payment", "name": "缴费充值", "name_en": "Payment", "prefix": "A",
                                         "waiting": 0, "estimated_wait_seconds": 120}


def test_opening_more_counters_shortens_the_estimate(floor):
    for _ in range(4):
        issue(floor)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    one_counter = summary(floor, "payment")["estimated_wait_seconds"]

    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent2)

    assert summary(floor, "payment")["estimated_wait_seconds"] < one_counter


def test_measured_handle_times_replace_the_default(floor):
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    start = timezone.now() - timedelta(hours=1)
    for i in range(3):
        issue(floor)
        services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent, now=start)
        services.ticket_start(counter_id=floor.counter2.pk, actor=floor.agent, now=start)
        services.ticket_finish(counter_id=floor.counter2.pk, actor=floor.agent, now=start + timedelta(seconds=60))

    assert summary(floor, "payment")["estimated_wait_seconds"] == 60


@pytest.mark.smoke
def test_the_queue_snapshot_has_the_contract_shape(floor):
    issue(floor)

    snapshot = hall_snapshot(floor.hall)

    assert {"hall", "seq", "generated_at", "services", "now_serving", "alert"} <= set(snapshot)
    assert snapshot["alert"] is None


def test_the_queue_snapshot_lists_who_is_being_served_where(floor):
    issue(floor)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)

    serving = hall_snapshot(floor.hall)["now_serving"]

    assert [(s["number"], s["counter"], s["service"]) for s in serving] == [("A001", 2, "payment")]


def test_the_queue_snapshot_takes_a_bounded_number_of_queries(floor, django_assert_max_num_queries):
    for i in range(10):
        issue(floor, "payment" if i % 2 else "enquiry")

    # Whatever the line's length; 4 of them read the hall's setup into a cold cache.
    with django_assert_max_num_queries(12):
        hall_snapshot(floor.hall)
