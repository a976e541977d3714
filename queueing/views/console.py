"""The counter agent's console: sign in, pick a hall and a counter, work it.

The pages only choose what to show. Every action on a counter (open, pause,
call next, finish, ...) goes from static/queueing/console/console.js through the
HTTP API (/api/v1/counters/{id}/...), so the rules stay in the services and
the console cannot do anything an API client could not. Who may use which hall
comes from halls.selectors, the same answer the API gives.
"""

import re

from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, LogoutView, redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_GET

from config.api import RateLimited
from config.ratelimit import client_address, rate_limit_hit
from halls.models import (
    Counter,
    CounterService,
    CounterState,
    HallService,
    Outlet,
    PauseReason,
    RoutingProfile,
    TransferPlacement,
)
from halls.roles import outlets_worked_by

from ..models import Channel, Priority, TicketStatus
from ..selectors import counter_profile_view, counter_waiting_counts

HALL_CODE_RE = re.compile(r"[A-Z0-9-]{2,20}", re.ASCII)
HALLS_SHOWN = 60  # a superuser sees this many halls at once; the search box finds the rest
SIGN_IN_LIMIT = 30  # attempts per client address ...
SIGN_IN_WINDOW_SECONDS = 300  # ... in this many seconds

# English beside the models' Chinese labels (the console is Chinese first, English second).
LABELS_EN = {
    "state": {CounterState.OPEN: "Open", CounterState.PAUSED: "Paused", CounterState.CLOSED: "Closed"},
    "pause_reason": {
        PauseReason.BREAK: "Break",
        PauseReason.MEETING: "Meeting",
        PauseReason.BACK_OFFICE: "Back-office work",
        PauseReason.OTHER: "Other",
    },
    "status": {
        TicketStatus.WAITING: "Waiting",
        TicketStatus.CALLED: "Called",
        TicketStatus.SERVING: "Serving",
        TicketStatus.DONE: "Done",
        TicketStatus.NO_SHOW: "No-show",
        TicketStatus.CANCELLED: "Cancelled",
    },
    "priority": {Priority.NORMAL: "Normal", Priority.VIP: "VIP", Priority.CARE: "Care"},
    "channel": {
        Channel.KIOSK: "Kiosk",
        Channel.MOBILE: "Mobile",
        Channel.STAFF: "Staff",
        Channel.APPOINTMENT: "Appointment",
    },
}


PROFILE_EN = {RoutingProfile.FIFO: "First come", RoutingProfile.STRICT: "Services in order",
              RoutingProfile.WEIGHTED: "Weighted"}
TRANSFER_HINTS = {
    TransferPlacement.FRONT: {"zh": "号码不变，排在新业务普通号之前。",
                              "en": "Same number; it goes ahead of the new line's tickets of its class."},
    TransferPlacement.KEEP: {"zh": "号码不变，按原取号时间在新业务中排队。",
                             "en": "Same number; it waits in the new line by its original issue time."},
    TransferPlacement.BACK: {"zh": "号码不变，排到新业务队尾。", "en": "Same number; it joins the end of the new line."},
}
PARK_MINUTES = (5, 10, 15, 30)


def _labels(choices, kind: str) -> dict:
    return {value: {"zh": label, "en": LABELS_EN[kind].get(value, "")} for value, label in choices}


# --- Signing in and out -------------------------------------------------------


