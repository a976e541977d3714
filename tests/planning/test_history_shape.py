"""Generated history looks like a real hall: its weeks and days, its month
starts and holidays, its busy and quiet halls, and a queue that behaves like
one (planning.history, without a database)."""

from datetime import date, timedelta

import numpy as np

from queueing.models import CancelReason, Priority, TicketEventKind, TicketStatus
from queueing.planning.history import draw_arrivals, hall_profile, simulate_day
from queueing.planning.slots import days_between
from tests.planning.factories import SEED, busy_counters, plain_setup

LUNCH = slice(24, 26)  # 12:00-13:00
AFTERNOON = slice(30, 32)  # 15:00-16:00
AFTER_WORK = slice(34, 36)  # 17:00-18:00
MORNING = slice(19, 21)  # 9:30-10:30
NINE_TO_FIVE = slice(18, 34)


def arrivals(setup, day: date) -> np.ndarray:
    """services x slots"""
    return draw_arrivals(setup, hall_profile(setup, SEED), setup.window(day), seed=SEED)


def weekdays(start: date, end: date) -> list[date]:
    return [d for d in days_between(start, end) if d.weekday() < 5]


def simulated(setup, days):
    profile = hall_profile(setup, SEED)
    return [simulate_day(setup, profile, setup.window(day), seed=SEED) for day in days]


def minutes_waited(ticket) -> float:
    return (ticket.first_called_at - ticket.issued_at).total_seconds() / 60


def local_hour(ticket) -> float:
    local = ticket.issued_at.astimezone(ticket.issued_at.tzinfo)
    return local.hour + local.minute / 60


# --- Volumes ------------------------------------------------------------------------


def test_a_hall_with_twenty_counters_sees_500_to_2000_customers_on_a_weekday():
    days = weekdays(date(2026, 11, 9), date(2026, 11, 27))

    totals = [arrivals(plain_setup(f"T-B{i:02d}", busy_counters(20)), day).sum() for i in range(6) for day in days]

    assert 500 <= min(totals) and max(totals) <= 2000


def test_halls_with_fewer_counters_see_fewer_customers():
    by_size = {n: hall_profile(plain_setup(f"T-S{n}", busy_counters(n)), SEED).volume for n in (4, 8, 20)}

    assert by_size[4] < by_size[8] < by_size[20]
    assert hall_profile(plain_setup("T-S4", busy_counters(4)), SEED).tier == "quiet"


# --- The shape of a week and a day -------------------------------------------------------


def test_a_weekday_has_a_lunch_peak_and_an_after_work_peak():
    setup = plain_setup("T-B01", busy_counters(20))

    by_slot = sum(arrivals(setup, day).sum(axis=0) for day in weekdays(date(2026, 11, 9), date(2026, 11, 20)))

    assert by_slot[LUNCH].sum() > 1.6 * by_slot[AFTERNOON].sum()
    assert by_slot[AFTER_WORK].sum() > 1.5 * by_slot[AFTERNOON].sum()
    assert by_slot[LUNCH].sum() > 1.6 * by_slot[MORNING].sum()


def test_payment_is_heavier_in_the_first_days_of_the_month():
    setup = plain_setup("T-B01", busy_counters(20))
    codes = [s.code for s in setup.services]
    month_start = [date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)]  # Tuesday to Thursday
    mid_month = [date(2026, 11, d) for d in (17, 18, 19, 24, 25, 26)]

    def daily(code, days):
        return np.mean([arrivals(setup, day)[codes.index(code)].sum() for day in days])

    assert daily("payment", month_start) > 1.4 * daily("payment", mid_month)
    assert 0.85 < daily("plan_change", month_start) / daily("plan_change", mid_month) < 1.15


def test_weekends_are_quieter_than_weekdays():
    setup = plain_setup("T-B01", busy_counters(20))

    weekday = np.mean([arrivals(setup, d)[:, NINE_TO_FIVE].sum() for d in weekdays(date(2026, 11, 9), date(2026, 11, 20))])
    saturday = np.mean([arrivals(setup, date(2026, 11, d))[:, NINE_TO_FIVE].sum() for d in (14, 21, 28)])

    assert saturday < 0.85 * weekday


def test_a_public_holiday_is_quiet():
    setup = plain_setup("T-B01", busy_counters(20))

    national_day = arrivals(setup, date(2026, 10, 2)).sum()  # a Friday
    fridays = np.mean([arrivals(setup, date(2026, 10, d)).sum() for d in (16, 23, 30)])

    assert national_day < 0.5 * fridays


def test_an_adjusted_working_saturday_is_as_busy_as_a_weekday():
    setup = plain_setup("T-B01", busy_counters(20))
    adjusted = date(2026, 10, 10)  # 调休: a Saturday worked for the National Day week
    ordinary = date(2026, 10, 17)

    weekday = np.mean([arrivals(setup, d)[:, NINE_TO_FIVE].sum() for d in weekdays(date(2026, 10, 12), date(2026, 10, 23))])

    assert 0.88 < arrivals(setup, adjusted)[:, NINE_TO_FIVE].sum() / weekday < 1.12
    assert arrivals(setup, ordinary)[:, NINE_TO_FIVE].sum() < 0.85 * weekday


