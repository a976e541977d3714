"""The reports' pages: a hall's reports (/manage/{code}/reports/), whose
readers are decided as for the live floor, and the city operations page
(/city/): every hall's live overview, the map, and the district and city
reports for any period. Server-rendered with what is known now; the figures
come from the reports API (static/reports/hall_reports.js; city.js polls
/api/v1/city/overview/ and reads /api/v1/city/reports/ and a hall's
/api/v1/halls/{code}/reports/)."""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.api import Forbidden
from halls.roles import sees_every_hall, user_reads_people
from queueing.days import business_day_live
from queueing.planning.views import readable_hall_page, refused_page, several_halls, sign_in_redirect

from .api.city import overview_scope
from .city import city_overview_kept

OVERVIEW_EVERY_SECONDS = 15


@never_cache
@require_GET
def manage_reports(request, code):
    outlet, refusal = readable_hall_page(request, code)
    if refusal:
        return refusal
    return render(request, "reports/hall_reports.html", {
        "hall": outlet,
        "today": business_day_live(outlet),
        "reads_people": user_reads_people(request.user, outlet),
        "several_halls": several_halls(request.user),
    })


@never_cache
@require_GET
def city_page(request):
    if not request.user.is_authenticated:
        return sign_in_redirect(request)
    try:
        halls = overview_scope(request.user)
    except Forbidden:
        return refused_page(request, "此页面供城市运营与厅经理使用", "This page is for city operations and hall managers.")
    overview = city_overview_kept(halls)
    today = timezone.localdate()
    return render(request, "reports/city.html", {
        "overview": overview,
        "whole_city": sees_every_hall(request.user),
        "districts": sorted({row["district"] for row in overview["halls"]}),
        "today": today,
        "month_start": today.replace(day=1),
        "poll_seconds": OVERVIEW_EVERY_SECONDS,
    })
