from django.shortcuts import render

from .models import Outlet


def home(request):
    """The entry points of the system."""
    first_hall = Outlet.objects.filter(has_queue=True, is_active=True).order_by("code").first()
    return render(request, "halls/home.html", {"first_hall": first_hall})
