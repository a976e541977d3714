"""The SMS hall (短信营业厅): texts to 10086 and the replies.

Commands (case and full-width insensitive):

- "10086" or "菜单": the numbered menu; reply with a number.
- "0000": every value-added service, numbered; reply with a number to cancel it.
- "CXLL", "LL" or "流量": this month's data and WLAN time.
- "CXYE", "YE" or "余额": the balance.  "CXJF", "JF" or "积分": points.
- "G5", "G10", "G20", "G30", "G50": a data pack; reply "Y" or "是" within five
  minutes to buy it (the second confirmation), "N" or "否" to drop it.
- "YY <hall code> <service> <date> <time>" books a hall visit, "QXYY <code>"
  cancels it (queueing.appointments.services.texts).

What the hall last asked a phone is kept for five minutes (SmsDialog), so
that a reply of "2" or "Y" means something. Replies go through the SMS outbox.
"""

import unicodedata
from datetime import datetime, timedelta

from django.utils import timezone

from config.api import DomainError
from queueing.appointments.services import appointment_text_command
from sms.services import sms_queue

from ..carrier.errors import UnknownPack
from ..carrier.gateway import get_carrier
from ..carrier.rules import DATA_PACKS, KB_PER_MB, OVERAGE_FEN_PER_MB, data_pack
from ..models import SmsDialog, SmsDialogKind
from .account import account_overview, data_pack_buy, usage_get
from .actions import SMS_HALL, action_log
from .reminders import format_kb
from .vas import vas_cancel, vas_list

DIALOG_LIFETIME = timedelta(minutes=5)
MENU_WORDS = {"10086", "菜单", "CD"}
VAS_WORDS = {"0000"}
USAGE_WORDS = {"CXLL", "LL", "流量", "查流量"}
BALANCE_WORDS = {"CXYE", "YE", "余额", "话费", "查话费"}
POINTS_WORDS = {"CXJF", "JF", "积分"}
YES_WORDS = {"Y", "YES", "是", "确认"}
NO_WORDS = {"N", "NO", "否", "取消"}
SIGNATURE = "【10086短信营业厅】"

MENU = (
    ("1", "话费余额"),
    ("2", "本月流量"),
    ("3", "增值业务查询与退订"),
    ("4", "流量包订购"),
    ("5", "积分查询"),
)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}元"


def _normalise(text: str) -> str:
    # NFKC folds full-width letters and digits (Ｇ１０) into ASCII.
    return unicodedata.normalize("NFKC", text or "").strip().upper()


def sms_inbound_handle(*, sender: str, to: str = "10086", text: str, now: datetime | None = None) -> str:
    """Answer one text from `sender`. Returns the reply, which is also queued
    as a text to the sender."""
    now = now or timezone.now()
    command = _normalise(text)
    with action_log(SMS_HALL, "sms_inbound", phone=sender, detail={"text": command[:20]}) as entry:
        reply = _answer(sender, command, now)
        entry.detail["reply"] = reply[:60]
    reply = reply[:500]
    sms_queue(to=sender, text=reply, purpose="sms_hall")
    return reply


def _dialog(phone: str, now: datetime) -> SmsDialog | None:
    return SmsDialog.objects.filter(phone=phone, expires_at__gt=now).first()


def _ask(phone: str, kind: str, payload: dict, now: datetime) -> None:
    SmsDialog.objects.update_or_create(
        phone=phone, defaults={"kind": kind, "payload": payload, "expires_at": now + DIALOG_LIFETIME}
    )


def _forget(phone: str) -> None:
    SmsDialog.objects.filter(phone=phone).delete()


def _answer(phone: str, command: str, now: datetime) -> str:
    if get_carrier().account(phone) is None:
        return f"{SIGNATURE}您好，该号码不是本网有效用户，暂不能使用短信营业厅。"
    dialog = _dialog(phone, now)
    if dialog is not None:
        reply = _answer_dialog(phone, dialog, command, now)
        if reply is not None:
            return reply
    booking_reply = appointment_text_command(phone=phone, text=command, now=now)
    if booking_reply is not None:
        return booking_reply
    if command in MENU_WORDS:
        return _menu(phone, now)
    if command in VAS_WORDS:
        return _vas_menu(phone, now)
    if command in USAGE_WORDS:
        return _usage(phone, now)
    if command in BALANCE_WORDS:
        return _balance(phone)
    if command in POINTS_WORDS:
        return _points(phone)
    if command in YES_WORDS or command in NO_WORDS:
        return f"{SIGNATURE}您没有待确认的业务，或确认已超时（5分钟），请重新发送业务代码。"
    try:
        pack = data_pack(command)
    except UnknownPack:
        return f"{SIGNATURE}抱歉，未能识别您的指令。发送10086获取菜单，发送0000查询或退订增值业务。"
    _ask(phone, SmsDialogKind.PACK_CONFIRM, {"code": pack.code}, now)
    return (
        f"{SIGNATURE}您将订购{pack.name}，{_yuan(pack.price_fen)}，从话费余额中扣除，当月有效，"
        f"超出后{OVERAGE_FEN_PER_MB // 100}元/M。请在5分钟内回复Y或“是”确认订购，回复N取消。"
    )


