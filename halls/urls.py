from django.urls import path

from . import api

urlpatterns = [
    path("auth/token/", api.AuthTokenApi.as_view(), name="auth-token"),
    path("halls/", api.OutletListApi.as_view(), name="hall-list"),
    path("halls/<str:code>/", api.OutletDetailApi.as_view(), name="hall-detail"),
]
