"""The demo's slot capacities, a step of `seed_demo` (see halls.demo): every
owned hall takes bookings for new lines and handset purchases, 09:00-17:00
every day (within its opening hours), two per half hour. Rows a manager has
set are left alone; the missing ones are added."""

from datetime import time

from halls.demo import StepResult, demo_step
from halls.models import HallService, OutletKind

from .models import SlotCapacity

BOOKED_SERVICES = ("new_line", "handset")
STARTS, ENDS = time(9), time(17)
SLOT_MINUTES, PER_SLOT = 30, 2


@demo_step
def seed_slot_capacities(*, small: bool) -> StepResult:
    result = StepResult()
    offers = HallService.objects.filter(
        outlet__kind=OutletKind.OWNED_HALL, outlet__has_queue=True, service__code__in=BOOKED_SERVICES,
    ).values_list("outlet_id", "service_id")
    have = set(SlotCapacity.objects.values_list("outlet_id", "service_id", "weekday"))
    rows = [
        SlotCapacity(outlet_id=outlet_id, service_id=service_id, weekday=weekday, starts=STARTS, ends=ENDS,
                     slot_minutes=SLOT_MINUTES, per_slot=PER_SLOT)
        for outlet_id, service_id in offers
        for weekday in range(7)
        if (outlet_id, service_id, weekday) not in have
    ]
    SlotCapacity.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    result.created += len(rows)
    if rows:
        result.lines["appointments"] = f"slot capacities for {len({r.outlet_id for r in rows})} halls"
    return result