def _answer_dialog(phone: str, dialog: SmsDialog, command: str, now: datetime) -> str | None:
    """The reply to an answer of the last question, or None when the text is not one."""
    if dialog.kind == SmsDialogKind.PACK_CONFIRM:
        if command in YES_WORDS:
            _forget(phone)
            return _buy_pack(phone, dialog.payload["code"], now)
        if command in NO_WORDS:
            _forget(phone)
            return f"{SIGNATURE}已取消，未订购任何业务。"
        return None
    if not command.isdigit():
        return None
    if dialog.kind == SmsDialogKind.MENU:
        choices = {
            "1": lambda: _balance(phone),
            "2": lambda: _usage(phone, now),
            "3": lambda: _vas_menu(phone, now),
            "4": _packs,
            "5": lambda: _points(phone),
        }
        if command in choices:
            return choices[command]()
        return f"{SIGNATURE}请回复1-{len(MENU)}之间的编号。"
    if dialog.kind == SmsDialogKind.VAS_MENU:
        codes = dialog.payload.get("codes", [])
        index = int(command) - 1 if len(command) <= 3 else -1
        if not 0 <= index < len(codes):
            return f"{SIGNATURE}请回复1-{len(codes)}之间的序号退订对应业务。"
        code, name = codes[index]
        try:
            vas_cancel(phone=phone, code=code, origin=SMS_HALL, now=now)
        except DomainError:
            return f"{SIGNATURE}{name}已退订，无需重复操作。"
        return f"{SIGNATURE}您已成功退订{name}，即时生效，不再收取费用。如需退订其他业务请继续回复序号。"
    return None


def _menu(phone: str, now: datetime) -> str:
    _ask(phone, SmsDialogKind.MENU, {}, now)
    items = "；".join(f"{number} {name}" for number, name in MENU)
    return (
        f"{SIGNATURE}请回复编号：{items}。也可直接发送：0000 查询/退订增值业务；CXLL 或 流量 查询本月流量；"
        f"CXYE 或 余额 查询余额；CXJF 或 积分 查询积分；G5、G10、G20、G30、G50 订购流量包。"
    )


def _vas_menu(phone: str, now: datetime) -> str:
    services = vas_list(phone=phone, origin=SMS_HALL)
    if not services:
        _forget(phone)
        return f"{SIGNATURE}您当前未订购任何增值业务。新订购的业务须经您二次确认才会生效。"
    _ask(phone, SmsDialogKind.VAS_MENU, {"codes": [[s.code, s.name] for s in services]}, now)
    lines = "；".join(
        f"{i}.{s.name} {_yuan(s.monthly_fee_fen)}/月" for i, s in enumerate(services, start=1)
    )
    return f"{SIGNATURE}您已订购的增值业务：{lines}。回复序号即可退订对应业务（5分钟内有效）。"


def _usage(phone: str, now: datetime) -> str:
    usage = usage_get(phone=phone, origin=SMS_HALL, now=now)
    parts = [
        f"{a.name}共{format_kb(a.total_kb)}，已用{format_kb(a.used_kb)}，剩余{format_kb(a.left_kb)}（{a.percent_left}%）"
        for a in usage.data
    ]
    if not parts:
        parts.append(f"您未订购流量套餐，本月已用{format_kb(usage.data_used_kb)}")
    if usage.overage_kb:
        parts.append(f"超出{format_kb(usage.overage_kb)}，按{OVERAGE_FEN_PER_MB // 100}元/M计{_yuan(usage.overage_fen)}")
    if usage.wlan_minutes_total:
        parts.append(f"WLAN剩余{usage.wlan_minutes_left}分钟（共{usage.wlan_minutes_total}分钟）")
    return f"{SIGNATURE}您{usage.month}的流量：" + "；".join(parts) + "。"


def _balance(phone: str) -> str:
    account = account_overview(phone=phone, origin=SMS_HALL)
    plan = f"，当前套餐：{account.plan.name}" if account.plan else ""
    return f"{SIGNATURE}您的话费余额为{_yuan(account.balance_fen)}{plan}。"


def _points(phone: str) -> str:
    account = account_overview(phone=phone, origin=SMS_HALL)
    return f"{SIGNATURE}您的可用积分为{account.points}分，可到营业厅自助终端兑换话费、流量和礼品。"


def _packs() -> str:
    offers = "；".join(f"{p.code}：{p.price_fen // 100}元{p.data_kb // KB_PER_MB}M" for p in DATA_PACKS)
    return (
        f"{SIGNATURE}手机上网流量包（当月有效）：{offers}；超出后{OVERAGE_FEN_PER_MB // 100}元/M。"
        f"发送对应代码（如G10）订购，并按提示回复Y确认。"
    )


def _buy_pack(phone: str, code: str, now: datetime) -> str:
    try:
        purchase = data_pack_buy(phone=phone, code=code, origin=SMS_HALL, now=now)
    except DomainError as exc:
        return f"{SIGNATURE}订购未成功：{exc.message.split(' / ')[0]}。"
    return (
        f"{SIGNATURE}您已成功订购{code}流量包（{format_kb(purchase.data_kb)}），当月有效，"
        f"已扣费{_yuan(purchase.price_fen)}，余额{_yuan(purchase.balance_fen)}。"
    )


def sms_dialogs_purge(*, now: datetime | None = None) -> int:
    deleted, _ = SmsDialog.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted
