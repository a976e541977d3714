from django.urls import path

from . import views

urlpatterns = [
    path("manage/<str:code>/reports/", views.manage_reports, name="manage-reports"),
    path("manage/<str:code>/audit/", views.manage_audit, name="manage-audit"),
    path("city/", views.city_page, name="city"),
]
