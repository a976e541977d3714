"""Every write of planning. Import services from here: `from queueing.planning import services`."""

from .forecasts import ForecastWritten, arrivals_forecast_hall, arrivals_reforecast_hall
from .history import HistoryWritten, history_generate

__all__ = [
    "ForecastWritten",
    "HistoryWritten",
    "arrivals_forecast_hall",
    "arrivals_reforecast_hall",
    "history_generate",
]
