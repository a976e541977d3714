"""The forecast model (planning.forecast) on generated history with a known
pattern: it beats seasonal naive, finds the pattern, and handles month
starts, holidays, 调休, events and years beyond the calendar."""

from datetime import date, timedelta

import numpy as np
import pytest

from queueing.planning import forecast
from queueing.planning.history import expected_arrivals, hall_profile
from queueing.planning.slots import days_between, exposure
from tests.planning.factories import SEED, busy_counters, drawn_history, plain_setup

NINE_TO_FIVE = slice(18, 34)


def fitted(setup, start: date, end: date, **kwargs):
    return forecast.fit(drawn_history(setup, start, end), **kwargs)


def predicted(model, setup, days, multipliers=None) -> np.ndarray:
    share = np.array([exposure(setup.window(d)) for d in days])
    return model.predict(days, share, multipliers)


def ahead(end: date, count: int = 14) -> list[date]:
    return days_between(end + timedelta(days=1), end + timedelta(days=count))


# --- Better than seasonal naive ------------------------------------------------------------


SPREAD = (4, 6, 8, 12, 16, 20)  # counters: quiet to busy halls


def spread_accuracy() -> list[forecast.Accuracy]:
    return [
        forecast.accuracy(drawn_history(plain_setup(f"T-F{n:02d}", busy_counters(n)), date(2026, 9, 21),
                                        date(2026, 11, 29)), holdout_days=14)  # ten weeks, the last two held out
        for n in SPREAD
    ]


def pooled(results, name: str) -> float:
    """A WAPE over several halls: each hall's weighted by its arrivals."""
    return sum(getattr(r, name) * r.arrivals for r in results) / sum(r.arrivals for r in results)


def test_the_forecast_beats_seasonal_naive_per_slot_in_every_hall():
    for result in spread_accuracy():
        assert result.days == 14 and result.history_days == 56
        assert result.wape_slot < result.naive_wape_slot
        assert result.wape_service_slot < result.naive_wape_service_slot


def test_the_forecast_beats_seasonal_naive_per_hall_day_over_a_spread_of_halls():
    results = spread_accuracy()

    assert pooled(results, "wape_day") < pooled(results, "naive_wape_day")
    assert pooled(results, "wape_slot") < pooled(results, "naive_wape_slot")


def test_the_forecast_comes_close_to_the_poisson_floor():
    setup = plain_setup("T-F20", busy_counters(20))

    result = forecast.accuracy(drawn_history(setup, date(2026, 9, 21), date(2026, 11, 29)), holdout_days=14)

    assert result.floor_slot < result.wape_slot < 1.25 * result.floor_slot


def test_the_forecast_finds_the_pattern_the_history_was_drawn_from():
    setup = plain_setup("T-F20", busy_counters(20))
    end = date(2026, 11, 22)
    days = ahead(end)
    profile = hall_profile(setup, SEED)
    truth = np.array([expected_arrivals(setup, profile, setup.window(d)) for d in days])

    mine = predicted(fitted(setup, end - timedelta(weeks=8, days=-1), end), setup, days)

    assert forecast.wape(mine.sum(axis=(1, 2)), truth.sum(axis=(1, 2))) < 0.06
    assert forecast.wape(mine.sum(axis=1), truth.sum(axis=1)) < 0.08


def test_too_little_history_gives_no_forecast():
    setup = plain_setup()

    assert fitted(setup, date(2026, 11, 2), date(2026, 11, 6)) is None


# --- Weeks, months, holidays ----------------------------------------------------------------


def test_the_forecast_has_the_weekday_and_weekend_shape():
    setup = plain_setup("T-F20", busy_counters(20))
    end = date(2026, 11, 15)
    model = fitted(setup, end - timedelta(weeks=8, days=-1), end)

    by_day = predicted(model, setup, ahead(end)).sum(axis=1)  # days x slots
    tuesday, saturday = by_day[1], by_day[5]  # Nov 17, Nov 21

    assert tuesday[24:26].sum() > 1.6 * tuesday[30:32].sum()  # lunch against mid-afternoon
    assert tuesday[34:36].sum() > 1.5 * tuesday[30:32].sum()  # after work
    assert saturday[NINE_TO_FIVE].sum() < 0.85 * tuesday[NINE_TO_FIVE].sum()
    assert saturday[17] == 0 and tuesday[17] > 0  # 8:30: open on weekdays only


def test_the_forecast_sees_the_month_start_surge_in_payment():
    setup = plain_setup("T-F20", busy_counters(20))
    end = date(2026, 11, 22)
    days = ahead(end)
    codes = [s.code for s in setup.services]

    daily = predicted(fitted(setup, end - timedelta(weeks=10, days=-1), end), setup, days).sum(axis=2)
    tuesday, first_of_month = days.index(date(2026, 11, 24)), days.index(date(2026, 12, 1))

    payment, plan_change = codes.index("payment"), codes.index("plan_change")
    assert daily[first_of_month, payment] > 1.5 * daily[tuesday, payment]
    assert 0.85 < daily[first_of_month, plan_change] / daily[tuesday, plan_change] < 1.15


