"""Every write of planning. Import services from here: `from queueing.planning import services`."""

from .suggestions import suggestion_apply
from .warnings import warning_acknowledge, warnings_evaluate, warnings_evaluate_all

__all__ = [
    "suggestion_apply",
    "warning_acknowledge",
    "warnings_evaluate",
    "warnings_evaluate_all",
]
