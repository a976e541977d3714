from django.conf import settings
from django.db.models import Count
from django.shortcuts import render

from .demo import DEMO_HALL_CODE
from .models import Outlet, OutletKind


def home(request):
    """The entry points of the system, shown on the demo hall (else the first hall with a queue)."""
    halls = Outlet.objects.filter(has_queue=True, is_active=True)
    first_hall = halls.filter(code=DEMO_HALL_CODE).first() or halls.order_by("code").first()
    first_counter = first_hall.counters.order_by("number").first() if first_hall else None
    return render(request, "halls/home.html", {
        "first_hall": first_hall,
        "first_counter": first_counter,
        # The demo kiosk's token only on a development run: a deployment's page must not hand it out.
        "demo_kiosk_token": settings.DEMO_KIOSK_TOKEN if settings.DEBUG else None,
    })


def outlet_finder(request):
    """The customer's outlet finder (/outlets/): every kind of outlet, searched
    over GET /api/v1/halls/ by static/halls/outlets.js."""
    # Which outlets have self-service kiosks: few, and read once per page.
    kiosks = dict(
        Outlet.objects.filter(is_active=True, kiosks__is_active=True)
        .annotate(n=Count("kiosks")).values_list("code", "n")
    )
    return render(request, "halls/outlets.html", {
        "kinds": OutletKind.choices,
        "districts": list(Outlet.objects.filter(is_active=True).order_by("district")
                          .values_list("district", flat=True).distinct()),
        "kiosks": kiosks,
    })
