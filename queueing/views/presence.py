"""Checking in on arrival with the hall's check-in code.

/manage/{code}/check-in-qr/   for the hall's staff: today's check-in code,
    to print and put up in the hall (it is signed for the hall and its
    business day: print it again each day).
/m/check-in/{key}/            what the code opens on a customer's phone:
    static/queueing/customer/check_in.js checks in the tickets of that hall
    this browser remembers (ticket.js keeps them) through
    POST /api/v1/tickets/{token}/check-in/ {"hall_key"}.
"""

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.api import DomainError
from config.qr import qr_svg
from halls.models import Outlet
from halls.roles import user_can_act_on

from ..days import hall_day_live
from ..services import hall_check_in_key, hall_of_check_in_key


@never_cache
@require_GET
def check_in_qr(request, code):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("console-signin"))
    outlet = Outlet.objects.filter(code=code, is_active=True, has_queue=True).first()
    if outlet is None or not user_can_act_on(request.user, outlet):
        return render(request, "queueing/customer/not_found.html", {
            "message": "没有这个营业厅，或您不属于该营业厅", "message_en": "No such hall, or you are not its staff.",
        }, status=404 if outlet is None else 403)
    key = hall_check_in_key(outlet=outlet)
    url = request.build_absolute_uri(reverse("check-in-by-code", kwargs={"key": key}))
    return render(request, "queueing/customer/check_in_qr.html", {
        "hall": outlet, "qr": qr_svg(url), "url": url, "day": hall_day_live(outlet),
        "printed_at": timezone.localtime(),
    })


@never_cache
@require_GET
def check_in_by_code(request, key):
    try:
        outlet = hall_of_check_in_key(key)
    except DomainError as exc:
        return render(request, "queueing/customer/check_in.html", {"error": exc.message}, status=exc.status)
    return render(request, "queueing/customer/check_in.html", {
        "hall": outlet,
        "config": {"hall": outlet.code, "hallKey": key, "checkInUrl": "/api/v1/tickets/{token}/check-in/",
                   "day": hall_day_live(outlet).isoformat()},
    })