def test_each_hall_has_its_own_service_mix():
    first, second = hall_profile(plain_setup("T-M1"), SEED), hall_profile(plain_setup("T-M2"), SEED)

    assert first.mix != second.mix
    assert abs(sum(first.mix.values()) - 1) < 1e-9
    payment = plain_setup().services[0].id
    assert max(first.mix, key=first.mix.get) == payment


# --- A queue that behaves like one ----------------------------------------------------------


def test_waits_grow_at_the_lunch_peak():
    days = simulated(plain_setup(), weekdays(date(2026, 11, 9), date(2026, 11, 20)))
    called = [t for day in days for t in day.tickets if t.first_called_at]

    lunch = np.mean([minutes_waited(t) for t in called if 12 <= local_hour(t) < 13])
    morning = np.mean([minutes_waited(t) for t in called if 9.5 <= local_hour(t) < 10.5])

    assert lunch > 2 * morning


def test_more_customers_give_up_when_the_waits_are_long():
    days = simulated(plain_setup(), weekdays(date(2026, 11, 9), date(2026, 11, 20)))
    tickets = [t for day in days for t in day.tickets]

    def gave_up(hours):
        issued = [t for t in tickets if hours[0] <= local_hour(t) < hours[1]]
        return sum(t.cancel_reason == CancelReason.CUSTOMER for t in issued) / len(issued)

    assert gave_up((12, 13)) > 1.5 * gave_up((9.5, 10.5))
    assert 0.02 < sum(t.cancel_reason == CancelReason.CUSTOMER for t in tickets) / len(tickets) < 0.25


def test_no_shows_are_likelier_after_a_long_wait():
    days = simulated(plain_setup(), weekdays(date(2026, 11, 2), date(2026, 11, 27)))
    called = [t for day in days for t in day.tickets if t.first_called_at]

    def no_show_share(low, high):
        group = [t for t in called if low <= minutes_waited(t) < high]
        return sum(t.status == TicketStatus.NO_SHOW for t in group) / len(group)

    assert no_show_share(15, 1e9) > 1.5 * no_show_share(0, 3)


def test_handle_times_centre_on_the_services_default():
    setup = plain_setup()
    days = simulated(setup, weekdays(date(2026, 11, 9), date(2026, 11, 13)))
    payment = setup.services[0]

    served = [(t.finished_at - t.started_at).total_seconds() for d in days for t in d.tickets
              if t.service_id == payment.id and t.status == TicketStatus.DONE]

    assert 0.75 * payment.handle_seconds < np.mean(served) < 1.2 * payment.handle_seconds
    assert np.std(served) > 0.3 * payment.handle_seconds


def test_counters_call_vip_and_care_first_then_the_earliest_ticket():
    setup = plain_setup()
    day = simulated(setup, [date(2026, 11, 9)])[0]
    services_of = {c.id: set(c.service_ids) for c in setup.counters}
    rank = {Priority.VIP: 0, Priority.CARE: 0, Priority.NORMAL: 1}

    def waiting_at(ticket, moment):
        gone = ticket.first_called_at or ticket.finished_at
        return ticket.issued_at <= moment and gone > moment

    for ticket in day.tickets:
        if ticket.first_called_at is None:
            continue
        moment = ticket.first_called_at
        ahead = [
            other for other in day.tickets
            if other is not ticket and other.service_id in services_of[ticket.counter_id] and waiting_at(other, moment)
            and (rank[other.priority], other.issued_at) < (rank[ticket.priority], ticket.issued_at)
        ]
        assert ahead == [], ticket.prefix + str(ticket.sequence)


def test_there_are_no_transfers():
    day = simulated(plain_setup(), [date(2026, 11, 9)])[0]

    assert all(e.kind != TicketEventKind.TRANSFERRED for t in day.tickets for e in t.events)


def test_a_24_hour_hall_is_quiet_at_night_and_closes_its_counters_before_the_next_day_opens():
    setup = plain_setup("T-N01", busy_counters(4), all_day=True)
    day = date(2026, 11, 10)
    next_morning = setup.window(day + timedelta(days=1)).first_open

    history = simulated(setup, [day])[0]
    by_slot = arrivals(setup, day).sum(axis=0)

    assert by_slot[52:56].sum() < 0.2 * by_slot[24:28].sum()  # 02:00-04:00 against 12:00-14:00
    assert max(e.at for e in history.counter_events) <= next_morning
    assert all(t.issued_at < next_morning for t in history.tickets)


# --- Drawn from a seed --------------------------------------------------------------------


def test_the_same_seed_draws_the_same_day():
    setup = plain_setup()
    profile = hall_profile(setup, SEED)
    window = setup.window(date(2026, 11, 9))

    first = simulate_day(setup, profile, window, seed=SEED)
    second = simulate_day(setup, profile, window, seed=SEED)

    assert first == second


def test_another_seed_draws_another_day():
    setup = plain_setup()
    window = setup.window(date(2026, 11, 9))

    first = simulate_day(setup, hall_profile(setup, 1), window, seed=1)
    second = simulate_day(setup, hall_profile(setup, 2), window, seed=2)

    assert [t.issued_at for t in first.tickets] != [t.issued_at for t in second.tickets]


def test_draw_arrivals_counts_the_tickets_the_simulation_issues():
    setup = plain_setup()
    day = date(2026, 11, 9)

    history = simulated(setup, [day])[0]
    counted = draw_arrivals(setup, hall_profile(setup, SEED), setup.window(day), seed=SEED)

    assert counted.sum() == len(history.tickets)
