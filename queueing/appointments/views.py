"""The customer's phone pages for bookings (the mobile hall).

/m/{code}/book/             choose a service, a day and a slot, sign in with a
                            one-time code, book (static/appointments/book.js,
                            through the appointments API).
/m/me/bookings/             my bookings with their codes and QR codes; cancel
                            or move them (static/appointments/bookings.js).
/m/me/bookings/{code}/qr.svg  the QR code of a booking code, for the kiosk's
                            scanner: it holds the code only, nothing looked up.

Who the customer is lives in their browser (the customer token of the
one-time-code sign-in); these views render no one's data.
"""

import re
from datetime import timedelta

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from config.qr import qr_svg
from halls.models import Outlet
from queueing.views.customer import HALL_CODE_RE, WEEKDAYS, WEEKDAYS_EN

from .selectors import bookable_days, hall_services_bookable

CODE_RE = re.compile(r"[A-Z0-9]{4,8}", re.ASCII)
DAYS_SHOWN = 7


def _days(now) -> list[dict]:
    today = timezone.localdate(now)
    days = []
    for day in bookable_days(now)[:DAYS_SHOWN]:
        if day == today:
            label, label_en = "今天", "Today"
        elif day == today + timedelta(days=1):
            label, label_en = "明天", "Tomorrow"
        else:
            label, label_en = WEEKDAYS[day.weekday()], WEEKDAYS_EN[day.weekday()]
        days.append({"date": day, "label": label, "label_en": label_en})
    return days


@require_GET
def book_page(request, code):
    outlet = None
    if HALL_CODE_RE.fullmatch(code):
        outlet = Outlet.objects.filter(code=code, is_active=True, has_queue=True).first()
    if outlet is None:
        return render(request, "queueing/customer/not_found.html",
                      {"message": "未找到该营业厅", "message_en": "We could not find this hall."}, status=404)
    services = hall_services_bookable(outlet=outlet)
    return render(request, "appointments/book.html", {
        "hall": outlet,
        "services": services,
        "days": _days(timezone.now()),
        "slots_url": reverse("appointment-slots", kwargs={"code": outlet.code}),
        "book_url": reverse("appointment-book", kwargs={"code": outlet.code}),
        "mine_url": reverse("my-bookings-page"),
        "early_minutes": settings.QUEUE_APPOINTMENT_EARLY_MINUTES,
        "late_minutes": settings.QUEUE_APPOINTMENT_LATE_MINUTES,
    })


@require_GET
def my_bookings_page(request):
    days = [{"date": d["date"].isoformat(), "label": d["label"], "label_en": d["label_en"]}
            for d in _days(timezone.now())]
    return render(request, "appointments/bookings.html", {"mine_api": reverse("my-appointments"), "days": days})


@require_GET
def booking_qr(request, booking):
    if not CODE_RE.fullmatch(booking):
        raise Http404("No such booking code.")
    response = HttpResponse(qr_svg(booking), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response
