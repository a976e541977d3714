from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    """Appointments (预约): customers book a slot for a service at a hall, on
    the phone page or by text, within the capacity the hall's manager sets,
    and check in at the kiosk for a ticket placed at their slot's start.
    Depends on the queue (it issues the tickets); the queue never depends on it."""

    name = "queueing.appointments"
    label = "appointments"
    verbose_name = "预约"
