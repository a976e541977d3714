"""The hall manager's pages: /manage/ (their halls), /manage/{code}/ (a
hall's live floor with its warnings and suggestions) and /manage/{code}/plan/
(its day's forecast against the counters planned, the week's roster, the
forecast's accuracy and what-ifs). The floor is server-rendered as it is now;
static/planning/floor.js keeps it live over /ws/halls/{code}/floor/. The plan
page is a frame: static/planning/plan.js reads and writes through the
staffing API, which holds every rule."""


from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from halls.models import Outlet
from halls.roles import outlets_managed_by, user_manages, user_reads, user_reads_people

from .events import warning_payload
from .floor import floor_payload, hall_floor
from .models import PeakWarning


def sign_in_redirect(request):
    """To the staff sign-in page, and back here after it."""
    return redirect_to_login(request.get_full_path(), login_url=reverse("console-signin"))


def refused_page(request, message: str, message_en: str, status: int = 403):
    return render(request, "planning/refused.html", {"message": message, "message_en": message_en}, status=status)


@never_cache
@require_GET
def manage_home(request):
    """The halls this user manages: straight to the floor when there is one."""
    if not request.user.is_authenticated:
        return sign_in_redirect(request)
    halls = list(outlets_managed_by(request.user).filter(is_active=True, has_queue=True).order_by("code"))
    if not halls:
        return refused_page(request, "此页面供厅经理使用", "This page is for hall managers.")
    if len(halls) == 1:
        return redirect("manage-floor", code=halls[0].code)
    return render(request, "planning/halls.html", {"halls": halls})


def readable_hall_page(request, code):
    """The hall `code` when the user may read it, else the page to answer with."""
    if not request.user.is_authenticated:
        return None, sign_in_redirect(request)
    outlet = Outlet.objects.filter(code=code, is_active=True, has_queue=True).first()
    if outlet is None:
        return None, refused_page(request, "没有这个营业厅", "No such hall.", status=404)
    if not user_reads(request.user, outlet):
        return None, refused_page(request, "您不能查看该营业厅", "You may not see this hall.")
    return outlet, None


def several_halls(user) -> bool:
    return outlets_managed_by(user).filter(has_queue=True).count() > 1


@never_cache
@require_GET
def manage_floor(request, code):
    outlet, refusal = readable_hall_page(request, code)
    if refusal:
        return refusal
    floor = hall_floor(outlet=outlet)
    warnings = (PeakWarning.objects.filter(outlet=outlet, ended_at__isnull=True)
                .select_related("service", "acknowledged_by").prefetch_related("suggestions"))
    state = {**floor_payload(floor), "warnings": [warning_payload(w) for w in warnings]}
    return render(request, "planning/floor.html", {
        "hall": outlet,
        "state": state,
        "can_act": user_manages(request.user, outlet),
        "reads_people": user_reads_people(request.user, outlet),
        "several_halls": several_halls(request.user),
    })


@never_cache
@require_GET
def manage_plan(request, code):
    """The planning page: readers see it, the hall's managers also plan and
    edit the roster (the API refuses anyone else all the same)."""
    outlet, refusal = readable_hall_page(request, code)
    if refusal:
        return refusal
    return render(request, "planning/plan.html", {
        "hall": outlet,
        "can_act": user_manages(request.user, outlet),
        "reads_people": user_reads_people(request.user, outlet),
        "several_halls": several_halls(request.user),
    })
