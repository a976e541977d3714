from django.urls import path  # noqa: F401 - routes are added beside their views

from . import api

urlpatterns: list = [
    *api.urlpatterns,
]
