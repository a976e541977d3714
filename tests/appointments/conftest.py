from datetime import time

import pytest
import time_machine

from tests.queueing.factories import build_floor

from .factories import at, capacity_every_day, customer_client, kiosk_client

PHONE = "13800138000"
OTHER_PHONE = "13900139000"


@pytest.fixture
def clock():
    """The clock, standing at 08:00 on the Monday; `clock.move_to(at(9, 40))` moves it."""
    with time_machine.travel(at(8), tick=False) as traveller:
        yield traveller


@pytest.fixture
def hall_floor(db, clock):
    """A hall open 08:00-20:00 every day; payment booked 09:00-17:00 in half
    hours, two per slot."""
    floor = build_floor(hours=(time(8), time(20)))
    capacity_every_day(floor.hall, floor.payment)
    return floor


@pytest.fixture
def customer(hall_floor):
    return customer_client(PHONE)


@pytest.fixture
def other_customer(hall_floor):
    return customer_client(OTHER_PHONE)


@pytest.fixture
def kiosk(hall_floor):
    return kiosk_client(hall_floor.hall)