def test_a_public_holiday_is_forecast_quiet_and_an_adjusted_saturday_as_busy_as_a_weekday():
    setup = plain_setup("T-F20", busy_counters(20))
    end = date(2026, 9, 30)  # history with the Mid-autumn holiday; ahead: National Day, then 调休 on Oct 10
    days = ahead(end)

    by_day = predicted(fitted(setup, end - timedelta(weeks=10, days=-1), end), setup, days).sum(axis=1)
    day = {d: by_day[i] for i, d in enumerate(days)}
    weekday = np.mean([day[date(2026, 10, d)][NINE_TO_FIVE].sum() for d in (12, 13, 14)])

    assert day[date(2026, 10, 2)].sum() < 0.5 * np.mean([day[date(2026, 10, d)].sum() for d in (12, 13, 14)])
    assert 0.88 < day[date(2026, 10, 10)][NINE_TO_FIVE].sum() / weekday < 1.12
    assert day[date(2026, 10, 11)][NINE_TO_FIVE].sum() < 0.85 * weekday  # an ordinary Sunday


def test_without_a_holiday_in_the_history_a_holiday_is_half_an_ordinary_rest_day():
    setup = plain_setup("T-F20", busy_counters(20))
    end = date(2026, 9, 20)  # no holiday since the Dragon Boat festival in June
    model = fitted(setup, end - timedelta(weeks=8, days=-1), end)
    mid_autumn_saturday, ordinary_saturday = date(2026, 9, 26), date(2026, 10, 17)

    holiday, ordinary = predicted(model, setup, [mid_autumn_saturday, ordinary_saturday]).sum(axis=(1, 2))

    assert model.notes
    # A holiday is half of the weekend's average level; an ordinary Saturday is that level less Sunday's effect.
    assert holiday / ordinary == pytest.approx(0.5 * np.exp(model.beta["sun"]), rel=0.02)


def test_days_beyond_the_calendar_are_forecast_as_plain_weekdays_and_weekends():
    setup = plain_setup("T-F20", busy_counters(20))
    end = date(2026, 12, 20)
    days = ahead(end)

    by_day = predicted(fitted(setup, end - timedelta(weeks=8, days=-1), end), setup, days).sum(axis=1)
    day = {d: by_day[i] for i, d in enumerate(days)}

    # New Year's Day 2027 is not known: a Friday (at a month start) like any other, not a quiet holiday.
    assert day[date(2027, 1, 1)].sum() > 0.95 * day[date(2026, 12, 25)].sum()
    assert day[date(2027, 1, 2)][NINE_TO_FIVE].sum() < 0.85 * day[date(2027, 1, 1)][NINE_TO_FIVE].sum()


def test_a_24_hour_hall_is_forecast_through_the_night():
    setup = plain_setup("T-N01", busy_counters(4), all_day=True)
    end = date(2026, 11, 22)

    by_slot = predicted(fitted(setup, end - timedelta(weeks=6, days=-1), end), setup, ahead(end)).sum(axis=(0, 1))

    assert by_slot[:8].sum() == 0  # midnight to 04:00 belongs to the day before
    assert 0 < by_slot[52:56].sum() < 0.2 * by_slot[24:28].sum()


# --- Events ----------------------------------------------------------------------------------


def test_an_event_multiplies_the_forecast_of_its_days_and_services():
    setup = plain_setup()
    end = date(2026, 11, 22)
    days = ahead(end)
    model = fitted(setup, end - timedelta(weeks=6, days=-1), end)
    launch = np.ones((len(days), len(setup.services)))
    launch[2, [s.code for s in setup.services].index("handset")] = 1.5

    plain, promoted = predicted(model, setup, days), predicted(model, setup, days, launch)

    assert np.allclose(promoted, plain * launch[:, :, None])
    assert promoted[2].sum() > plain[2].sum()


def test_history_under_an_event_is_read_as_if_divided_by_it():
    setup = plain_setup("T-F20", busy_counters(20))
    end = date(2026, 11, 22)
    history = drawn_history(setup, end - timedelta(weeks=6, days=-1), end)
    promoted = history.y.copy()
    promoted[-10:-8] *= 2  # a two-day promotion doubled the tickets
    events = np.ones((len(history.days), len(setup.services)))
    events[-10:-8] = 2.0
    days = ahead(end)

    def total(model):
        return predicted(model, setup, days).sum()

    plain = total(forecast.fit(history))
    told = total(forecast.fit(forecast.HallCounts(history.days, history.service_ids, promoted, history.exposure),
                              events))
    untold = total(forecast.fit(forecast.HallCounts(history.days, history.service_ids, promoted, history.exposure)))

    assert told == pytest.approx(plain, rel=0.02)
    assert untold > 1.03 * plain


# --- The figures -------------------------------------------------------------------------------


def test_the_poisson_floor_is_18_percent_at_20_arrivals_and_8_at_100():
    assert forecast.poisson_floor(20) == pytest.approx(0.178, abs=0.001)
    assert forecast.poisson_floor(100) == pytest.approx(0.080, abs=0.001)


def test_wape_is_the_absolute_error_over_what_came():
    assert forecast.wape(np.array([10, 20]), np.array([12, 18])) == pytest.approx(4 / 30)


def test_the_accuracy_gives_each_slot_its_figures_and_floor():
    setup = plain_setup()

    result = forecast.accuracy(drawn_history(setup, date(2026, 10, 12), date(2026, 11, 29)), holdout_days=14)

    slots = {s.slot: s for s in result.by_slot}
    assert "12:00" in slots and "08:30" in slots
    assert all(s.arrivals > 0 and s.wape >= 0 and 0 < s.floor < 1.5 for s in result.by_slot)
    assert sum(s.arrivals for s in result.by_slot) == result.arrivals
