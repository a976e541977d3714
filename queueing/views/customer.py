"""The customer's phone: the live ticket page and taking a number before arriving.

/t/{token}/   the ticket page, reached from the QR code on a printed ticket or
              the link in a text. Rendered with the ticket's state for an
              instant first paint; static/queueing/customer/ticket.js keeps it
              live over /ws/tickets/{token}/ and cancels and rates through the
              public API (/api/v1/tickets/{token}/cancel/, .../rating/).
/m/           choose a hall: the halls with a queue, by district, each with
              its waiting count (one aggregate query for all of them).
/m/{code}/    choose a service and enter a phone number; take_number.js issues
              the ticket through POST /api/v1/halls/{code}/tickets/, so the
              limits per phone, per address and the opening hours are the
              API's own, and then opens the ticket page.

Holders see their own ticket only through its token; the phone number is
never shown in full.
"""

import re
from datetime import timedelta

from django.conf import settings
from django.db.models import Prefetch
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.phones import mask_phone
from config.qr import qr_svg
from halls.models import HallService, OpeningException, Outlet
from halls.selectors import outlet_is_open, outlet_opening_intervals

from ..models import Ticket, TicketRating
from ..selectors import (
    hall_diversions,
    halls_new_ticket_waits,
    halls_waiting_counts,
    nearby_shorter_waits,
    service_summaries,
    ticket_live_state,
)
from ..services import step_away_choices

# Tokens are URL-safe base64 (secrets.token_urlsafe) and hall codes capitals,
# digits and dashes: anything else (a NUL, which PostgreSQL text cannot hold)
# finds nothing without asking the database.
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}", re.ASCII)
HALL_CODE_RE = re.compile(r"[A-Z0-9-]{2,20}", re.ASCII)
WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
WEEKDAYS_EN = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
HOURS_DAYS_SHOWN = 7


def _not_found(request, message: str, message_en: str):
    return render(
        request,
        "queueing/customer/not_found.html",
        {"message": message, "message_en": message_en},
        status=404,
    )


def _hall_service_names(outlet_id: int) -> dict:
    """Names of every service of the hall by code: a transfer may move the
    ticket to another service while the page is open."""
    rows = HallService.objects.filter(outlet_id=outlet_id).select_related("service")
    return {hs.service.code: {"zh": hs.service.name_zh, "en": hs.service.name_en} for hs in rows}


# --- The ticket page -----------------------------------------------------------


def ticket_phase(live: dict) -> str:
    """What the ticket page shows: the ticket's status, except that a waiting
    ticket near the front (the same rule as the "almost your turn" text) is
    `near`, and a cancelled one says why: `closed` when the hall's day ended
    before its turn, `removed` when staff took it out. ticket.js applies the
    same rules to every live frame."""
    if live["status"] == "cancelled":
        return {"day_closed": "closed", "staff": "removed"}.get(live.get("cancel_reason"), "cancelled")
    if live["status"] != "waiting":
        return live["status"]
    position, wait = live["position"], live["estimated_wait_seconds"]
    if position is not None and position <= settings.QUEUE_NEAR_TURN_POSITION:
        return "near"
    if wait is not None and wait < settings.QUEUE_NEAR_TURN_SECONDS:
        return "near"
    return "waiting"


def ticket_presence(live: dict) -> str:
    """Which presence panel the ticket page shows beside its phase: `remote`
    (a phone ticket to check in on arrival), `away` (its holder stepped
    away), `here` (waiting, and may step away), or "" (nothing to offer).
    ticket.js applies the same rule to every live frame."""
    if live["status"] != "waiting":
        return ""
    if live.get("check_in_required"):
        return "remote"
    if live.get("away_until"):
        return "away"
    return "here" if live.get("step_away_left") else ""


