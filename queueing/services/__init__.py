"""Every write of the queue. Import services from here: `from queueing import services`."""

from .calls import (
    ticket_call_chosen,
    ticket_call_next,
    ticket_finish,
    ticket_no_show,
    ticket_recall,
    ticket_start,
    ticket_transfer,
)
from .counters import counter_close, counter_open, counter_pause, counter_resume
from .days import business_day_close_hall, business_days_close
from .displays import display_heartbeat, display_is_online, display_list
from .feedback import ticket_rate
from .floor import (
    NotPossibleNow,
    counter_profile_set,
    counter_request_answer,
    counter_request_create,
    counter_service_add,
    hall_diversion_end,
    hall_diversion_start,
    hall_notice_clear,
    hall_notice_set,
)
from .handle_times import handle_times_learn
from .issuing import ticket_issue_allowed
from .missed import missed_calls_sweep, ticket_reinstate
from .pools import NotInPool, ticket_call_from_pool, ticket_park
from .presence import (
    CheckInHow,
    hall_check_in_key,
    hall_of_check_in_key,
    step_away_choices,
    ticket_away_over,
    ticket_check_in_at_hall,
    ticket_check_in_by_hall_key,
    ticket_check_in_by_location,
    ticket_come_back,
    ticket_step_away,
)
from .texts import texts_near_turn_send, texts_near_turn_started
from .tickets import format_number, ticket_cancel, ticket_cancel_by_staff, ticket_issue

__all__ = [
    "NotInPool",
    "CheckInHow",
    "hall_check_in_key",
    "hall_of_check_in_key",
    "step_away_choices",
    "ticket_away_over",
    "ticket_check_in_at_hall",
    "ticket_check_in_by_hall_key",
    "ticket_check_in_by_location",
    "ticket_come_back",
    "ticket_step_away",
    "NotPossibleNow",
    "counter_profile_set",
    "ticket_call_from_pool",
    "ticket_park",
    "counter_request_answer",
    "counter_request_create",
    "counter_service_add",
    "hall_diversion_end",
    "hall_diversion_start",
    "hall_notice_clear",
    "hall_notice_set",
    "business_day_close_hall",
    "business_days_close",
    "counter_close",
    "missed_calls_sweep",
    "ticket_call_chosen",
    "ticket_reinstate",
    "counter_open",
    "counter_pause",
    "counter_resume",
    "display_heartbeat",
    "display_is_online",
    "display_list",
    "format_number",
    "handle_times_learn",
    "texts_near_turn_send",
    "texts_near_turn_started",
    "ticket_call_next",
    "ticket_cancel",
    "ticket_cancel_by_staff",
    "ticket_finish",
    "ticket_issue",
    "ticket_issue_allowed",
    "ticket_no_show",
    "ticket_rate",
    "ticket_recall",
    "ticket_start",
    "ticket_transfer",
]
