from django.urls import path

from . import views

urlpatterns: list = [
    path("city/", views.city_page, name="city"),
]
