"""The reports' pages: a hall's reports (/manage/{code}/reports/), whose
readers are decided as for the live floor, and the city operations page
(/city/): every hall's live overview, the map, and the district and city
reports for any period; a hall's audit log (/manage/{code}/audit/) for its
managers and city operations. Server-rendered with what is known now; the figures
come from the reports API (static/reports/hall_reports.js; city.js polls
/api/v1/city/overview/ and reads /api/v1/city/reports/ and a hall's
/api/v1/halls/{code}/reports/). When the reports read a streaming replica,
the pages say how far behind its figures are (and the scripts keep that
line current from each answer's `replica_lag_seconds`)."""

from datetime import timedelta

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.api import DomainError, Forbidden
from halls.roles import sees_every_hall, user_reads_people
from queueing.days import business_day_live
from queueing.planning.views import readable_hall_page, refused_page, several_halls, sign_in_redirect

from .api.audit import AuditQuerySerializer, audit_readable_hall, audit_window
from .api.city import overview_scope
from .audit import AUDIT_KINDS, hall_audit, hall_audit_actors
from .city import city_overview_kept
from .replica import reports_db

OVERVIEW_EVERY_SECONDS = 15
AUDIT_PAGE_SIZE = 50


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
        "replica_lag_seconds": reports_db().lag_seconds,
    })


@never_cache
@require_GET
def manage_audit(request, code):
    """The hall's audit log, for its managers and city operations: the
    filters are a plain form, the pages plain links."""
    if not request.user.is_authenticated:
        return sign_in_redirect(request)
    try:
        outlet = audit_readable_hall(request.user, code)
    except DomainError as exc:
        if exc.status == 404:
            return refused_page(request, "没有这个营业厅", "No such hall.", status=404)
        return refused_page(request, "此页面供本厅经理与城市运营使用",
                            "This page is for the hall's managers and city operations.")
    form = AuditQuerySerializer(data={k: v for k, v in request.GET.items() if k != "page" and v})
    invalid = not form.is_valid()
    query = {} if invalid else dict(form.validated_data)
    try:
        start, end = audit_window(query)
    except DomainError:  # `from` after `to`, or too long a period: the default week instead
        invalid, query = True, {}
        start, end = audit_window(query)
    trail = hall_audit(outlet=outlet, start=start, end=end, actor=query.get("actor", ""), kind=query.get("kind", ""))
    page = Paginator(trail, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    actors = hall_audit_actors(outlet=outlet)
    if query.get("actor") and all(a["username"] != query["actor"] for a in actors):
        actors.append({"username": query["actor"], "name": query["actor"]})  # someone from outside the hall's staff
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(request, "reports/hall_audit.html", {
        "hall": outlet,
        "page": page,
        "entries": page.object_list,
        "invalid": invalid,
        "date_from": start.date(),
        "date_to": (end - timedelta(days=1)).date(),
        "actor": query.get("actor", ""),
        "kind": query.get("kind", ""),
        "kinds": [{"code": code, "zh": zh, "en": en} for code, (zh, en) in AUDIT_KINDS.items()],
        "actors": actors,
        "filters": filters.urlencode(),
        "reads_people": True,
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
        "replica_lag_seconds": reports_db().lag_seconds,
    })