class ConsoleSignInForm(AuthenticationForm):
    """Django's sign-in form with the console's bilingual messages and a limit
    on attempts per client address (guessing passwords is slow)."""

    error_messages = {
        "invalid_login": "用户名或密码错误 / Wrong username or password.",
        "inactive": "该账号已停用 / This account is disabled.",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "用户名 / Username"
        self.fields["password"].label = "密码 / Password"
        self.fields["username"].widget.attrs.update({"autocapitalize": "none", "spellcheck": "false"})

    def clean(self):
        if self.request is not None:
            try:
                rate_limit_hit(
                    scope="console-sign-in",
                    key=client_address(self.request),
                    limit=SIGN_IN_LIMIT,
                    window_seconds=SIGN_IN_WINDOW_SECONDS,
                    message="登录尝试过多，请稍后再试 / Too many sign-in attempts; please try again later.",
                )
            except RateLimited as exc:
                raise ValidationError(exc.message, code="rate_limited") from None
        return super().clean()


class ConsoleSignInView(LoginView):
    template_name = "queueing/console/signin.html"
    authentication_form = ConsoleSignInForm
    redirect_authenticated_user = True
    next_page = reverse_lazy("console")


class ConsoleSignOutView(LogoutView):
    """POST only (Django's rule): a link could sign someone out from another site."""

    next_page = reverse_lazy("console-signin")


# --- The console ----------------------------------------------------------------


def _console_halls(user):
    """The halls with a queue this user may work in."""
    return outlets_worked_by(user).filter(is_active=True, has_queue=True).order_by("code")


def _refused(request, message: str, message_en: str, *, status: int, forget_counter: bool = False,
             can_go_back: bool = True):
    return render(
        request,
        "queueing/console/refused.html",
        {"message": message, "message_en": message_en, "forget_counter": forget_counter, "can_go_back": can_go_back},
        status=status,
    )


def _hall_counters(outlet: Outlet) -> list[Counter]:
    return list(
        Counter.objects.filter(outlet=outlet)
        .select_related("signed_in_user")
        .prefetch_related(
            Prefetch(
                "counter_services",
                queryset=CounterService.objects.select_related("service").order_by("position"),
            )
        )
        .order_by("number")
    )


@require_GET
def console(request):
    """/console/: the sign-in page for visitors; for staff, the hall picker, the
    counter picker (?hall=<code>) or the counter's working screen (?counter=<id>)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("console-signin"))
    halls = _console_halls(request.user)
    if not halls.exists():
        return _refused(
            request,
            "您的账号不属于任何营业厅，无法使用营业员工作台。请联系厅经理为您分配营业厅。",
            "Your account is not staff of any hall, so it cannot use the counter console. "
            "Ask your hall manager to add you to a hall.",
            status=403,
            can_go_back=False,
        )
    if "counter" in request.GET:
        return _counter_screen(request, halls, request.GET["counter"])
    if "hall" in request.GET:
        code = request.GET["hall"]
        # Codes are short capitals and digits; anything else (a NUL, which
        # PostgreSQL text cannot hold) finds nothing without asking the database.
        outlet = halls.filter(code=code).first() if HALL_CODE_RE.fullmatch(code) else None
        if outlet is None:
            return _refused(
                request, "未找到该营业厅，或您不属于该营业厅。", "No such hall, or you are not staff of it.", status=404
            )
        return _counter_picker(request, outlet, several_halls=halls.count() > 1, resume=False)
    if not request.user.is_superuser and halls.count() == 1:
        return _counter_picker(request, halls.get(), several_halls=False, resume=True)
    return _hall_picker(request, halls)


def _hall_picker(request, halls):
    query = request.GET.get("q", "").replace("\x00", "").strip()[:50]
    if query:
        halls = halls.filter(Q(code__icontains=query) | Q(name__icontains=query) | Q(district__icontains=query))
    total = halls.count()
    shown = halls.annotate(counter_count=Count("counters"))[:HALLS_SHOWN]
    return render(
        request,
        "queueing/console/halls.html",
        {
            "halls": shown,
            "total": total,
            "query": query,
            "searchable": request.user.is_superuser or total > 8 or bool(query),
            "resume": not query,
        },
    )


def _counter_picker(request, outlet: Outlet, *, several_halls: bool, resume: bool):
    return render(
        request,
        "queueing/console/counters.html",
        {
            "hall": outlet,
            "counters": _hall_counters(outlet),
            "several_halls": several_halls,
            "resume": resume,
            "pause_labels": _labels(PauseReason.choices, "pause_reason"),
            "state_labels": _labels(CounterState.choices, "state"),
        },
    )


def _counter_screen(request, halls, raw_id: str):
    counter = None
    if raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 12:
        counter = Counter.objects.select_related("outlet").filter(pk=int(raw_id), outlet__in=halls).first()
    if counter is None:
        return _refused(
            request,
            "未找到该窗口，或您不属于该窗口所在的营业厅。",
            "No such counter, or you are not staff of its hall.",
            status=404,
            forget_counter=True,
        )
    hall_services = (
        HallService.objects.filter(outlet=counter.outlet, is_active=True)
        .select_related("service")
        .order_by("sort_order", "service__sort_order", "service__code")
    )
    labels = {
        "state": _labels(CounterState.choices, "state"),
        "pause_reason": _labels(PauseReason.choices, "pause_reason"),
        "status": _labels(TicketStatus.choices, "status"),
        "priority": _labels(Priority.choices, "priority"),
        "channel": _labels(Channel.choices, "channel"),
    }
    hall_services = [
        {"code": hs.service.code, "name": hs.service.name_zh, "name_en": hs.service.name_en, "prefix": hs.prefix}
        for hs in hall_services
    ]
    names_en = {s["code"]: s["name_en"] for s in hall_services}
    counter_services = [{**s, "name_en": names_en.get(s["code"], "")} for s in counter_waiting_counts(counter)]
    routing = counter_profile_view(counter)
    profile = RoutingProfile(routing["effective"])
    return render(
        request,
        "queueing/console/counter.html",
        {
            "hall": counter.outlet,
            "counter": counter,
            "counter_services": counter_services,
            "hall_services": hall_services,
            "pause_reasons": [
                {"value": value, "zh": label, "en": LABELS_EN["pause_reason"].get(value, "")}
                for value, label in PauseReason.choices
            ],
            "labels": labels,
            "profile": {"value": profile.value, "zh": profile.label, "en": PROFILE_EN[profile],
                        "agent": routing["agent_profile"] is not None},
            "transfer_hint": TRANSFER_HINTS[counter.outlet.transfer_placement],
            "park_minutes": PARK_MINUTES,
            "several_halls": halls.count() > 1 or request.user.is_superuser,
        },
    )
