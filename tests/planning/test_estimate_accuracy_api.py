"""The floor's figure of how right the wait estimates were: the hall's last
seven days replayed, the hall's estimator beside the naive one."""

from datetime import timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from halls.models import StaffRole
from tests.halls.factories import UserFactory, member
from tests.planning.test_accuracy import DAY, served_one_after_another
from tests.queueing.factories import build_floor

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall(db):
    floor = build_floor(code="EST-1")
    for day in range(1, 4):
        served_one_after_another(floor, DAY - timedelta(days=day), 10, 300)
    floor.manager = UserFactory(username="est-manager")
    member(floor.manager, floor.hall, StaffRole.MANAGER)
    return floor


def accuracy(user, code="EST-1"):
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    with time_machine.travel(DAY, tick=False):
        return api.get(f"/api/v1/halls/{code}/estimates/accuracy/")


def test_the_last_seven_days_are_replayed(hall):
    figures = accuracy(hall.manager).json()

    assert (figures["from"], figures["to"], figures["hall"]["tickets"]) == ("2026-11-30", "2026-12-06", 30)


def test_the_naive_estimate_is_shown_beside_the_halls(hall):
    figures = accuracy(hall.manager).json()

    assert figures["naive"]["tickets"] == figures["hall"]["tickets"] and figures["naive"]["mae_seconds"] is not None


def test_a_hall_without_history_says_so(db):
    floor = build_floor(code="EST-2")
    manager = UserFactory(username="est-manager-2")
    member(manager, floor.hall, StaffRole.MANAGER)

    assert accuracy(manager, "EST-2").json()["available"] is False


def test_an_agent_of_the_hall_reads_it(hall):
    assert accuracy(hall.agent).status_code == 200


def test_staff_of_another_hall_may_not(hall):
    other = build_floor(code="EST-3")

    assert accuracy(other.agent).status_code == 403


def test_anonymous_callers_are_asked_to_sign_in(hall):
    assert accuracy(None).status_code == 401
