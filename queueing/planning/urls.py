from django.urls import path

from . import api

urlpatterns = [
    path("planning/erlang-c/", api.PlanningErlangCApi.as_view(), name="planning-erlang-c"),
]
