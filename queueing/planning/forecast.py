"""Arrivals per hall, service and half-hour slot for the days ahead, from the
hall's history; and how good that forecast is.

The model. For a hall, the tickets y of service s in slot k of day d are
taken as Poisson with mean

    mu[d, s, k] = open[d, k] * exp(profile[s, c(d), k] + x[d, s] . beta) * events[d, s]

- open[d, k]: the share of the slot the hall is open (its hours and dated
  exceptions; a closed day forecasts nothing);
- profile[s, c, k]: the service's level and intraday shape on a working day
  (c = work: Monday to Friday and 调休 weekend days) or a rest day (c = rest:
  weekends and public holidays), one value per half hour: the lunch and
  after-work peaks, the shorter weekend, enterprise clients in office hours;
- x . beta, the day's effects shared by all slots: the weekday (Monday to
  Friday, coded to sum to zero, so that a 调休 day is an average weekday),
  Sunday against Saturday, a public holiday against an ordinary rest day,
  the start of the month per service (bills: a weight falling from 1 on the
  1st to 0.2 on the 5th), and a linear trend in time (log scale, per year);
- events[d, s]: the multipliers of the manager's ForecastEvents for the day
  (history of those days is divided by them when fitting).

Why this model. Arrivals are counts, and a hall's day is a weekly and daily
rhythm times a few dated effects: a log-linear Poisson model (a GLM)
expresses exactly that, and each effect is a number a manager can read.
It is fitted by maximum likelihood in two alternating blocks, which is the
same maximum likelihood as one large GLM but costs a few milliseconds per
hall instead of seconds:

1. Given beta, the profile has a closed form: per (s, c, k), tickets over
   expected tickets at profile 1, with a little shrinkage (PRIOR_DAYS days'
   worth) towards the hall's pooled shape at the service's level, so a rare
   service (enterprise, a few a day) borrows the hall's shape instead of
   its own noise.
2. Given the profile, beta depends on the data only through the daily
   totals per service: a statsmodels Poisson GLM on days x services rows
   with log(expected tickets at beta = 0) as offset. A handful of columns.

Three rounds of each converge. Per hall: tens of milliseconds for eight
weeks, so the whole city (200 halls) fits in well under a minute; the
database reads and writes cost more than the fitting (benchmarks/forecast.py).

What the history must hold: at least MIN_DAYS days. An effect the history
cannot show (no public holiday in it, no month start) takes a prior instead:
a holiday brings HOLIDAY_PRIOR of an ordinary rest day, and a month start
nothing. Outside the years chinese_calendar covers, days are plain weekdays
and weekends (planning.holidays). A Poisson model is kept although days
wobble a little more than Poisson (weather, news): that changes how sure
the estimates are, not the estimates.

Accuracy (`accuracy`): fitted on the history before the last two weeks,
forecasting those two weeks as the nightly run would (up to 14 days ahead),
and compared with the seasonal naive forecast (the same slot one week
earlier, taken from the actual arrivals even inside the held-out weeks:
the baseline never looks more than a week ahead, the model up to two) by
WAPE = sum |forecast - actual| / sum actual, per hall-day, per hall-slot and
per service-slot. Chance alone leaves a WAPE of about sqrt(2 / (pi x)) at x
arrivals expected in a slot (18 % at 20, 8 % at 100): the Poisson floor,
given per slot and weighted by arrivals.
"""

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from .holidays import DayKind, day_kind
from .slots import SLOTS

MIN_DAYS = 7
ROUNDS = 3
PRIOR_DAYS = 2.0
HOLIDAY_PRIOR = 0.5  # a public holiday against an ordinary rest day, when history has none
MISSING_CLASS_RATIO = 0.7  # rest against work (and back), for a hall whose history lacks one
MONTH_START_DAYS = 5
MONTH_START_MIN_TICKETS = 50  # a service needs this many in its history to get its own month start
TREND_LIMIT = math.log(1.3)  # at most 30 % a year, either way
MONTH_START_LIMIT = (-1.0, 1.5)
WORK, REST = 0, 1


@dataclass
class HallCounts:
    """A hall's history: tickets taken per day, service and slot
    (days x services x SLOTS), and the share of each slot it was open (days x SLOTS)."""

    days: list[date]
    service_ids: list[int]
    y: np.ndarray
    exposure: np.ndarray

    def select(self, keep) -> "HallCounts":
        keep = list(keep)
        return HallCounts([self.days[i] for i in keep], self.service_ids, self.y[keep], self.exposure[keep])


