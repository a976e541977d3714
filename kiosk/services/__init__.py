"""Self-service: every write and every rule, by topic. The API and the kiosk
pages call these; see each module for its contract."""

from .account import account_get, account_overview, bills_list, data_pack_buy, data_packs, usage_get
from .actions import SMS_HALL, SYSTEM, Origin, action_log
from .auth import customer_session_end, kiosk_register, kiosk_token_rotate, otp_request, otp_verify
from .numbers import (
    holder_for_customer,
    holder_for_kiosk,
    holds_release_expired,
    number_hold,
    number_orders_expire,
    number_purchase,
    number_release,
    number_search,
    number_search_parse,
)
from .orders import (
    TOPUP_PRESETS_FEN,
    order_attach_pay_url,
    order_fulfil,
    order_get,
    order_pay_url,
    order_refund,
    orders_fulfil_paid,
    orders_refund_failed,
    payment_callback,
    sandbox_pay,
    topup_account,
    topup_create,
    topup_limits,
)
from .points import points_redeem, redemption_history, rewards_list
from .reminders import usage_record, usage_reminders_check
from .sms_hall import sms_inbound_handle
from .vas import vas_cancel, vas_catalogue, vas_confirm, vas_list, vas_request

__all__ = [
    "SMS_HALL", "SYSTEM", "TOPUP_PRESETS_FEN", "Origin", "account_get", "account_overview", "action_log",
    "bills_list", "customer_session_end", "data_pack_buy", "data_packs", "holder_for_customer", "holder_for_kiosk",
    "holds_release_expired", "kiosk_register", "kiosk_token_rotate", "number_hold", "number_orders_expire", "number_purchase",
    "number_release", "number_search", "number_search_parse", "order_attach_pay_url", "order_fulfil", "order_get",
    "order_pay_url", "order_refund", "orders_fulfil_paid", "orders_refund_failed", "otp_request", "otp_verify", "payment_callback",
    "points_redeem", "redemption_history", "rewards_list", "sandbox_pay", "sms_inbound_handle", "topup_account",
    "topup_create", "topup_limits", "usage_get", "usage_record", "usage_reminders_check", "vas_cancel",
    "vas_catalogue", "vas_confirm", "vas_list", "vas_request",
]
