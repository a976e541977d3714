"""Celery tasks of appointments (beat, every minute): each calls one service
and is idempotent."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def appointment_reminders_send() -> int:
    """The reminder texts now due (each goes once). Returns how many were queued."""
    return services.appointment_reminders_send()


@shared_task(acks_late=True)
def appointment_no_shows_mark() -> int:
    """Bookings past their check-in window become no-shows. Returns how many."""
    return services.appointment_no_shows_mark()
