"""The hall management API (CONTRACT.md): peak-flow warnings and the
manager's floor (`warnings`), staffing, rosters and what-ifs (`staffing`)."""

from .staffing import (
    HallForecastAccuracyApi,
    HallPlanDayApi,
    HallRosterPlanApi,
    HallRosterShiftsApi,
    HallRosterWeekApi,
    HallSimulateApi,
    HallStaffingApi,
    MyShiftsApi,
    RosterShiftApi,
)
from .warnings import (
    HallEstimateAccuracyApi,
    HallFloorApi,
    HallWarningListApi,
    PlanningErlangCApi,
    SuggestionApplyApi,
    WarningAcknowledgeApi,
)

__all__ = [
    "HallEstimateAccuracyApi",
    "HallFloorApi",
    "HallForecastAccuracyApi",
    "HallPlanDayApi",
    "HallRosterPlanApi",
    "HallRosterShiftsApi",
    "HallRosterWeekApi",
    "HallSimulateApi",
    "HallStaffingApi",
    "HallWarningListApi",
    "MyShiftsApi",
    "PlanningErlangCApi",
    "RosterShiftApi",
    "SuggestionApplyApi",
    "WarningAcknowledgeApi",
]
