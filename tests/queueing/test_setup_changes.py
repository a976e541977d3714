"""The hall's setup and routing are cached for the issue path; a change made
in the admin (or anywhere through the models) applies to the next ticket."""

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from halls.models import HallService, OpeningException, Outlet
from queueing import services
from tests.api_errors import assert_api_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue(floor):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=floor.agent).key}")

    def issue(service="payment"):
        return client.post(f"/api/v1/halls/{floor.hall.code}/tickets/", {"service": service, "channel": "kiosk"},
                           format="json")

    assert issue().status_code == 201  # the hall's setup is cached now
    return issue


def test_a_holiday_closure_applies_to_the_next_ticket(floor, issue):
    OpeningException.objects.create(outlet=floor.hall, date=timezone.localdate(), is_closed=True)

    response = issue()

    assert_api_error(response, 409, "hall_closed")


def test_a_service_withdrawn_from_the_hall_is_refused_at_once(floor, issue):
    offer = HallService.objects.get(outlet=floor.hall, service=floor.payment)
    offer.is_active = False
    offer.save()

    response = issue()

    assert "service" in assert_api_error(response, 400)["fields"]


def test_a_hall_taken_out_of_service_refuses_tickets_at_once(floor, issue):
    hall = Outlet.objects.get(pk=floor.hall.pk)
    hall.is_active = False
    hall.save()

    response = issue()

    assert_api_error(response, 404)


def test_a_counter_opening_shortens_the_next_tickets_estimate(floor, issue):
    issue()
    issue()
    before = issue().json()["estimated_wait_seconds"]  # fourth in line, no counter open
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent2)

    after = issue().json()["estimated_wait_seconds"]

    assert after < before
