"""Every write of the queue. Import services from here: `from queueing import services`."""

from .counters import counter_close, counter_open, counter_pause, counter_resume
from .displays import display_heartbeat, display_is_online, display_list
from .feedback import ticket_rate
from .issuing import ticket_issue_allowed
from .tickets import (
    format_number,
    texts_near_turn_send,
    ticket_call_next,
    ticket_cancel,
    ticket_finish,
    ticket_issue,
    ticket_no_show,
    ticket_recall,
    ticket_start,
    ticket_transfer,
)

__all__ = [
    "counter_close",
    "counter_open",
    "counter_pause",
    "counter_resume",
    "display_heartbeat",
    "display_is_online",
    "display_list",
    "format_number",
    "texts_near_turn_send",
    "ticket_call_next",
    "ticket_cancel",
    "ticket_finish",
    "ticket_issue",
    "ticket_issue_allowed",
    "ticket_no_show",
    "ticket_rate",
    "ticket_recall",
    "ticket_start",
    "ticket_transfer",
]
