"""Booking and cancelling by text at the SMS hall (POST /api/v1/sms/inbound/)."""

import pytest
from rest_framework.test import APIClient

from queueing.appointments.models import Appointment, AppointmentChannel, AppointmentStatus, SlotLoad
from tests.kiosk.factories import SubscriberFactory

from .conftest import PHONE
from .factories import at


@pytest.fixture
def texter(hall_floor, settings):
    settings.SMS_INBOUND_TOKEN = "gateway-token"
    SubscriberFactory(msisdn=PHONE)
    client = APIClient()
    client.credentials(HTTP_X_GATEWAY_TOKEN="gateway-token")

    def send(text):
        response = client.post("/api/v1/sms/inbound/", {"from": PHONE, "to": "10086", "text": text}, format="json")
        assert response.status_code == 200, response.content
        return response.json()["reply"]

    return send


def test_yy_books_a_slot_and_replies_with_the_code(texter, hall_floor):
    reply = texter(f"YY {hall_floor.hall.code} payment 2027-01-18 10:00")

    appointment = Appointment.objects.get()
    assert (appointment.phone, appointment.starts_at, appointment.channel) == (PHONE, at(10), AppointmentChannel.SMS)
    assert "预约成功" in reply and appointment.code in reply


@pytest.mark.parametrize("service, day, when", [("A", "明天", "1000"), ("缴费充值", "1-19", "10:00"),
                                                ("payment", "20270119", "10:00")])
def test_yy_takes_the_service_by_prefix_or_name_and_short_dates(texter, hall_floor, service, day, when):
    texter(f"yy {hall_floor.hall.code.lower()} {service} {day} {when}")

    assert Appointment.objects.get().starts_at == at(10, day=at(10).date().replace(day=19))


def test_qxyy_cancels_ones_booking(texter, hall_floor):
    texter(f"YY {hall_floor.hall.code} payment 2027-01-18 10:00")
    code = Appointment.objects.get().code

    reply = texter(f"QXYY {code}")

    assert "已取消" in reply
    assert Appointment.objects.get().status == AppointmentStatus.CANCELLED
    assert SlotLoad.objects.get().booked == 0


def test_qxyy_does_not_cancel_someone_elses_booking(texter, hall_floor):
    from queueing.appointments import services

    other, _ = services.appointment_book(outlet=hall_floor.hall, service_code="payment", phone="13900139000",
                                         starts_at=at(10), channel="mobile")

    reply = texter(f"QXYY {other.code}")

    assert "未成功" in reply
    assert Appointment.objects.get().status == AppointmentStatus.BOOKED


def test_a_full_slot_is_said_so(texter, hall_floor):
    from queueing.appointments import services

    for phone in ("13900139001", "13900139002"):
        services.appointment_book(outlet=hall_floor.hall, service_code="payment", phone=phone, starts_at=at(10),
                                  channel="mobile")

    reply = texter(f"YY {hall_floor.hall.code} payment 2027-01-18 10:00")

    assert "已约满" in reply


@pytest.mark.parametrize("text", ["YY", "YY NOPE payment 明天 10:00", "YY {hall} nope 明天 10:00",
                                  "YY {hall} payment 2027-13-40 10:00", "YY {hall} payment 明天 10:10",
                                  "QXYY"])
def test_a_malformed_command_gets_a_helpful_reply_and_books_nothing(texter, hall_floor, text):
    reply = texter(text.format(hall=hall_floor.hall.code))

    assert reply.startswith("【营业厅预约】")
    assert not Appointment.objects.exists()
