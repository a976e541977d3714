"""The hall's reports page, /manage/{code}/reports/: who may see it is
decided as for the live floor; the figures come from the reports API
(static/reports/hall_reports.js)."""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from halls.models import Outlet
from halls.roles import outlets_managed_by, user_reads, user_reads_people
from queueing.days import business_day_live
from queueing.planning.views import _refused, _sign_in


@never_cache
@require_GET
def manage_reports(request, code):
    if not request.user.is_authenticated:
        return _sign_in(request)
    outlet = Outlet.objects.filter(code=code, is_active=True, has_queue=True).first()
    if outlet is None:
        return _refused(request, "没有这个营业厅", "No such hall.", status=404)
    if not user_reads(request.user, outlet):
        return _refused(request, "您不能查看该营业厅的报表", "You may not see this hall's reports.")
    return render(request, "reports/hall_reports.html", {
        "hall": outlet,
        "today": business_day_live(outlet),
        "reads_people": user_reads_people(request.user, outlet),
        "several_halls": outlets_managed_by(request.user).filter(has_queue=True).count() > 1,
    })
