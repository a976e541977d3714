"""Forget a hall's cached routing (queueing.selectors.hall_routing) when a
counter changes (its state: open, pause, close; its profile; or its setup in
the admin), the services it serves change, a service joins or leaves a
shared queue, or an agent's own profile changes."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from halls.models import Counter, CounterService, HallService, StaffMembership

from .selectors import hall_routing_forget

# Sent by the hall refresher (off the request path, after commit) each time it
# has played a hall's line forward after a change: outlet_id, outlet_code,
# line (queueing.selectors.hall_line). For what watches the floor without the
# queue knowing it (peak-flow warnings); a receiver must not raise.
hall_line_changed = Signal()


@receiver([post_save, post_delete], sender=Counter, dispatch_uid="hall-routing-counter")
def _counter_changed(sender, instance, **kwargs):
    hall_routing_forget(instance.outlet_id)


@receiver([post_save, post_delete], sender=CounterService, dispatch_uid="hall-routing-counter-service")
def _counter_service_changed(sender, instance, **kwargs):
    outlet_id = Counter.objects.filter(pk=instance.counter_id).values_list("outlet_id", flat=True).first()
    if outlet_id is not None:
        hall_routing_forget(outlet_id)


@receiver([post_save, post_delete], sender=HallService, dispatch_uid="hall-routing-hall-service")
@receiver([post_save, post_delete], sender=StaffMembership, dispatch_uid="hall-routing-membership")
def _hall_part_changed(sender, instance, **kwargs):
    hall_routing_forget(instance.outlet_id)
