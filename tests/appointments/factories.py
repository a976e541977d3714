"""Halls with slot capacities, customers and kiosks for the appointment tests."""

import secrets
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from rest_framework.test import APIClient

from kiosk.models import CustomerSession, token_digest
from queueing.appointments.models import SlotCapacity
from tests.kiosk.factories import KioskDeviceFactory

TZ = ZoneInfo("Asia/Shanghai")
# Monday 18 January 2027, before the hall opens.
MONDAY = datetime(2027, 1, 18, tzinfo=TZ).date()


def at(hour: int, minute: int = 0, *, day=MONDAY) -> datetime:
    """That time of `day` (the Monday by default) in the hall's zone."""
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def capacity_every_day(hall, service, *, starts=time(9), ends=time(17), slot_minutes=30, per_slot=2):
    SlotCapacity.objects.bulk_create([
        SlotCapacity(outlet=hall, service=service, weekday=day, starts=starts, ends=ends,
                     slot_minutes=slot_minutes, per_slot=per_slot)
        for day in range(7)
    ])


def customer_client(phone: str) -> APIClient:
    """An API client signed in as the customer of `phone` (as after a verified code)."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    CustomerSession.objects.create(token_hash=token_digest(token), phone=phone, created_at=now,
                                   expires_at=now + timedelta(days=30))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Customer {token}")
    return client


def kiosk_client(hall, token: str = "appointment-kiosk-token") -> APIClient:
    KioskDeviceFactory(outlet=hall, token=token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Kiosk {token}")
    return client