def wait_minutes(seconds: int | None) -> int | None:
    return None if seconds is None else -(-seconds // 60)


# A range is shown beside the estimate when it spans at least this many minutes.
RANGE_SHOWN_MINUTES = 4


def wait_range_minutes(wait_range) -> tuple[int, int] | None:
    """(low, high) in whole minutes when the estimate is unsure enough to say
    so (static/queueing/customer/ticket.js applies the same rule)."""
    if not wait_range:
        return None
    low, high = wait_range[0] // 60, -(-wait_range[1] // 60)
    return (low, high) if high - low >= RANGE_SHOWN_MINUTES else None


@require_GET
@never_cache
def ticket_page(request, token):
    ticket = None
    if TOKEN_RE.fullmatch(token):
        ticket = Ticket.objects.select_related("outlet", "service").filter(token=token).first()
    if ticket is None:
        return _not_found(
            request,
            "未找到这张排队号",
            "We could not find this ticket. The link may be incomplete.",
        )
    rating = TicketRating.objects.filter(ticket=ticket).first()
    live = ticket_live_state(ticket_id=ticket.pk)
    config = {
        "state": live,
        "wsPath": f"/ws/tickets/{ticket.token}/",
        "cancelUrl": reverse("ticket-cancel", kwargs={"token": ticket.token}),
        "ratingUrl": reverse("ticket-rating", kwargs={"token": ticket.token}),
        "nearPosition": settings.QUEUE_NEAR_TURN_POSITION,
        "nearSeconds": settings.QUEUE_NEAR_TURN_SECONDS,
        "rangeShownMinutes": RANGE_SHOWN_MINUTES,
        "services": _hall_service_names(ticket.outlet_id),
        "rated": rating.score if rating else None,
        "hall": ticket.outlet.code,
        "businessDate": ticket.business_date.isoformat(),
        "awayUrl": reverse("ticket-step-away", kwargs={"token": ticket.token}),
        "backUrl": reverse("ticket-come-back", kwargs={"token": ticket.token}),
        "checkInUrl": reverse("ticket-check-in", kwargs={"token": ticket.token}),
    }
    presence = ticket_presence(live)
    return render(
        request,
        "queueing/customer/ticket.html",
        {
            "ticket": ticket,
            "hall": ticket.outlet,
            "live": live,
            "phase": ticket_phase(live),
            "ahead": None if live["position"] is None else live["position"] - 1,
            "wait_minutes": wait_minutes(live["estimated_wait_seconds"]),
            "wait_range": wait_range_minutes(live.get("estimated_wait_range")),
            "config": config,
            "phone_masked": mask_phone(ticket.phone),
            "rating": rating,
            "scores": SCORES,
            "near_position": settings.QUEUE_NEAR_TURN_POSITION,
            "presence": presence,
            "away_until_hm": (live.get("away_until") or "")[11:16],
            "step_away_choices": step_away_choices(),
            # The kiosk's scanner reads the page's own link from the phone's screen.
            "ticket_qr": qr_svg(request.build_absolute_uri()) if ticket.awaiting_arrival else "",
            "arrival_grace_minutes": settings.QUEUE_ARRIVAL_GRACE_MINUTES,
            "reinstate_places": settings.QUEUE_REINSTATE_PLACES,
        },
    )


SCORES = [
    {"value": 1, "zh": "非常不满意", "en": "Very poor"},
    {"value": 2, "zh": "不满意", "en": "Poor"},
    {"value": 3, "zh": "一般", "en": "OK"},
    {"value": 4, "zh": "满意", "en": "Good"},
    {"value": 5, "zh": "非常满意", "en": "Excellent"},
]


# --- Taking a number -----------------------------------------------------------


def _queue_halls(*, around):
    """Active halls with a queue, with what deciding 'open now' needs (two
    prefetch queries for all of them, not two per hall)."""
    today = timezone.localdate(around)
    return (
        Outlet.objects.filter(is_active=True, has_queue=True)
        .prefetch_related(
            "opening_hours",
            Prefetch(
                "opening_exceptions",
                # Hours past midnight count for the day they started on: yesterday too.
                queryset=OpeningException.objects.filter(date__range=(today - timedelta(days=1), today)),
            ),
        )
        .order_by("district", "code")
    )


def _wait_spans(waits: dict) -> dict[int, tuple[int, int]]:
    """{outlet id: (shortest, longest)} wait of a ticket taken now, in whole
    minutes, over the hall's services."""
    spans = {}
    for outlet_id, by_service in waits.items():
        if by_service:
            minutes = [wait_minutes(seconds) for seconds in by_service.values()]
            spans[outlet_id] = (min(minutes), max(minutes))
    return spans


@require_GET
def take_number(request):
    """/m/: choose a hall."""
    now = timezone.now()
    halls = list(_queue_halls(around=now))
    waiting = halls_waiting_counts(h.id for h in halls)
    waits = _wait_spans(halls_new_ticket_waits([h.id for h in halls], now, halls={h.id: h for h in halls}))
    rows = [
        {
            "hall": h,
            "waiting": waiting.get(h.id, 0),
            "wait": waits.get(h.id),
            "is_open": outlet_is_open(h, now),
            "lat": "" if h.lat is None else f"{h.lat:f}",
            "lng": "" if h.lng is None else f"{h.lng:f}",
        }
        for h in halls
    ]
    districts = {}
    for row in rows:
        districts.setdefault(row["hall"].district, []).append(row)
    return render(
        request,
        "queueing/customer/halls.html",
        {
            "groups": list(districts.items()),
            "hall_count": len(rows),
            "waiting_url": reverse("take-number-waiting"),
        },
    )


@require_GET
def take_number_waiting(request):
    """/m/waiting/: {hall code: waiting} for the hall picker to refresh its counts."""
    halls = dict(Outlet.objects.filter(is_active=True, has_queue=True).values_list("id", "code"))
    waiting = halls_waiting_counts(halls)
    waits = _wait_spans(halls_new_ticket_waits(halls))
    response = JsonResponse({
        "waiting": {code: waiting.get(pk, 0) for pk, code in halls.items()},
        # Minutes a ticket taken now would wait: [shortest, longest] over the hall's services.
        "waits": {code: list(waits[pk]) for pk, code in halls.items() if pk in waits},
    })
    response["Cache-Control"] = "no-store"
    return response


def _opening_week(outlet: Outlet, now) -> list[dict]:
    """The hall's opening hours for today and the next days, for people deciding when to come."""
    today = timezone.localdate(now)
    days = []
    for offset in range(HOURS_DAYS_SHOWN):
        day = today + timedelta(days=offset)
        intervals = outlet_opening_intervals(outlet, day)
        if offset == 0:
            label, label_en = "今天", "Today"
        elif offset == 1:
            label, label_en = "明天", "Tomorrow"
        else:
            label, label_en = WEEKDAYS[day.weekday()], WEEKDAYS_EN[day.weekday()]
        spans = []
        for start, end in intervals:
            start, end = timezone.localtime(start), timezone.localtime(end)
            if start == end - timedelta(days=1) and start.time() == end.time():
                spans.append("全天 / 24 h")
            else:
                spans.append(f"{start:%H:%M}-{end:%H:%M}")
        days.append({"date": day, "label": label, "label_en": label_en, "spans": spans, "today": offset == 0})
    return days


@require_GET
def take_number_hall(request, code):
    """/m/{code}/: choose a service and enter a phone number."""
    outlet = None
    now = timezone.now()
    if HALL_CODE_RE.fullmatch(code):
        today = timezone.localdate(now)
        outlet = (
            Outlet.objects.filter(code=code, is_active=True, has_queue=True)
            .prefetch_related(
                "opening_hours",
                Prefetch(
                    "opening_exceptions",
                    queryset=OpeningException.objects.filter(
                        date__range=(today - timedelta(days=1), today + timedelta(days=HOURS_DAYS_SHOWN))
                    ),
                ),
            )
            .first()
        )
    if outlet is None:
        return _not_found(request, "未找到该营业厅", "We could not find this hall, or it does not take numbers.")
    names = _hall_service_names(outlet.id)
    summaries = service_summaries(outlet_id=outlet.id)
    # A service whose wait is long here: the nearest open hall with a much shorter one.
    nearby = nearby_shorter_waits(
        outlet=outlet, summaries=summaries,
        candidates=(h for h in _queue_halls(around=now) if outlet_is_open(h, now)),
    )
    return render(
        request,
        "queueing/customer/hall.html",
        {
            "hall": outlet,
            "services": [
                {**s, "wait_minutes": wait_minutes(s["estimated_wait_seconds"])}
                for s in summaries
            ],
            "nearby": [
                {**n, "service": code, "service_name": names.get(code, {}).get("zh"),
                 "wait_minutes": wait_minutes(n["to_wait_seconds"]),
                 "here_minutes": wait_minutes(next(s["estimated_wait_seconds"] for s in summaries
                                                   if s["code"] == code))}
                for code, n in nearby.items()
            ],
            "is_open": outlet_is_open(outlet, now),
            "week": _opening_week(outlet, now),
            "issue_url": reverse("ticket-issue", kwargs={"code": outlet.code}),
            "csrf_token": get_token(request),
            "phone_daily_limit": settings.QUEUE_PHONE_DAILY_LIMIT,
            "diversions": [
                {**d, "wait_minutes": wait_minutes(d["to_wait_seconds"]),
                 "service_name": names.get(d["service"], {}).get("zh") if d["service"] else None}
                for d in hall_diversions(outlet_id=outlet.id)
            ],
        },
    )
