"""Place in line and wait estimates."""

from datetime import timedelta

import pytest
from django.utils import timezone

from queueing import services
from queueing.estimates import CounterNow, Handle, line_estimates, naive_wait_seconds
from queueing.events import hall_snapshot
from queueing.models import HandleTime
from queueing.selectors import (
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


# --- Playing the line forward (queueing.estimates, pure) ---------------------------------

PAY, ENQ = 1, 2
HANDLE = {PAY: Handle(120.0, 60.0), ENQ: Handle(300.0, 150.0)}


def counter(counter_id, *services, current=None):
    return CounterNow(counter_id, frozenset(services), current)


def waits(line):
    return {ticket_id: estimate.seconds for ticket_id, estimate in line.tickets.items()}


def test_two_idle_counters_take_the_first_two_at_once_and_the_next_after_a_handle_time():
    line = line_estimates(counters=[counter(1, PAY), counter(2, PAY)],
                          waiting=[(10, PAY), (11, PAY), (12, PAY), (13, PAY)], handle=HANDLE)

    assert waits(line) == {10: 0, 11: 0, 12: 120, 13: 120}
    assert line.services[PAY].seconds == 240


def test_the_time_left_on_a_ticket_being_served_counts():
    # Served for 70 of its 120 s: the counter is free in 50 s.
    line = line_estimates(counters=[counter(1, PAY, current=(PAY, "serving", 70))], waiting=[(10, PAY)],
                          handle=HANDLE)

    assert waits(line) == {10: 50}


def test_a_called_customer_walks_up_before_being_served():
    line = line_estimates(counters=[counter(1, PAY, current=(PAY, "called", 10))], waiting=[(10, PAY)], handle=HANDLE)

    assert waits(line) == {10: 20 + 120}


def test_a_ticket_served_longer_than_its_mean_still_has_some_time_left():
    line = line_estimates(counters=[counter(1, PAY, current=(PAY, "serving", 500))], waiting=[], handle=HANDLE)

    assert line.services[PAY].seconds == 36  # 30 % of a mean handle time


def test_a_counter_serving_two_services_takes_them_in_call_order():
    # Counter 1 serves both; the enquiry ticket came first, so payment waits for it.
    line = line_estimates(counters=[counter(1, PAY, ENQ)], waiting=[(10, ENQ), (11, PAY)], handle=HANDLE)

    assert waits(line) == {10: 0, 11: 300}


def test_a_counter_serving_two_services_counts_for_each_in_part():
    # Payment has its own counter and shares counter 1 with enquiry.
    counters = [counter(1, PAY, ENQ), counter(2, PAY)]
    waiting = [(10, ENQ), (11, PAY), (12, PAY), (13, PAY)]

    line = line_estimates(counters=counters, waiting=waiting, handle=HANDLE)

    # Counter 2 takes 11 now and 12 at 120 s; 13 goes to counter 2 at 240 s (counter 1 is busy until 300 s).
    assert waits(line) == {10: 0, 11: 0, 12: 120, 13: 240}
    assert line.services[PAY].seconds == 300 and line.services[ENQ].seconds == 300


def test_a_service_no_open_counter_serves_assumes_one_will_open():
    line = line_estimates(counters=[counter(1, PAY)], waiting=[(10, ENQ), (11, ENQ)], handle=HANDLE,
                          planned={ENQ: {ENQ}})

    assert waits(line) == {10: 300, 11: 600}
    assert line.services[ENQ].seconds == 900


def test_every_estimate_has_a_range_around_it_that_widens_down_the_line():
    line = line_estimates(counters=[counter(1, PAY)], waiting=[(i, PAY) for i in range(10)], handle=HANDLE)

    near, far = line.tickets[1], line.tickets[9]
    assert near.low <= near.seconds <= near.high and far.low <= far.seconds <= far.high
    assert far.high - far.low > near.high - near.low


def test_the_naive_estimate_divides_the_line_among_open_counters():
    assert naive_wait_seconds(position=4, open_counters=2, handle_seconds=120) == 240
    assert naive_wait_seconds(position=3, open_counters=0, handle_seconds=100) == 300


# --- In the hall -------------------------------------------------------------------------


def test_a_service_with_nobody_waiting_and_no_counter_open_estimates_one_handle_time(floor):
    assert summary(floor, "payment")["estimated_wait_seconds"] == 120


def test_an_open_idle_counter_means_no_wait(floor):
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)

    assert summary(floor, "payment")["estimated_wait_seconds"] == 0


def test_a_summary_has_the_waiting_count_the_estimate_and_its_range(floor):
    issue(floor)

    payment = summary(floor, "payment")

    assert set(payment) == {"code", "name", "name_en", "prefix", "waiting", "estimated_wait_seconds",
                            "estimated_wait_range"}
    low, high = payment["estimated_wait_range"]
    assert low <= payment["estimated_wait_seconds"] <= high


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
    for _ in range(3):
        issue(floor)
        services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent, now=start)
        services.ticket_start(counter_id=floor.counter2.pk, actor=floor.agent, now=start)
        services.ticket_finish(counter_id=floor.counter2.pk, actor=floor.agent, now=start + timedelta(seconds=60))
    issue(floor)
    issue(floor)

    # The first is taken at once, the second after one 60 s service.
    assert summary(floor, "payment")["estimated_wait_seconds"] == 120


def test_the_halls_own_history_for_the_hour_replaces_the_default(floor):
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    HandleTime.objects.create(outlet=floor.hall, service=floor.payment, hour=timezone.localtime().hour,
                              mean_seconds=200, sd_seconds=80, samples=100, computed_at=timezone.now())
    issue(floor)
    issue(floor)

    # A ticket taken now follows two services of 200 s each.
    assert summary(floor, "payment")["estimated_wait_seconds"] == 400


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

    # Whatever the line's length; on a cold cache 4 read the hall's setup, 3 its handle times.
    with django_assert_max_num_queries(16):
        hall_snapshot(floor.hall)


# --- Learning handle times --------------------------------------------------------------


def served_at(floor, start, seconds):
    """A payment ticket taken and served at counter 2 from `start` for `seconds`."""
    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk", now=start)
    services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent, now=start)
    services.ticket_start(counter_id=floor.counter2.pk, actor=floor.agent, now=start)
    services.ticket_finish(counter_id=floor.counter2.pk, actor=floor.agent, now=start + timedelta(seconds=seconds))


def test_handle_times_are_learned_per_service_and_hour_of_the_day(floor):
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    ten = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=1)
    for seconds in (100, 200, 300):
        served_at(floor, ten, seconds)
    served_at(floor, ten + timedelta(hours=5), 60)

    services.handle_times_learn()

    learned = {row.hour: row for row in HandleTime.objects.filter(outlet=floor.hall, service=floor.payment)}
    assert set(learned) == {10, 15}
    assert (learned[10].samples, round(learned[10].mean_seconds)) == (3, 200)


def test_learning_again_replaces_what_was_learned(floor):
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    served_at(floor, timezone.now() - timedelta(days=1), 100)
    services.handle_times_learn()

    services.handle_times_learn()

    assert HandleTime.objects.filter(outlet=floor.hall).count() == 1


def test_tickets_older_than_four_weeks_are_not_learned_from(floor):
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    served_at(floor, timezone.now() - timedelta(days=40), 100)

    services.handle_times_learn()

    assert not HandleTime.objects.exists()
