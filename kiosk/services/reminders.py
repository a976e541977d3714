"""Data-usage reminders (流量提醒), by text and free of charge (DOMAIN.md):

- no data plan: when the customer first goes online in the month, and again
  when the month's data reaches 2 MB, recommending a plan;
- with a plan (or packs): when less than 5 MB of the month's allowance is left;
  when it is used up, recommending an add-on pack; and when 50%, 20% and 10%
  of the allowance is left;
- WLAN time: when 20% of the plan's WLAN minutes is left, and when none is.

Each threshold is a setting (USAGE_REMINDER_*, the values above by default),
read when the reminders are checked. Each reminder goes once per number,
month and threshold (a unique row per threshold). When one use of data
crosses several thresholds at once, only the most urgent is texted; the
others are recorded as passed, so they never arrive late and out of order.

Usage arrives through `usage_record` (the network's usage feed), which
checks the reminders in a Celery task after commit.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.api import InvalidInput
from config.tasks import enqueue
from sms.services import sms_queue

from ..carrier.gateway import UsageInfo, get_carrier
from ..carrier.rules import DATA_PACKS, KB_PER_MB, OVERAGE_FEN_PER_MB, DataPack, month_of
from ..models import UsageReminder

SIGNATURE = "【中国移动】"
FREE = "（本提醒免费）"


@dataclass(frozen=True)
class Reminder:
    key: str
    group: str  # "data" or "wlan": each group texts its most urgent new reminder
    # Higher is more urgent. For the allowance: minus the KB left at which it
    # fires, so reminders come in the order the allowance runs down.
    urgency: int
    text: str


@dataclass(frozen=True)
class Thresholds:
    """When the reminders fire; from the USAGE_REMINDER_* settings. An MB
    threshold of 0, an empty list or False turns that reminder off."""

    first_use: bool
    no_plan_mb: int
    low_left_mb: int
    used_up: bool
    percent_left: tuple[int, ...]
    wlan_percent_left: tuple[int, ...]
    wlan_used_up: bool

    @classmethod
    def from_settings(cls) -> "Thresholds":
        return cls(
            first_use=settings.USAGE_REMINDER_FIRST_USE,
            no_plan_mb=settings.USAGE_REMINDER_NO_PLAN_MB,
            low_left_mb=settings.USAGE_REMINDER_LOW_LEFT_MB,
            used_up=settings.USAGE_REMINDER_USED_UP,
            percent_left=tuple(settings.USAGE_REMINDER_PERCENT_LEFT),
            wlan_percent_left=tuple(settings.USAGE_REMINDER_WLAN_PERCENT_LEFT),
            wlan_used_up=settings.USAGE_REMINDER_WLAN_USED_UP,
        )


def format_kb(kb: int) -> str:
    """KB as MB with one decimal, in integers: 5120 -> '5.0M'."""
    tenths = kb * 10 // KB_PER_MB
    return f"{tenths // 10}.{tenths % 10}M"


def recommend_pack(allowance_kb: int) -> DataPack:
    """An add-on pack of about a quarter of the month's allowance, at least G5."""
    for pack in DATA_PACKS:
        if pack.data_kb * 4 >= allowance_kb:
            return pack
    return DATA_PACKS[-1]


def _pack_offer(pack: DataPack) -> str:
    return f"发送{pack.code}至10086可订购{pack.price_fen // 100}元{pack.data_kb // KB_PER_MB}M流量包"


