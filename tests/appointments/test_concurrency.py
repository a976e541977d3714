"""Bookings never exceed a slot's capacity, whoever books or moves at once
(real threads on PostgreSQL)."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from queueing.appointments import services
from queueing.appointments.errors import SlotFull
from queueing.appointments.models import Appointment, AppointmentStatus, SlotLoad
from queueing.models import Ticket
from tests.queueing.factories import build_floor
from tests.threads import run_in_threads

from .factories import at, capacity_every_day

DAY = timezone.localdate() + timedelta(days=1)
BOOKED_AT = at(8, day=DAY)


def book(floor, phone, starts_at):
    appointment, _ = services.appointment_book(outlet=floor.hall, service_code="payment", phone=phone,
                                               starts_at=starts_at, channel="mobile", now=BOOKED_AT)
    return appointment


@pytest.fixture
def floor(transactional_db):
    floor = build_floor()  # open 24 hours
    capacity_every_day(floor.hall, floor.payment, starts=time(9), ends=time(17), per_slot=3)
    return floor


@pytest.mark.django_db(transaction=True)
def test_thirty_phones_racing_for_a_slot_of_three_book_it_three_times(on_postgres, floor):
    results, errors = run_in_threads(30, lambda i: book(floor, f"138{i:08d}", at(10, day=DAY)))

    assert len(results) == 3
    assert len(errors) == 27 and all(isinstance(e, SlotFull) for e in errors)
    assert SlotLoad.objects.get(starts_at=at(10, day=DAY)).booked == 3
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 3


@pytest.mark.django_db(transaction=True)
def test_moves_and_bookings_racing_into_one_slot_never_pass_its_capacity(on_postgres, floor):
    # Twelve bookings spread over other slots, each moving to 14:00 while
    # twelve other phones book 14:00 directly.
    spread = [book(floor, f"139{i:08d}", at(9 + i % 4, 30, day=DAY)) for i in range(12)]
    target = at(14, day=DAY)

    def act(i):
        if i % 2:
            return services.appointment_move(code=spread[i // 2].code, phone=spread[i // 2].phone, starts_at=target,
                                             now=BOOKED_AT)
        return book(floor, f"137{i:08d}", target)

    results, errors = run_in_threads(24, act)

    assert len(results) == 3
    assert all(isinstance(e, SlotFull) for e in errors)
    assert Appointment.objects.filter(starts_at=target, status=AppointmentStatus.BOOKED).count() == 3
    for load in SlotLoad.objects.all():
        held = Appointment.objects.filter(starts_at=load.starts_at, status=AppointmentStatus.BOOKED).count()
        assert load.booked == held, load


@pytest.mark.django_db(transaction=True)
def test_a_booking_checked_in_at_two_kiosks_at_once_gets_one_ticket(on_postgres, floor):
    appointment = book(floor, "13800138000", at(10, day=DAY))
    now = at(10, 5, day=DAY)

    results, errors = run_in_threads(
        8, lambda i: services.appointment_check_in(outlet=floor.hall, code=appointment.code, now=now))

    assert errors == []
    assert len({ticket.pk for _, ticket, _ in results}) == 1
    assert sum(created for _, _, created in results) == 1
    assert Ticket.objects.count() == 1

