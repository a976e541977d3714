from django.urls import path

from . import api

urlpatterns = [
    path("planning/erlang-c/", api.PlanningErlangCApi.as_view(), name="planning-erlang-c"),
    path("halls/<str:code>/warnings/", api.HallWarningListApi.as_view(), name="hall-warnings"),
    path("halls/<str:code>/floor/", api.HallFloorApi.as_view(), name="hall-floor"),
    path("halls/<str:code>/estimates/accuracy/", api.HallEstimateAccuracyApi.as_view(), name="hall-estimate-accuracy"),
    path("warnings/<int:warning_id>/acknowledge/", api.WarningAcknowledgeApi.as_view(), name="warning-acknowledge"),
    path("suggestions/<int:suggestion_id>/apply/", api.SuggestionApplyApi.as_view(), name="suggestion-apply"),
    path("halls/<str:code>/staffing/", api.HallStaffingApi.as_view(), name="hall-staffing"),
    path("halls/<str:code>/plan/", api.HallPlanDayApi.as_view(), name="hall-plan-day"),
    path("halls/<str:code>/forecast/accuracy/", api.HallForecastAccuracyApi.as_view(), name="hall-forecast-accuracy"),
    path("halls/<str:code>/roster/", api.HallRosterWeekApi.as_view(), name="hall-roster"),
    path("halls/<str:code>/roster/plan/", api.HallRosterPlanApi.as_view(), name="hall-roster-plan"),
    path("halls/<str:code>/roster/shifts/", api.HallRosterShiftsApi.as_view(), name="hall-roster-shifts"),
    path("roster-shifts/<int:shift_id>/", api.RosterShiftApi.as_view(), name="roster-shift"),
    path("halls/<str:code>/simulate/", api.HallSimulateApi.as_view(), name="hall-simulate"),
    path("me/shifts/", api.MyShiftsApi.as_view(), name="my-shifts"),
]