def reminders_due(usage: UsageInfo, thresholds: Thresholds | None = None) -> list[Reminder]:
    """Every reminder whose threshold this month's usage has crossed."""
    limits = thresholds or Thresholds.from_settings()
    due = []
    used = usage.data_used_kb
    allowance = usage.allowance_kb
    rate = OVERAGE_FEN_PER_MB // 100
    if allowance == 0:
        plans = "、".join(p.code for p in DATA_PACKS)
        if limits.first_use and used > 0:
            due.append(Reminder("first_use", "data", 1, (
                f"{SIGNATURE}您本月已开始使用手机上网。您尚未订购流量套餐，上网按{rate}元/M计费；"
                f"订购流量套餐更实惠，发送{plans}至10086即可订购。{FREE}"
            )))
        if limits.no_plan_mb and used >= limits.no_plan_mb * KB_PER_MB:
            due.append(Reminder(f"no_plan_{limits.no_plan_mb}mb", "data", 2, (
                f"{SIGNATURE}您本月手机上网流量已达{format_kb(used)}，按{rate}元/M计费。"
                f"建议订购流量套餐：{_pack_offer(DATA_PACKS[0])}，更多套餐发送{plans}至10086。{FREE}"
            )))
    else:
        left = usage.allowance_left_kb
        for percent in limits.percent_left:
            if left * 100 <= allowance * percent:
                due.append(Reminder(f"left_{percent}pct", "data", -(allowance * percent // 100), (
                    f"{SIGNATURE}您本月套餐内流量剩余{format_kb(left)}，约为总量{format_kb(allowance)}的{percent}%。"
                    f"{FREE}"
                )))
        low_left_kb = limits.low_left_mb * KB_PER_MB
        if low_left_kb and left < low_left_kb:
            due.append(Reminder(f"left_{limits.low_left_mb}mb", "data", -low_left_kb, (
                f"{SIGNATURE}您本月套餐内流量剩余{format_kb(left)}，已不足{limits.low_left_mb}M，即将用完，超出后按"
                f"{rate}元/M计费。{_pack_offer(recommend_pack(allowance))}。{FREE}"
            )))
        if limits.used_up and left == 0:
            due.append(Reminder("used_up", "data", 0, (
                f"{SIGNATURE}您本月套餐内流量{format_kb(allowance)}已用完，超出部分按{rate}元/M计费。"
                f"推荐流量叠加包：{_pack_offer(recommend_pack(allowance))}，当月有效。{FREE}"
            )))
    if usage.wlan_minutes_total:
        wlan_left = usage.wlan_minutes_left
        for percent in limits.wlan_percent_left:
            if wlan_left * 100 <= usage.wlan_minutes_total * percent:
                due.append(Reminder(f"wlan_{percent}pct", "wlan", 100 - percent, (
                    f"{SIGNATURE}您本月套餐内WLAN时长剩余{wlan_left}分钟（共{usage.wlan_minutes_total}分钟）。{FREE}"
                )))
        if limits.wlan_used_up and wlan_left == 0:
            due.append(Reminder("wlan_used_up", "wlan", 100, (
                f"{SIGNATURE}您本月套餐内WLAN时长{usage.wlan_minutes_total}分钟已用完。{FREE}"
            )))
    return due


def usage_reminders_check(*, msisdn: str, now: datetime | None = None) -> list[str]:
    """Text the reminders this month's usage has newly earned. Returns the keys
    texted. Safe to run twice or at once: a threshold is claimed by its row."""
    now = now or timezone.now()
    month = month_of(now)
    usage = get_carrier().usage(msisdn, month)
    given = set(UsageReminder.objects.filter(msisdn=msisdn, month=month).values_list("key", flat=True))
    new = sorted((r for r in reminders_due(usage) if r.key not in given), key=lambda r: r.key)
    if not new:
        return []
    to_text = {}
    for reminder in new:
        if reminder.group not in to_text or reminder.urgency > to_text[reminder.group].urgency:
            to_text[reminder.group] = reminder
    texted = {r.key for r in to_text.values()}
    try:
        with transaction.atomic():
            # In key order: two checks at once claim the rows in the same order,
            # so the second waits for the first and then finds them taken.
            for reminder in new:
                UsageReminder.objects.create(
                    msisdn=msisdn, month=month, key=reminder.key, at=now,
                    text=reminder.text if reminder.key in texted else "",
                )
            for reminder in new:
                if reminder.key in texted:
                    sms_queue(to=msisdn, text=reminder.text, purpose="usage_reminder",
                              dedupe_key=f"usage:{msisdn}:{month}:{reminder.key}")
    except IntegrityError:
        return []  # another check claimed them a moment ago
    return sorted(texted)


def usage_record(*, msisdn: str, data_kb: int = 0, wlan_minutes: int = 0, at: datetime | None = None) -> None:
    """Record use from the network; the reminders are checked after commit,
    in a task (check_usage_reminders)."""
    for name, value in (("data_kb", data_kb), ("wlan_minutes", wlan_minutes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidInput(fields={name: ["A whole number, 0 or more."]})
    at = at or timezone.now()
    with transaction.atomic():
        get_carrier().usage_add(msisdn, data_kb=data_kb, wlan_minutes=wlan_minutes, at=at)
        at_iso = at.isoformat()
        # A lost check is made good by the next record, which sees the same thresholds.
        transaction.on_commit(lambda: enqueue("kiosk.tasks.check_usage_reminders", msisdn, at_iso), robust=True)
