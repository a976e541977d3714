"""The reports API (CONTRACT.md): a hall's daily and agents reports and
report pages' data (`halls`), the city's overview and reports (`city`), a
hall's audit log (`audit`)."""

from django.urls import path

from . import audit, city, city_reports, halls

urlpatterns: list = [
    path("halls/<str:code>/reports/daily/", halls.HallDailyReportApi.as_view(), name="hall-report-daily"),
    path("halls/<str:code>/reports/agents/", halls.HallAgentsReportApi.as_view(), name="hall-report-agents"),
    path("halls/<str:code>/reports/", halls.HallReportApi.as_view(), name="hall-report"),
    path("halls/<str:code>/audit/", audit.HallAuditApi.as_view(), name="hall-audit"),
    path("me/figures/", halls.MyFiguresApi.as_view(), name="my-figures"),
    path("city/reports/", city_reports.CityReportApi.as_view(), name="city-report"),
    path("city/overview/", city.CityOverviewApi.as_view(), name="city-overview"),
]