def _class(day: date) -> int:
    return WORK if day_kind(day) in (DayKind.WORKDAY, DayKind.ADJUSTED_WORKDAY) else REST


def month_start_weight(day: date) -> float:
    """1.0 on the 1st, 0.8 on the 2nd ... 0.2 on the 5th, then 0."""
    return max(0.0, (MONTH_START_DAYS + 1 - day.day) / MONTH_START_DAYS) if day.day <= MONTH_START_DAYS else 0.0


def _day_columns(day: date, reference: date) -> dict[str, float]:
    kind = day_kind(day)
    cols = {"mon": 0.0, "tue": 0.0, "wed": 0.0, "thu": 0.0, "sun": 0.0, "holiday": 0.0,
            "trend": (day - reference).days / 365.0}
    if kind == DayKind.WORKDAY:
        if day.weekday() == 4:
            for name in ("mon", "tue", "wed", "thu"):
                cols[name] = -1.0
        else:
            cols[("mon", "tue", "wed", "thu")[day.weekday()]] = 1.0
    elif kind == DayKind.REST:
        cols["sun"] = 1.0 if day.weekday() == 6 else -1.0
    elif kind == DayKind.HOLIDAY:
        cols["holiday"] = 1.0
    return cols


DAY_COLUMNS = ("mon", "tue", "wed", "thu", "sun", "holiday", "trend")


def _design(days: list[date], service_ids: list[int], reference: date) -> tuple[np.ndarray, list[str]]:
    """Rows: (day, service) pairs, day-major. Columns: DAY_COLUMNS, then a month start per service."""
    names = list(DAY_COLUMNS) + [f"month_start:{sid}" for sid in service_ids]
    S = len(service_ids)
    X = np.zeros((len(days) * S, len(names)))
    for i, day in enumerate(days):
        cols = _day_columns(day, reference)
        weight = month_start_weight(day)
        for j in range(S):
            row = X[i * S + j]
            for c, name in enumerate(DAY_COLUMNS):
                row[c] = cols[name]
            row[len(DAY_COLUMNS) + j] = weight
    return X, names


@dataclass
class ArrivalModel:
    """A fitted model (see the module's docstring): `predict` gives the expected arrivals."""

    service_ids: list[int]
    profile: np.ndarray  # log scale: 2 classes x services x SLOTS
    beta: dict[str, float]
    reference: date  # the last day of the history: where the trend is 0
    days: int  # of history
    notes: list[str] = field(default_factory=list)

    def predict(self, days: list[date], exposure: np.ndarray, multipliers: np.ndarray | None = None) -> np.ndarray:
        """Expected arrivals: days x services x SLOTS, for `days` with the
        given share of each slot open (days x SLOTS) and event multipliers
        (days x services)."""
        S = len(self.service_ids)
        X, names = _design(days, self.service_ids, self.reference)
        coef = np.array([self.beta.get(name, 0.0) for name in names])
        eta = (X @ coef).reshape(len(days), S)
        out = np.zeros((len(days), S, SLOTS))
        for i, day in enumerate(days):
            c = _class(day)
            out[i] = exposure[i][None, :] * np.exp(self.profile[c] + eta[i][:, None])
        if multipliers is not None:
            out *= multipliers[:, :, None]
        return np.where(np.isfinite(out), out, 0.0)


def _fill_nearest(values: np.ndarray) -> np.ndarray:
    """Replace NaN with the nearest defined value along the last axis (all-NaN rows stay NaN)."""
    out = values.copy()
    for idx in np.ndindex(values.shape[:-1]):
        row = out[idx]
        defined = np.flatnonzero(~np.isnan(row))
        if len(defined) and len(defined) < len(row):
            nearest = defined[np.abs(np.arange(len(row))[:, None] - defined[None, :]).argmin(axis=1)]
            out[idx] = row[nearest]
    return out


