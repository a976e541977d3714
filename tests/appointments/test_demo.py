"""The demo city takes bookings at its halls."""

from django.core.management import call_command

from halls.demo import DEMO_HALL_CODE
from queueing.appointments.models import SlotCapacity


def test_seed_demo_gives_the_demo_hall_slot_capacities_once(db, settings):
    settings.DEBUG = True  # the demo refuses its published sign-ins otherwise
    call_command("seed_demo", "--small", verbosity=0)
    first = SlotCapacity.objects.count()

    call_command("seed_demo", "--small", verbosity=0)

    assert SlotCapacity.objects.count() == first
    services = set(SlotCapacity.objects.filter(outlet__code=DEMO_HALL_CODE).values_list("service__code", flat=True))
    assert services == {"new_line", "handset"}
