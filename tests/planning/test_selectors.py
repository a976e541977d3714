"""Planning's reads for the planning page and the peak-flow warnings."""

from datetime import date, timedelta

import numpy as np
import pytest

from halls.models import StaffRole
from queueing.models import Ticket, TicketStatus
from queueing.planning.models import ArrivalForecast
from queueing.planning.selectors import (
    arrivals_actual,
    forecast_accuracy,
    forecast_for_day,
    forecast_next,
    handle_time_profile,
)
from queueing.planning.services import arrivals_forecast_hall, history_generate
from queueing.services import counter_open, ticket_call_next, ticket_issue, ticket_transfer
from tests.halls.factories import UserFactory, member
from tests.planning.factories import DEMO_COUNTERS, SEED, at, build_hall

TODAY = date(2026, 11, 19)
NIGHT = at(TODAY, 4, 30)
SMALL_HALL = DEMO_COUNTERS[:4]


@pytest.fixture
def hall(db):
    hall = build_hall("T-S01", SMALL_HALL)
    history_generate(outlet_ids=[hall.pk], start=TODAY - timedelta(weeks=3), end=TODAY - timedelta(days=1),
                     seed=SEED, now=NIGHT)
    return hall


def test_forecast_for_day_gives_each_service_its_half_hours_in_order(hall):
    arrivals_forecast_hall(outlet_id=hall.pk, now=NIGHT)

    day = forecast_for_day(hall.pk, TODAY)

    assert set(day) == {"payment", "enquiry", "points", "new_line", "plan_change"}
    payment = day["payment"]
    assert [start for start, _ in payment] == [at(TODAY, 8, 30) + timedelta(minutes=30 * i) for i in range(19)]
    stored = dict(ArrivalForecast.objects.filter(outlet=hall, service__code="payment").values_list(
        "slot_start", "arrivals"))
    assert all(arrivals == stored[start] for start, arrivals in payment)


def test_forecast_for_a_24_hour_halls_day_runs_to_the_next_morning(db):
    hall = build_hall("T-S02", SMALL_HALL, all_day=True)
    history_generate(outlet_ids=[hall.pk], start=TODAY - timedelta(weeks=2), end=TODAY - timedelta(days=1),
                     seed=SEED, now=NIGHT)
    arrivals_forecast_hall(outlet_id=hall.pk, now=NIGHT)

    payment = forecast_for_day(hall.pk, TODAY)["payment"]

    assert (payment[0][0], payment[-1][0], len(payment)) == (at(TODAY, 4), at(TODAY + timedelta(days=1), 3, 30), 48)


def test_a_day_without_a_forecast_has_none(hall):
    assert forecast_for_day(hall.pk, TODAY) == {}


def test_forecast_next_counts_the_part_of_each_slot_in_the_window(hall):
    payment = hall.hall_services.get(service__code="payment").service
    for start, arrivals in ((at(TODAY, 10), 10.0), (at(TODAY, 10, 30), 20.0), (at(TODAY, 11), 40.0)):
        ArrivalForecast.objects.create(outlet=hall, service=payment, slot_start=start, arrivals=arrivals,
                                       base_arrivals=arrivals, made_at=NIGHT)

    assert forecast_next(hall.pk, payment.pk, 30, now=at(TODAY, 10, 15)) == pytest.approx(15.0)
    assert forecast_next(hall.pk, payment.pk, 60, now=at(TODAY, 10)) == pytest.approx(30.0)
    assert forecast_next(hall.pk, payment.pk, 30, now=at(TODAY, 12)) == 0.0


def test_arrivals_actual_counts_tickets_taken_per_service_and_half_hour(db):
    hall = build_hall("T-S03", SMALL_HALL)
    for minute in (5, 20, 40):
        ticket_issue(outlet=hall, service_code="payment", channel="kiosk", now=at(TODAY, 9, minute))
    ticket_issue(outlet=hall, service_code="enquiry", channel="kiosk", now=at(TODAY, 9, 10))

    day = arrivals_actual(hall.pk, TODAY)

    assert day == {"payment": [(at(TODAY, 9), 2), (at(TODAY, 9, 30), 1)], "enquiry": [(at(TODAY, 9), 1)]}


def test_a_transferred_ticket_counts_for_the_service_it_was_taken_for(db):
    hall = build_hall("T-S04", SMALL_HALL)
    agent = UserFactory(username="agent-s04")
    member(agent, hall, StaffRole.AGENT)
    counter = hall.counters.get(number=1)  # payment, enquiry
    ticket_issue(outlet=hall, service_code="payment", channel="kiosk", now=at(TODAY, 9, 5))
    counter_open(counter_id=counter.pk, user=agent, now=at(TODAY, 9, 6))
    ticket_call_next(counter_id=counter.pk, actor=agent, now=at(TODAY, 9, 7))

    ticket_transfer(counter_id=counter.pk, service_code="enquiry", actor=agent, now=at(TODAY, 9, 8))

    assert arrivals_actual(hall.pk, TODAY) == {"payment": [(at(TODAY, 9), 1)]}


def test_handle_time_profile_gives_mean_spread_and_count_per_service_and_hour(hall):
    profile = handle_time_profile(hall.pk, now=at(TODAY, 12))

    served = [
        (finished - started).total_seconds()
        for started, finished in Ticket.objects.filter(
            outlet=hall, service__code="payment", status=TicketStatus.DONE,
            started_at__gte=at(TODAY - timedelta(weeks=3), 0)).values_list("started_at", "finished_at")
        if started.astimezone(NIGHT.tzinfo).hour == 12
    ]
    noon = profile["payment"][12]
    assert noon.samples == len(served)
    assert noon.mean == pytest.approx(np.mean(served)) and noon.sd == pytest.approx(np.std(served, ddof=1))
    assert 60 < noon.mean < 200  # payment takes two minutes by default
    assert profile["new_line"][10].mean > profile["payment"][10].mean


def test_forecast_accuracy_compares_the_last_two_weeks_with_seasonal_naive(hall):
    result = forecast_accuracy(hall.pk, weeks=1, now=NIGHT)

    assert (result.days, result.history_days) == (14, 7)
    assert result.wape_slot < result.naive_wape_slot
    assert 0 < result.floor_slot < result.wape_slot
    assert result.by_slot[0].slot == "08:30"


def test_forecast_accuracy_needs_history(db):
    hall = build_hall("T-S05", SMALL_HALL)

    assert forecast_accuracy(hall.pk, now=NIGHT) is None
