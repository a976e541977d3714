"""The city operations page (/city/): every hall's live overview, the map,
and the district and city reports for any period. Server-rendered with the
overview as it is now; static/reports/city.js polls
/api/v1/city/overview/ and reads /api/v1/city/reports/ and a hall's
/api/v1/halls/{code}/reports/."""

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.api import Forbidden
from halls.roles import sees_every_hall

from .api.city import overview_scope
from .city import city_overview_kept

OVERVIEW_EVERY_SECONDS = 15


@never_cache
@require_GET
def city_page(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("console-signin"))
    try:
        halls = overview_scope(request.user)
    except Forbidden:
        return render(request, "planning/refused.html", {
            "message": "此页面供城市运营与厅经理使用", "message_en": "This page is for city operations and hall managers.",
        }, status=403)
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
