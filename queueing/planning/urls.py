from django.urls import path

from . import api

urlpatterns = [
    path("planning/erlang-c/", api.PlanningErlangCApi.as_view(), name="planning-erlang-c"),
    path("halls/<str:code>/warnings/", api.HallWarningListApi.as_view(), name="hall-warnings"),
    path("halls/<str:code>/floor/", api.HallFloorApi.as_view(), name="hall-floor"),
    path("warnings/<int:warning_id>/acknowledge/", api.WarningAcknowledgeApi.as_view(), name="warning-acknowledge"),
    path("suggestions/<int:suggestion_id>/apply/", api.SuggestionApplyApi.as_view(), name="suggestion-apply"),
]
