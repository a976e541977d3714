"""The sandbox payment provider's pay page: /pay/sandbox/{order_no}/.

A customer's phone opens it from the QR code on a kiosk's pay screen (the
sandbox provider's pay_url, kiosk/payments.py). It shows the order and a
button that pays it through POST /api/v1/payments/sandbox/{order_no}/pay/,
which sends the callback a real provider would. Like that API, the page
exists only in a DEBUG run with the sandbox provider: anywhere else it is a
404, so production never offers a way to "pay" without paying.
"""

import re

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.phones import mask_phone

from . import services
from .errors import OrderNotFound
from .models import OrderKind, OrderStatus, format_yuan

SANDBOX_PROVIDER = "kiosk.payments.SandboxProvider"
# What order_no_new makes (and what the callback accepts): anything else finds
# nothing without asking the database (a NUL would not even reach it).
ORDER_NO_RE = re.compile(r"[A-Za-z0-9]{1,24}", re.ASCII)

KIND_EN = {OrderKind.TOPUP: "Top-up", OrderKind.NUMBER: "New number"}
STATUS_EN = {
    OrderStatus.CREATED: "Awaiting payment",
    OrderStatus.PAID: "Paid",
    OrderStatus.FULFILLED: "Completed",
    OrderStatus.FAILED: "Failed",
    OrderStatus.REFUNDED: "Refunded",
}


def sandbox_open() -> bool:
    """The same condition as SandboxPayApi: a DEBUG run paying through the sandbox."""
    return settings.DEBUG and settings.PAYMENT_PROVIDER == SANDBOX_PROVIDER


def _not_found(request):
    return render(request, "kiosk/sandbox_pay.html", {"order": None}, status=404)


@never_cache
@require_GET
def sandbox_pay_page(request, order_no):
    if not sandbox_open() or not ORDER_NO_RE.fullmatch(order_no):
        return _not_found(request)
    try:
        order = services.order_get(order_no=order_no)
    except OrderNotFound:
        return _not_found(request)
    status = OrderStatus(order.status)
    kind = OrderKind(order.kind)
    context = {
        "order": order,
        "kind_zh": kind.label,
        "kind_en": KIND_EN[kind],
        "status_zh": status.label,
        "status_en": STATUS_EN[status],
        # The phase decides what the page offers: pay, "already paid", or "closed".
        "phase": {
            OrderStatus.CREATED: "open",
            OrderStatus.PAID: "paid",
            OrderStatus.FULFILLED: "paid",
        }.get(status, "closed"),
        "msisdn_masked": mask_phone(order.msisdn),
        "amount": format_yuan(order.amount_fen),
        "pay_api": reverse("payment-sandbox-pay", args=[order.order_no]),
    }
    return render(request, "kiosk/sandbox_pay.html", context)
