"""Data-usage reminders (流量提醒) by text, free, once per month per threshold, on a controlled clock."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from kiosk.carrier.gateway import get_carrier
from kiosk.carrier.rules import KB_PER_MB
from kiosk.models import UsageReminder
from kiosk.services import usage_record, usage_reminders_check
from sms.models import SmsMessage, SmsStatus

from .factories import PlanFactory, SubscriberFactory

MB = KB_PER_MB
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOV_10 = datetime(2026, 11, 10, 9, tzinfo=SHANGHAI)
NOV_20 = datetime(2026, 11, 20, 21, tzinfo=SHANGHAI)
DEC_2 = datetime(2026, 12, 2, 9, tzinfo=SHANGHAI)


def use(msisdn, *, at=NOV_10, data_kb=0, wlan_minutes=0) -> list[str]:
    """Record use at `at` and run the reminder check as the task would."""
    usage_record(msisdn=msisdn, data_kb=data_kb, wlan_minutes=wlan_minutes, at=at)
    return usage_reminders_check(msisdn=msisdn, now=at)


def texts(msisdn) -> list[str]:
    return list(SmsMessage.objects.filter(to=msisdn, purpose="usage_reminder").order_by("id")
                .values_list("text", flat=True))


@pytest.fixture
def no_plan(db):
    return SubscriberFactory(msisdn="13900000001", plan=PlanFactory(code="SZX", data_kb=0, wlan_minutes=0))


# --- Without a data plan ---------------------------------------------------------------


def test_without_a_plan_the_first_use_is_reminded_with_a_plan_recommended(no_plan):
    sent = use(no_plan.msisdn, data_kb=100)

    assert sent == ["first_use"]
    [text] = texts(no_plan.msisdn)
    assert "开始使用手机上网" in text and "G5" in text and "免费" in text


def test_without_a_plan_2_mb_is_reminded_once(no_plan):
    use(no_plan.msisdn, data_kb=100)

    assert use(no_plan.msisdn, data_kb=2 * MB) == ["no_plan_2mb"]
    assert use(no_plan.msisdn, data_kb=5 * MB) == []
    assert "2.0M" in texts(no_plan.msisdn)[1] or "2.1M" in texts(no_plan.msisdn)[1]


def test_just_under_2_mb_is_not_reminded_yet(no_plan):
    use(no_plan.msisdn, data_kb=100)

    assert use(no_plan.msisdn, data_kb=2 * MB - 101) == []


def test_going_straight_past_2_mb_texts_only_the_2_mb_reminder(no_plan):
    assert use(no_plan.msisdn, data_kb=3 * MB) == ["no_plan_2mb"]

    assert len(texts(no_plan.msisdn)) == 1
    assert set(UsageReminder.objects.values_list("key", flat=True)) == {"first_use", "no_plan_2mb"}


def test_without_a_plan_nothing_is_said_before_going_online(no_plan):
    assert use(no_plan.msisdn, wlan_minutes=0) == []


# --- With a plan (300 MB, 600 WLAN minutes) ---------------------------------------------------


def test_half_the_allowance_left_is_reminded(subscriber):
    assert use(subscriber.msisdn, data_kb=149 * MB) == []

    assert use(subscriber.msisdn, data_kb=1 * MB) == ["left_50pct"]
    assert "150.0M" in texts(subscriber.msisdn)[0]


def test_20_and_10_percent_left_are_reminded_in_turn(subscriber):
    use(subscriber.msisdn, data_kb=150 * MB)

    assert use(subscriber.msisdn, data_kb=90 * MB) == ["left_20pct"]
    assert use(subscriber.msisdn, data_kb=30 * MB) == ["left_10pct"]


@pytest.mark.smoke
def test_under_5_mb_left_is_reminded_once_a_month(subscriber):
    use(subscriber.msisdn, data_kb=270 * MB)

    assert use(subscriber.msisdn, data_kb=26 * MB) == ["left_5mb"]
    assert use(subscriber.msisdn, data_kb=1 * MB) == []
    assert "不足5M" in texts(subscriber.msisdn)[-1]


def test_a_used_up_plan_is_reminded_with_a_pack_recommended(subscriber):
    use(subscriber.msisdn, data_kb=296 * MB)

    assert use(subscriber.msisdn, data_kb=10 * MB) == ["used_up"]
    text = texts(subscriber.msisdn)[-1]
    assert "已用完" in text and "G20" in text and "1元/M" in text


def test_using_up_the_plan_at_once_texts_only_that_and_never_the_others_later(subscriber):
    assert use(subscriber.msisdn, data_kb=400 * MB) == ["used_up"]
    assert use(subscriber.msisdn, data_kb=1 * MB) == []

    assert len(texts(subscriber.msisdn)) == 1
    assert UsageReminder.objects.filter(text="").count() == 4  # 50%, 20%, 10% and 5 MB passed silently


def test_a_pack_counts_toward_the_allowance(subscriber):
    get_carrier().data_pack_buy(subscriber.msisdn, "G50", at=NOV_10)

    assert use(subscriber.msisdn, data_kb=300 * MB) == []
    assert use(subscriber.msisdn, data_kb=100 * MB) == ["left_50pct"]


def test_the_reminders_start_again_next_month(subscriber):
    use(subscriber.msisdn, data_kb=150 * MB, at=NOV_20)

    assert use(subscriber.msisdn, data_kb=150 * MB, at=DEC_2) == ["left_50pct"]
    assert set(UsageReminder.objects.values_list("month", flat=True)) == {"2026-11", "2026-12"}


def test_checking_again_sends_nothing_new(subscriber):
    use(subscriber.msisdn, data_kb=150 * MB)

    assert usage_reminders_check(msisdn=subscriber.msisdn, now=NOV_10) == []
    assert len(texts(subscriber.msisdn)) == 1


# --- Thresholds from the settings ---------------------------------------------------------


def test_a_higher_low_data_threshold_reminds_earlier(subscriber, settings):
    settings.USAGE_REMINDER_LOW_LEFT_MB = 10
    use(subscriber.msisdn, data_kb=270 * MB)

    assert use(subscriber.msisdn, data_kb=21 * MB) == ["left_10mb"]  # 9 MB left
    assert "已不足10M" in texts(subscriber.msisdn)[-1]


def test_the_percentages_left_are_the_settings(subscriber, settings):
    settings.USAGE_REMINDER_PERCENT_LEFT = [80]

    assert use(subscriber.msisdn, data_kb=61 * MB) == ["left_80pct"]
    assert use(subscriber.msisdn, data_kb=100 * MB) == []  # no 50% reminder any more


def test_a_no_plan_threshold_of_0_turns_that_reminder_off(no_plan, settings):
    settings.USAGE_REMINDER_NO_PLAN_MB = 0

    assert use(no_plan.msisdn, data_kb=3 * MB) == ["first_use"]


# --- WLAN ---------------------------------------------------------------------------------


def test_wlan_time_left_is_reminded_at_20_percent_and_when_used_up(subscriber):
    assert use(subscriber.msisdn, wlan_minutes=479) == []

    assert use(subscriber.msisdn, wlan_minutes=1) == ["wlan_20pct"]
    assert use(subscriber.msisdn, wlan_minutes=120) == ["wlan_used_up"]
    assert "WLAN" in texts(subscriber.msisdn)[0] and "120分钟" in texts(subscriber.msisdn)[0]


def test_data_and_wlan_reminders_go_separately(subscriber):
    assert use(subscriber.msisdn, data_kb=150 * MB, wlan_minutes=600) == ["left_50pct", "wlan_used_up"]


# --- Driven by usage records through Celery ----------------------------------------------------


def test_a_usage_record_checks_the_reminders_in_a_task_after_commit(subscriber, celery_eager,
                                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        usage_record(msisdn=subscriber.msisdn, data_kb=160 * MB, at=NOV_10)
        checked_before_commit = UsageReminder.objects.exists()

    assert not checked_before_commit
    reminder = UsageReminder.objects.get()
    assert (reminder.key, reminder.month) == ("left_50pct", "2026-11")
    assert SmsMessage.objects.get(purpose="usage_reminder").status == SmsStatus.SENT


def test_reminder_texts_are_deduplicated_in_the_outbox(subscriber):
    use(subscriber.msisdn, data_kb=150 * MB)

    assert SmsMessage.objects.get().dedupe_key == f"usage:{subscriber.msisdn}:2026-11:left_50pct"
