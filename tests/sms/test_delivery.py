"""Texts are delivered by a Celery task after commit, with retries: a gateway
that fails a few times still gets the text once; one that keeps failing
leaves the text marked failed. The gateway is the outside system: a backend
here (SMS_BACKEND names any class), the real task runs in Celery's eager mode."""

import logging

import pytest

from sms.backends import SmsDeliveryError
from sms.models import SmsMessage, SmsStatus
from sms.services import sms_queue
from sms.tasks import MAX_RETRIES

PHONE = "13800138000"


class FlakyGateway:
    """A gateway that fails the first `failures` sends, then takes every text."""

    name = "flaky"
    failures = 0
    attempts = 0
    delivered: list = []

    def send(self, *, to: str, text: str) -> None:
        FlakyGateway.attempts += 1
        if FlakyGateway.attempts <= FlakyGateway.failures:
            raise SmsDeliveryError("gateway busy")
        FlakyGateway.delivered.append((to, text))


@pytest.fixture
def gateway(settings):
    settings.SMS_BACKEND = f"{__name__}.FlakyGateway"
    FlakyGateway.failures, FlakyGateway.attempts, FlakyGateway.delivered = 0, 0, []
    return FlakyGateway


@pytest.fixture
def worker(settings):
    """Tasks run where they are sent, the real task with its retries."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


def queue_and_commit(capture, text="您的验证码是123456") -> SmsMessage:
    with capture(execute=True):
        message = sms_queue(to=PHONE, text=text, purpose="test")
    message.refresh_from_db()
    return message


def test_a_text_is_delivered_after_commit(db, gateway, worker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = sms_queue(to=PHONE, text="您好", purpose="test")
        delivered_before_commit = list(gateway.delivered)

    message.refresh_from_db()
    assert delivered_before_commit == []
    assert gateway.delivered == [(PHONE, "您好")]
    assert (message.status, message.attempts, message.backend) == (SmsStatus.SENT, 1, "flaky")


def test_a_gateway_that_fails_three_times_is_retried_and_the_text_sent_once(
        db, gateway, worker, django_capture_on_commit_callbacks):
    gateway.failures = 3

    message = queue_and_commit(django_capture_on_commit_callbacks)

    assert gateway.delivered == [(PHONE, "您的验证码是123456")]
    assert (message.status, message.attempts, message.last_error) == (SmsStatus.SENT, 4, "")
    assert message.sent_at is not None


def test_a_gateway_that_keeps_failing_leaves_the_text_marked_failed(
        db, gateway, worker, django_capture_on_commit_callbacks):
    gateway.failures = 1_000

    message = queue_and_commit(django_capture_on_commit_callbacks)

    assert gateway.delivered == []
    assert (message.status, message.attempts, message.last_error) == (SmsStatus.FAILED, MAX_RETRIES + 1,
                                                                      "gateway busy")


def test_a_text_already_sent_is_not_sent_again_by_a_repeated_task(
        db, gateway, worker, django_capture_on_commit_callbacks):
    from config.tasks import enqueue

    message = queue_and_commit(django_capture_on_commit_callbacks)

    enqueue("sms.tasks.sms_deliver", message.pk)

    assert len(gateway.delivered) == 1
    assert SmsMessage.objects.get(pk=message.pk).attempts == 1


def test_without_a_commit_nothing_is_delivered(db, gateway, worker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = sms_queue(to=PHONE, text="您好", purpose="test")

    assert len(callbacks) == 1
    assert gateway.delivered == []
    assert SmsMessage.objects.get(pk=message.pk).status == SmsStatus.QUEUED


# --- Personal data ----------------------------------------------------------------------


def test_the_console_backend_logs_a_masked_phone(caplog):
    from sms.backends import ConsoleBackend

    with caplog.at_level(logging.INFO, logger="sms.backends"):
        ConsoleBackend().send(to=PHONE, text="您好")

    assert PHONE not in caplog.text
    assert "138****8000" in caplog.text
