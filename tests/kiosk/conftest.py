import re
import secrets
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from kiosk.models import CustomerSession, token_digest
from sms.models import SmsMessage
from tests.halls.factories import OutletFactory

from .factories import KioskDeviceFactory, SubscriberFactory, VasFactory, subscribe

KIOSK_TOKEN = "kiosk-secret-token"


@pytest.fixture
def hall(db):
    return OutletFactory()


@pytest.fixture
def kiosk(hall):
    return KioskDeviceFactory(outlet=hall, token=KIOSK_TOKEN)


@pytest.fixture
def kiosk_api(kiosk):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Kiosk {KIOSK_TOKEN}")
    return client


@pytest.fixture
def subscriber(db):
    """Like the demo subscriber: 300 MB and 600 WLAN minutes a month, a balance, points, two services."""
    person = SubscriberFactory(msisdn="13800138000", name="张伟")
    subscribe(person, VasFactory(code="CL", name="彩铃", monthly_fee_fen=500))
    subscribe(person, VasFactory(code="QQLZ", name="QQ蓝钻", monthly_fee_fen=1_000))
    VasFactory(code="SJB", name="手机报", monthly_fee_fen=300)
    return person


def customer_client(phone: str, kiosk=None) -> APIClient:
    """An API client signed in as the customer of `phone` (as after a verified code)."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    CustomerSession.objects.create(token_hash=token_digest(token), phone=phone, created_at=now,
                                   expires_at=now + timedelta(minutes=30), kiosk=kiosk)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Customer {token}")
    return client


@pytest.fixture
def customer_api(subscriber):
    return customer_client(subscriber.msisdn)


@pytest.fixture
def celery_eager(settings):
    """Tasks run where they are sent, the real tasks with their retries, errors
    propagating (only for the tests that ask; see config.tasks.enqueue)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_TASK_EAGER_PROPAGATES = True


# 2027-01-15 16:00 in Zhengzhou, a Friday afternoon.
FIXED_INSTANT = 1_800_000_000.0


@pytest.fixture
def fixed_clock():
    """A clock that stands still: every request of the test falls in one rate-limit window."""
    with time_machine.travel(FIXED_INSTANT, tick=False):
        yield


def last_code(phone: str) -> str:
    """The six-digit code in the newest text to `phone`."""
    message = SmsMessage.objects.filter(to=phone).order_by("-created_at", "-id").first()
    return re.search(r"\d{6}", message.text).group()
