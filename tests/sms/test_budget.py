"""The hourly text budget: texts cost money, so past SMS_HOURLY_BUDGET in a
clock hour only one-time codes and ticket calls still go, and the operators
are told once that hour."""

import logging

import pytest
import time_machine

from sms.models import SmsMessage, SmsStatus
from sms.services import sms_budget_exhausted, sms_queue

PHONE = "13800138000"
# 2027-01-15 16:10 in Zhengzhou: well inside one clock hour.
IN_AN_HOUR = 1_800_000_600.0


@pytest.fixture
def budget_of_two(db, settings):
    settings.SMS_HOURLY_BUDGET = 2
    with time_machine.travel(IN_AN_HOUR, tick=False) as clock:
        yield clock


def spend_the_budget():
    sms_queue(to=PHONE, text="一", purpose="usage_reminder")
    sms_queue(to=PHONE, text="二", purpose="usage_reminder")


def test_texts_within_the_hourly_budget_are_queued(budget_of_two):
    spend_the_budget()

    assert list(SmsMessage.objects.values_list("status", flat=True)) == [SmsStatus.QUEUED] * 2


def test_past_the_budget_a_reminder_is_kept_but_not_sent(budget_of_two, django_capture_on_commit_callbacks):
    spend_the_budget()

    with django_capture_on_commit_callbacks() as callbacks:
        message = sms_queue(to=PHONE, text="三", purpose="usage_reminder")

    assert message.status == SmsStatus.SKIPPED
    assert callbacks == []


@pytest.mark.parametrize("purpose", ["otp", "ticket_called"])
def test_past_the_budget_codes_and_ticket_calls_still_go(budget_of_two, purpose):
    spend_the_budget()

    message = sms_queue(to=PHONE, text="验证码123456", purpose=purpose)

    assert message.status == SmsStatus.QUEUED


def test_the_budget_is_counted_again_the_next_hour(budget_of_two):
    spend_the_budget()
    budget_of_two.shift(3600)

    message = sms_queue(to=PHONE, text="下一小时", purpose="usage_reminder")

    assert message.status == SmsStatus.QUEUED


def test_running_past_the_budget_is_alerted_once_an_hour(budget_of_two, caplog):
    spend_the_budget()

    with caplog.at_level(logging.ERROR, logger="sms.services"):
        for _ in range(3):
            sms_queue(to=PHONE, text="多", purpose="usage_reminder")

    alerts = [r for r in caplog.records if r.levelno == logging.ERROR and "budget" in r.getMessage()]
    assert len(alerts) == 1
    assert sms_budget_exhausted()


def test_within_the_budget_nothing_is_flagged(budget_of_two):
    spend_the_budget()

    assert not sms_budget_exhausted()
