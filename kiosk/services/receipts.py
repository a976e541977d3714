"""Receipts a kiosk prints: a ticket, or an order (top-up, new number).

`ticket_receipt` and `order_receipt` build the receipt of something the kiosk's
hall issued or the kiosk sold; `receipt_print` sends it to the kiosk's network
printer. Nothing here changes the ticket or the order: a failed print loses
nothing, and printing again prints the same receipt.
"""

from django.utils import timezone

from config.api import NotFound
from config.phones import mask_phone
from queueing.models import Ticket
from queueing.selectors import ticket_progress

from ..errors import PrinterUnavailable
from ..models import KioskDevice, Order, OrderKind, OrderStatus, format_yuan
from ..printing import Receipt, network_printer
from .actions import Origin, action_log


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def ticket_receipt(*, kiosk: KioskDevice, ticket_token: str, track_url: str) -> Receipt:
    """The receipt of a ticket of the kiosk's hall (NotFound for any other)."""
    ticket = (
        Ticket.objects.select_related("outlet", "service")
        .filter(token=ticket_token, outlet_id=kiosk.outlet_id)
        .first()
    )
    if ticket is None:
        raise NotFound("没有这张号票 / No such ticket in this hall.")
    progress = ticket_progress(ticket)
    ahead = progress.get("position")
    lines = [("业务 Service", ticket.service.name_zh)]
    if ahead is not None:
        lines.append(("前面还有 Ahead", f"{ahead - 1} 人"))
    wait = progress.get("estimated_wait_seconds")
    if ahead is not None and wait is not None:
        lines.append(("预计等候 Wait", f"约 {max(1, round(wait / 60))} 分钟"))
    lines.append(("取号时间 Time", _local(ticket.issued_at)))
    return Receipt(
        title=ticket.outlet.name,
        headline=ticket.number,
        headline_label="您的号码 Your number",
        lines=tuple(lines),
        qr_url=track_url,
        qr_caption="扫码查看排队进度 Scan to follow your place",
        footer=("请留意叫号，过号请重新取号", "Please listen for your number"),
    )


ORDER_TITLES = {OrderKind.TOPUP: "缴费凭条 Top-up receipt", OrderKind.NUMBER: "选号入网凭条 New number receipt"}


def order_receipt(*, kiosk: KioskDevice, order_no: str) -> Receipt:
    """The receipt of an order this kiosk took (NotFound for any other)."""
    order = Order.objects.filter(order_no=order_no, kiosk=kiosk).first()
    if order is None:
        raise NotFound("没有这笔订单 / No such order at this kiosk.")
    lines = [("订单号 Order", order.order_no)]
    if order.kind == OrderKind.TOPUP:
        lines.append(("充值号码 Number", mask_phone(order.msisdn)))
    else:
        lines.append(("新号码 New number", order.msisdn))
    lines += [
        ("金额 Amount", format_yuan(order.amount_fen)),
        ("状态 Status", OrderStatus(order.status).label),
        ("下单时间 Ordered", _local(order.created_at)),
    ]
    if order.paid_at:
        lines.append(("支付时间 Paid", _local(order.paid_at)))
    return Receipt(
        title=kiosk.outlet.name,
        headline=format_yuan(order.amount_fen),
        headline_label=ORDER_TITLES[OrderKind(order.kind)],
        lines=tuple(lines),
        footer=("请妥善保管本凭条", "Please keep this receipt"),
    )


def receipt_print(*, kiosk: KioskDevice, receipt: Receipt, what: str, origin: Origin) -> None:
    """Print on the kiosk's network printer. PrinterUnavailable (503) when the
    kiosk has none or it does not answer; the attempt is logged either way."""
    with action_log(origin, "receipt_print", detail={"what": what}):
        if not kiosk.printer_address:
            raise PrinterUnavailable()
        network_printer().print(receipt, address=kiosk.printer_address)
