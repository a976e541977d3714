"""Booking by text (the SMS hall's appointment commands).

- "YY <hall code> <service> <date> <time>": book, e.g.
  "YY ZZ-H001 new_line 2027-01-18 10:00". The service is its code, its
  number prefix at the hall (B) or its name (新入网/选号/SIM卡); the date
  YYYY-MM-DD, MM-DD, M/D, 今天, 明天 or 后天; the time HH:MM or HHMM.
- "QXYY <code>": cancel one's booking.

The SMS hall (kiosk.services.sms_hall) hands every text here first; a text
that is neither command gets None back and is the SMS hall's to answer.
"""

import re
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from config.api import DomainError
from halls.models import HallService, Outlet

from ..models import AppointmentChannel
from .bookings import SIGNATURE, appointment_book, appointment_cancel

BOOK_WORD = "YY"
CANCEL_WORD = "QXYY"
RELATIVE_DAYS = {"今天": 0, "明天": 1, "后天": 2}
USAGE = (f"{SIGNATURE}预约格式：YY 营业厅编码 业务 日期 时间，例如 YY ZZ-H001 B 明天 10:00"
         f"（业务可填代码、号码字母或名称）。取消预约：QXYY 预约码。")


def _parse_date(token: str, today: date) -> date | None:
    if token in RELATIVE_DAYS:
        return today + timedelta(days=RELATIVE_DAYS[token])
    match = (re.fullmatch(r"(\d{4})-?(\d{1,2})-?(\d{1,2})", token)
             or re.fullmatch(r"()(\d{1,2})[-/.月](\d{1,2})日?", token))
    if not match:
        return None
    year = int(match.group(1)) if match.group(1) else today.year
    try:
        day = date(year, int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    if not match.group(1) and day < today:
        day = day.replace(year=today.year + 1)  # "01-05" in late December is next year's
    return day


def _parse_time(token: str) -> time | None:
    match = re.fullmatch(r"(\d{1,2})[:：点]?(\d{2})", token)
    if not match:
        return None
    try:
        return time(int(match.group(1)), int(match.group(2)))
    except ValueError:
        return None


def _service_code(outlet: Outlet, token: str) -> str | None:
    for offer in HallService.objects.filter(outlet=outlet, is_active=True).select_related("service"):
        if token in (offer.service.code.upper(), offer.prefix.upper(), offer.service.name_zh.upper()):
            return offer.service.code
    return None


def _error_text(exc: DomainError) -> str:
    if exc.fields:
        message = next(iter(exc.fields.values()))[0]
    else:
        message = str(exc.message)
    return message.split(" / ")[0]


def appointment_text_command(*, phone: str, text: str, now: datetime | None = None) -> str | None:
    """The reply to an appointment command from `phone` (`text` already
    normalised: upper case, half-width), or None when `text` is not one."""
    parts = text.split()
    if not parts or parts[0] not in (BOOK_WORD, CANCEL_WORD):
        return None
    now = now or timezone.now()
    if parts[0] == CANCEL_WORD:
        if len(parts) != 2:
            return USAGE
        try:
            appointment = appointment_cancel(code=parts[1], phone=phone, now=now)
        except DomainError as exc:
            return f"{SIGNATURE}取消未成功：{_error_text(exc)}。"
        local = timezone.localtime(appointment.starts_at)
        return f"{SIGNATURE}您{local.month}月{local.day}日 {local:%H:%M}的预约 {appointment.code} 已取消。"
    if len(parts) != 5:
        return USAGE
    _, hall_code, service_token, date_token, time_token = parts
    outlet = Outlet.objects.filter(code=hall_code, is_active=True, has_queue=True).first()
    if outlet is None:
        return f"{SIGNATURE}未找到营业厅 {hall_code}，请核对营业厅编码。"
    service_code = _service_code(outlet, service_token)
    if service_code is None:
        return f"{SIGNATURE}{outlet.name}没有业务“{service_token}”。" + USAGE.removeprefix(SIGNATURE)
    day, at = _parse_date(date_token, timezone.localdate(now)), _parse_time(time_token)
    if day is None or at is None:
        return f"{SIGNATURE}日期或时间格式不对。" + USAGE.removeprefix(SIGNATURE)
    starts_at = datetime.combine(day, at, tzinfo=timezone.get_current_timezone())
    try:
        appointment, _ = appointment_book(outlet=outlet, service_code=service_code, phone=phone,
                                          starts_at=starts_at, channel=AppointmentChannel.SMS, now=now)
    except DomainError as exc:
        return f"{SIGNATURE}预约未成功：{_error_text(exc)}。"
    return (f"{SIGNATURE}预约成功：{day.month}月{day.day}日 {at:%H:%M} {outlet.name}"
            f"{appointment.service.name_zh}，预约码 {appointment.code}。到厅后在取号机签到。")
