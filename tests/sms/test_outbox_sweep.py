"""The outbox sweep (Celery beat, every minute): one-time codes do not stay
readable in the outbox once their life is over, and texts left `queued` (a
lost task, no worker) are sent after all."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from sms.models import SmsMessage, SmsStatus
from sms.services import sms_outbox_sweep, sms_queue

PHONE = "13800138000"
CODE_TEXT = "【中国移动】您的验证码是123456，5分钟内有效，请勿告诉他人。"


def code_text(*, life=timedelta(minutes=5)) -> SmsMessage:
    return sms_queue(to=PHONE, text=CODE_TEXT, purpose="otp", expires_at=timezone.now() + life)


def test_a_code_is_blanked_once_its_life_is_over(db):
    message = code_text()

    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1)):
        sms_outbox_sweep()

    message.refresh_from_db()
    assert "123456" not in message.text
    assert message.text.startswith("【中国移动】您的验证码是******")


def test_a_code_still_alive_is_left_readable(db):
    message = code_text()

    with time_machine.travel(timezone.now() + timedelta(minutes=4)):
        sms_outbox_sweep()

    message.refresh_from_db()
    assert message.text == CODE_TEXT


def test_a_text_without_a_life_is_never_blanked(db):
    message = sms_queue(to=PHONE, text="您的号码A012请到3号窗口", purpose="ticket_called")

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        sms_outbox_sweep()

    message.refresh_from_db()
    assert message.text == "您的号码A012请到3号窗口"


@pytest.fixture
def sent(monkeypatch):
    """The deliveries the sweep starts (the Celery task, by name)."""
    started = []
    monkeypatch.setattr("sms.services.enqueue", lambda name, *args, **kw: started.append((name, *args)))
    return started


def test_a_text_left_queued_is_sent_by_the_sweep(db, sent):
    message = sms_queue(to=PHONE, text="您的号码A012请到3号窗口", purpose="ticket_called")

    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        sms_outbox_sweep()

    assert sent == [("sms.tasks.sms_deliver", message.pk)]


def test_a_text_just_queued_is_left_to_its_own_task(db, sent):
    sms_queue(to=PHONE, text="您的号码A012请到3号窗口", purpose="ticket_called")

    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        sms_outbox_sweep()

    assert sent == []


def test_a_text_the_sweep_handed_on_is_not_handed_on_again_at_the_next_sweep(db, sent):
    sms_queue(to=PHONE, text="您的号码A012请到3号窗口", purpose="ticket_called")
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=11)):
        sms_outbox_sweep()

    with time_machine.travel(start + timedelta(minutes=12)):
        sms_outbox_sweep()

    assert len(sent) == 1


def test_a_code_left_queued_past_its_life_is_not_sent(db, sent):
    message = code_text()

    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        sms_outbox_sweep()

    message.refresh_from_db()
    assert sent == []
    assert message.status == SmsStatus.FAILED


def test_a_sent_text_is_not_sent_again(db, sent):
    message = sms_queue(to=PHONE, text="您好", purpose="ticket_called")
    SmsMessage.objects.filter(pk=message.pk).update(status=SmsStatus.SENT)

    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        sms_outbox_sweep()

    assert sent == []
