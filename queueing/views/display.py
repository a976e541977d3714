"""Pages for the screens on the hall's walls: the lobby display and counter screens.

Both render the hall's snapshot server-side for an instant first paint, then
static/queueing/display/display.js keeps them live over
/ws/halls/{code}/display/. Like that socket, they carry no personal data:
numbers, counters and counts only."""

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone

from halls.models import Counter, Outlet

from ..events import hall_snapshot
from ..models import DisplayKind

HISTORY_SIZE = 8  # recent calls below the newest one
WEEKDAYS = ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"]


def _queue_hall(code: str) -> Outlet | None:
    if "\x00" in code:  # PostgreSQL text cannot hold it: no hall has such a code
        return None
    return Outlet.objects.filter(code=code, is_active=True, has_queue=True).first()


def _not_found(request, message: str, message_en: str):
    return render(
        request, "queueing/display/not_found.html", {"message": message, "message_en": message_en}, status=404
    )


def _page_context(outlet: Outlet, kind: str, counter_number: int | None = None) -> dict:
    now = timezone.localtime()
    return {
        "hall": outlet,
        "kind": kind,
        "counter_number": counter_number,
        "snapshot": hall_snapshot(outlet),
        "now": now,
        "weekday": WEEKDAYS[now.weekday()],
        "time_zone": settings.TIME_ZONE,
    }


def lobby_display(request, code):
    outlet = _queue_hall(code)
    if outlet is None:
        return _not_found(request, "未找到该营业厅的叫号屏", "No queue display for this hall.")
    context = _page_context(outlet, DisplayKind.LOBBY)
    calls = context["snapshot"]["now_serving"]
    context["newest"] = calls[0] if calls else None
    context["history"] = calls[1:HISTORY_SIZE + 1]
    context["history_slots"] = range(HISTORY_SIZE - len(context["history"]))
    return render(request, "queueing/display/lobby.html", context)


def counter_screen(request, code, number):
    outlet = _queue_hall(code)
    if outlet is None:
        return _not_found(request, "未找到该营业厅", "No such hall.")
    counter = Counter.objects.filter(outlet=outlet, number=number).first()
    if counter is None:
        return _not_found(request, f"该营业厅没有 {number} 号窗口", f"This hall has no counter {number}.")
    context = _page_context(outlet, DisplayKind.COUNTER, counter.number)
    board = next(b for b in context["snapshot"]["counters"] if b["number"] == counter.number)
    context["counter"] = board
    context["counter_custom_name"] = counter.name
    return render(request, "queueing/display/counter.html", context)
