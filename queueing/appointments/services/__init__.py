"""Every write of appointments. Import services from here:
`from queueing.appointments import services`."""

from .bookings import appointment_book, appointment_cancel, appointment_move
from .checkin import appointment_check_in
from .reminders import appointment_no_shows_mark, appointment_reminders_send
from .texts import appointment_text_command

__all__ = [
    "appointment_book",
    "appointment_cancel",
    "appointment_check_in",
    "appointment_move",
    "appointment_no_shows_mark",
    "appointment_reminders_send",
    "appointment_text_command",
]
