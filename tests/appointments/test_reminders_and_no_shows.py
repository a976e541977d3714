"""The reminder texts before a slot (each once) and the no-shows after its window."""

from datetime import timedelta

from queueing.appointments import tasks
from queueing.appointments.models import Appointment, AppointmentStatus, SlotLoad
from sms.models import SmsMessage

from .conftest import PHONE
from .factories import MONDAY, at

TUESDAY = MONDAY + timedelta(days=1)


def book(client, hall, starts_at):
    response = client.post(f"/api/v1/halls/{hall.code}/appointments/",
                           {"service": "payment", "starts_at": starts_at.isoformat()}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["code"]


def reminders(kind=None):
    texts = SmsMessage.objects.filter(to=PHONE, purpose="appointment_reminder")
    if kind:
        texts = texts.filter(dedupe_key__endswith=f":{kind}")
    return list(texts)


def test_the_day_before_reminder_goes_once_a_day_ahead(customer, hall_floor, clock):
    code = book(customer, hall_floor.hall, at(10, day=TUESDAY))
    clock.move_to(at(9, 59))
    tasks.appointment_reminders_send()
    assert reminders() == []

    clock.move_to(at(10))
    tasks.appointment_reminders_send()
    clock.move_to(at(10, 1))
    tasks.appointment_reminders_send()

    sent = reminders("day")
    assert len(sent) == 1
    assert code in sent[0].text and "明天 10:00" in sent[0].text


def test_the_hour_before_reminder_goes_once_an_hour_ahead(customer, hall_floor, clock):
    book(customer, hall_floor.hall, at(10, day=TUESDAY))
    clock.move_to(at(10))
    tasks.appointment_reminders_send()
    clock.move_to(at(8, 59, day=TUESDAY))
    tasks.appointment_reminders_send()
    assert reminders("hour") == []

    for minute in (0, 1, 30):
        clock.move_to(at(9, minute, day=TUESDAY))
        tasks.appointment_reminders_send()

    assert len(reminders("day")) == 1
    hour = reminders("hour")
    assert len(hour) == 1 and "今天 10:00" in hour[0].text


def test_a_booking_made_shortly_before_its_slot_gets_no_reminder(customer, hall_floor, clock):
    clock.move_to(at(9, 20))
    book(customer, hall_floor.hall, at(10))

    tasks.appointment_reminders_send()

    assert reminders() == []


def test_a_cancelled_booking_gets_no_reminder(customer, hall_floor, clock):
    code = book(customer, hall_floor.hall, at(10, day=TUESDAY))
    customer.post(f"/api/v1/me/appointments/{code}/cancel/")
    clock.move_to(at(9, 30, day=TUESDAY))

    tasks.appointment_reminders_send()

    assert reminders() == []


def test_a_moved_booking_is_reminded_of_its_new_slot(customer, hall_floor, clock):
    code = book(customer, hall_floor.hall, at(10))
    clock.move_to(at(9))
    tasks.appointment_reminders_send()
    customer.post(f"/api/v1/me/appointments/{code}/move/", {"starts_at": at(16).isoformat()}, format="json")

    clock.move_to(at(15))
    tasks.appointment_reminders_send()

    hour = reminders("hour")
    assert len(hour) == 2
    assert "16:00" in hour[0].text or "16:00" in hour[1].text


def test_a_booking_not_checked_in_by_the_end_of_its_window_is_a_no_show_and_frees_its_slot(
        customer, hall_floor, clock):
    code = book(customer, hall_floor.hall, at(10))
    clock.move_to(at(10, 15))
    assert tasks.appointment_no_shows_mark() == 0

    clock.move_to(at(10, 16))
    marked = tasks.appointment_no_shows_mark()

    assert marked == 1
    appointment = Appointment.objects.get(code=code)
    assert appointment.status == AppointmentStatus.NO_SHOW and appointment.no_show_at == at(10, 16)
    assert SlotLoad.objects.get(starts_at=at(10)).booked == 0
    assert tasks.appointment_no_shows_mark() == 0


def test_a_checked_in_booking_is_never_a_no_show(customer, kiosk, hall_floor, clock):
    code = book(customer, hall_floor.hall, at(10))
    clock.move_to(at(9, 45))
    kiosk.post(f"/api/v1/halls/{hall_floor.hall.code}/appointments/check-in/", {"code": code}, format="json")

    clock.move_to(at(11))
    tasks.appointment_no_shows_mark()

    assert Appointment.objects.get(code=code).status == AppointmentStatus.CHECKED_IN
    assert SlotLoad.objects.get(starts_at=at(10)).booked == 1


def test_a_no_show_who_turns_up_later_the_same_day_gets_a_walk_in_ticket(customer, kiosk, hall_floor, clock):
    code = book(customer, hall_floor.hall, at(10))
    clock.move_to(at(10, 30))
    tasks.appointment_no_shows_mark()

    response = kiosk.post(f"/api/v1/halls/{hall_floor.hall.code}/appointments/check-in/", {"code": code},
                          format="json")

    assert response.status_code == 201
    assert response.json()["late"] is True
    assert SlotLoad.objects.get(starts_at=at(10)).booked == 0
