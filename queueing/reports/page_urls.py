from django.urls import path  # noqa: F401 - pages are added beside their views

urlpatterns: list = []