def _profile(y, share, classes, eta) -> np.ndarray:
    """Given the day effects (eta: days x services, log), the log profile per class, service and slot."""
    S = y.shape[1]
    profile = np.full((2, S, SLOTS), -np.inf)
    pooled = np.full((2, SLOTS), np.nan)
    level = np.full((2, S), np.nan)
    num = np.zeros((2, S, SLOTS))
    den = np.zeros((2, S, SLOTS))
    for c in (WORK, REST):
        sel = classes == c
        if not sel.any():
            continue
        num[c] = y[sel].sum(axis=0)
        den[c] = (share[sel][:, None, :] * np.exp(eta[sel])[:, :, None]).sum(axis=0)
        total_den = den[c].sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            pooled[c] = np.where(total_den > 0, num[c].sum(axis=0) / total_den, np.nan)
    pooled = _fill_nearest(pooled)
    for c in (WORK, REST):
        if np.isnan(pooled[c]).all():
            other = 1 - c
            pooled[c] = pooled[other] * (MISSING_CLASS_RATIO if c == REST else 1 / MISSING_CLASS_RATIO)
            continue
        expected = (den[c] * pooled[c][None, :]).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            level[c] = np.where(expected > 0, num[c].sum(axis=1) / expected, np.nan)
    for c in (WORK, REST):
        missing = np.isnan(level[c])
        level[c, missing] = level[1 - c, missing]
    level = np.nan_to_num(level, nan=0.0)
    for c in (WORK, REST):
        prior = level[c][:, None] * pooled[c][None, :]
        prior = np.nan_to_num(prior, nan=0.0)
        with np.errstate(divide="ignore"):
            profile[c] = np.log((num[c] + PRIOR_DAYS * prior) / (den[c] + PRIOR_DAYS))
    return profile


def fit(counts: HallCounts, multipliers: np.ndarray | None = None) -> ArrivalModel | None:
    """Fit the model to a hall's history; None with fewer than MIN_DAYS days."""
    # Imported here: statsmodels takes a second to import, and only the
    # processes that fit (workers, commands) need it, not every web process.
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    D, S = len(counts.days), len(counts.service_ids)
    if D < MIN_DAYS or S == 0:
        return None
    y, share = counts.y, counts.exposure
    log_m = np.log(multipliers) if multipliers is not None else np.zeros((D, S))
    classes = np.array([_class(d) for d in counts.days])
    reference = counts.days[-1]
    X, names = _design(counts.days, counts.service_ids, reference)
    totals = y.sum(axis=2).reshape(-1)
    per_service = y.sum(axis=(0, 2))

    # Columns the history can say something about.
    usable = []
    for c, name in enumerate(names):
        column = X[:, c]
        if not np.any(column):
            continue
        if name.startswith("month_start:"):
            j = counts.service_ids.index(int(name.split(":")[1]))
            if per_service[j] < MONTH_START_MIN_TICKETS:
                continue
        if name == "trend" and D < 2 * MIN_DAYS:
            continue
        usable.append(c)
    notes = []
    beta = np.zeros(len(names))
    for _ in range(ROUNDS):
        eta = (X @ beta).reshape(D, S) + log_m
        profile = _profile(y, share, classes, eta)
        with np.errstate(divide="ignore", over="ignore"):
            base = np.array([
                (share[i][None, :] * np.exp(profile[classes[i]])).sum(axis=1) for i in range(D)
            ]).reshape(-1)
            offset = np.log(base) + log_m.reshape(-1)
        rows = np.isfinite(offset) & (base > 0)
        if not usable or not rows.any():
            break
        design = X[np.ix_(rows, usable)]
        keep_cols = np.any(design != 0, axis=0)
        columns = [usable[i] for i in np.flatnonzero(keep_cols)]
        if not columns:
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", (ConvergenceWarning, PerfectSeparationWarning, RuntimeWarning))
            result = sm.GLM(totals[rows], X[np.ix_(rows, columns)], family=sm.families.Poisson(),
                            offset=offset[rows]).fit(maxiter=50)
        if not np.all(np.isfinite(result.params)):
            break  # keep the last good estimate
        new = np.zeros(len(names))
        new[columns] = result.params
        beta = new
    beta_named = dict(zip(names, beta, strict=True))
    beta_named["trend"] = float(np.clip(beta_named["trend"], -TREND_LIMIT, TREND_LIMIT))
    for name in names:
        if name.startswith("month_start:"):
            beta_named[name] = float(np.clip(beta_named[name], *MONTH_START_LIMIT))
    beta = np.array([beta_named[name] for name in names])
    eta = (X @ beta).reshape(D, S) + log_m
    profile = _profile(y, share, classes, eta)
    if not any(day_kind(d) == DayKind.HOLIDAY for d in counts.days):
        beta_named["holiday"] = math.log(HOLIDAY_PRIOR)
        notes.append("no public holiday in the history: a holiday is taken as half an ordinary rest day")
    return ArrivalModel(list(counts.service_ids), profile, beta_named, reference, D, notes)


# --- Accuracy ---------------------------------------------------------------------------------


def wape(forecast: np.ndarray, actual: np.ndarray) -> float:
    """sum |forecast - actual| / sum actual (NaN when nothing came)."""
    total = float(np.sum(actual))
    return float(np.sum(np.abs(forecast - actual)) / total) if total > 0 else float("nan")


