"""Every write of planning. Import services from here: `from queueing.planning import services`."""

from .forecasts import ForecastWritten, arrivals_forecast_hall, arrivals_reforecast_hall
from .history import HistoryWritten, history_analyze, history_generate
from .rosters import (
    GeneratedRoster,
    NoForecast,
    RosterChanged,
    RosterRuleBroken,
    roster_generate,
    roster_plan_week,
    roster_problem,
    roster_shift_create,
    roster_shift_delete,
    roster_shift_update,
    roster_shift_violations,
)
from .suggestions import suggestion_apply
from .warnings import warning_acknowledge, warnings_evaluate, warnings_evaluate_all, warnings_evaluate_halls

__all__ = [
    "ForecastWritten",
    "HistoryWritten",
    "arrivals_forecast_hall",
    "arrivals_reforecast_hall",
    "history_analyze",
    "history_generate",
    "GeneratedRoster",
    "NoForecast",
    "RosterChanged",
    "RosterRuleBroken",
    "roster_generate",
    "roster_plan_week",
    "roster_problem",
    "roster_shift_create",
    "roster_shift_delete",
    "roster_shift_update",
    "roster_shift_violations",
    "suggestion_apply",
    "warning_acknowledge",
    "warnings_evaluate",
    "warnings_evaluate_all",
    "warnings_evaluate_halls",
]
