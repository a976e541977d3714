"""Every write of planning. Import services from here: `from queueing.planning import services`."""

from .rosters import (
    GeneratedRoster,
    RosterChanged,
    RosterRuleBroken,
    roster_generate,
    roster_problem,
    roster_shift_create,
    roster_shift_delete,
    roster_shift_update,
    roster_shift_violations,
)
from .suggestions import suggestion_apply
from .warnings import warning_acknowledge, warnings_evaluate, warnings_evaluate_all

__all__ = [
    "GeneratedRoster",
    "RosterChanged",
    "RosterRuleBroken",
    "roster_generate",
    "roster_problem",
    "roster_shift_create",
    "roster_shift_delete",
    "roster_shift_update",
    "roster_shift_violations",
    "suggestion_apply",
    "warning_acknowledge",
    "warnings_evaluate",
    "warnings_evaluate_all",
]