def poisson_floor(arrivals_per_slot) -> np.ndarray:
    """The WAPE chance alone leaves at x arrivals expected in a slot: sqrt(2 / (pi x))."""
    x = np.asarray(arrivals_per_slot, dtype=float)
    with np.errstate(divide="ignore"):
        return np.where(x > 0, np.sqrt(2 / (np.pi * np.maximum(x, 1e-12))), np.nan)


def weighted_floor(expected) -> float:
    """The floor of a WAPE over many slots: each slot's floor weighted by its
    arrivals, sum sqrt(2 x / pi) / sum x."""
    x = np.asarray(expected, dtype=float).ravel()
    x = x[x > 0]
    return float(np.sqrt(2 * x / np.pi).sum() / x.sum()) if len(x) else float("nan")


@dataclass(frozen=True)
class SlotAccuracy:
    slot: str  # "12:00"
    arrivals: int  # over the held-out days
    wape: float
    naive_wape: float
    floor: float


@dataclass(frozen=True)
class Accuracy:
    """The forecast against the seasonal naive forecast on held-out days."""

    days: int  # held-out days compared
    arrivals: int
    history_days: int
    wape_day: float
    naive_wape_day: float
    wape_slot: float
    naive_wape_slot: float
    floor_slot: float
    wape_service_slot: float
    naive_wape_service_slot: float
    floor_service_slot: float
    by_slot: tuple[SlotAccuracy, ...]

    @property
    def beats_naive(self) -> bool:
        return self.wape_slot < self.naive_wape_slot and self.wape_day < self.naive_wape_day


def accuracy(counts: HallCounts, *, holdout_days: int = 14, multipliers: np.ndarray | None = None,
             slot_label: Callable[[int], str] | None = None) -> Accuracy | None:
    """Fit on the history before the last `holdout_days` days of `counts`,
    forecast those days, and compare with what came and with the seasonal
    naive forecast. Days compared: those held out whose day a week earlier is
    in the history too (the naive forecast needs it). None when there is too
    little history or nothing to compare."""
    if not counts.days:
        return None
    cutoff = counts.days[-1].toordinal() - holdout_days + 1
    train = [i for i, d in enumerate(counts.days) if d.toordinal() < cutoff]
    index = {d: i for i, d in enumerate(counts.days)}
    test = [i for i, d in enumerate(counts.days)
            if d.toordinal() >= cutoff and date.fromordinal(d.toordinal() - 7) in index]
    if not test:
        return None
    m = multipliers if multipliers is not None else np.ones((len(counts.days), len(counts.service_ids)))
    model = fit(counts.select(train), m[train])
    if model is None:
        return None
    days = [counts.days[i] for i in test]
    predicted = model.predict(days, counts.exposure[test], m[test])
    actual = counts.y[test]
    naive = np.array([counts.y[index[date.fromordinal(d.toordinal() - 7)]] for d in days])
    open_slot = (counts.exposure[test] > 0)[:, None, :]
    predicted, naive, actual = predicted * open_slot, naive * open_slot, actual * open_slot
    hall_pred, hall_naive, hall_actual = predicted.sum(axis=1), naive.sum(axis=1), actual.sum(axis=1)
    label = slot_label or (lambda k: f"{k // 2:02d}:{30 * (k % 2):02d}")
    by_slot = []
    for k in range(SLOTS):
        if not open_slot[:, 0, k].any() or hall_actual[:, k].sum() == 0:
            continue
        by_slot.append(SlotAccuracy(
            slot=label(k),
            arrivals=int(hall_actual[:, k].sum()),
            wape=wape(hall_pred[:, k], hall_actual[:, k]),
            naive_wape=wape(hall_naive[:, k], hall_actual[:, k]),
            floor=weighted_floor(hall_pred[:, k]),
        ))
    return Accuracy(
        days=len(test),
        arrivals=int(actual.sum()),
        history_days=len(train),
        wape_day=wape(hall_pred.sum(axis=1), hall_actual.sum(axis=1)),
        naive_wape_day=wape(hall_naive.sum(axis=1), hall_actual.sum(axis=1)),
        wape_slot=wape(hall_pred, hall_actual),
        naive_wape_slot=wape(hall_naive, hall_actual),
        floor_slot=weighted_floor(hall_pred),
        wape_service_slot=wape(predicted, actual),
        naive_wape_service_slot=wape(naive, actual),
        floor_service_slot=weighted_floor(predicted),
        by_slot=tuple(by_slot),
    )
