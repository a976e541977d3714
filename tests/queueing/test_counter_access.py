"""Who may work a counter is remembered by each server process for a few
seconds, but a change made through this process applies at once, and a
refusal is never remembered."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from halls.models import StaffMembership

pytestmark = pytest.mark.django_db


def client_of(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_an_agent_taken_off_the_hall_is_refused_at_once(floor):
    client = client_of(floor.agent)
    assert client.get(f"/api/v1/counters/{floor.counter1.pk}/").status_code == 200  # now remembered
    StaffMembership.objects.filter(user=floor.agent, outlet=floor.hall).delete()

    response = client.post(f"/api/v1/counters/{floor.counter1.pk}/open/")

    assert response.status_code == 403


def test_an_agent_added_to_the_hall_is_let_in_at_once(floor, django_user_model):
    newcomer = django_user_model.objects.create_user(username="newcomer", password="x")
    client = client_of(newcomer)
    assert client.get(f"/api/v1/counters/{floor.counter1.pk}/").status_code == 403
    StaffMembership.objects.create(user=newcomer, outlet=floor.hall)

    response = client.get(f"/api/v1/counters/{floor.counter1.pk}/")

    assert response.status_code == 200


def test_a_counter_removed_after_its_access_was_remembered_is_not_found(floor):
    client = client_of(floor.agent)
    assert client.get(f"/api/v1/counters/{floor.counter3.pk}/").status_code == 200
    floor.counter3.delete()

    response = client.post(f"/api/v1/counters/{floor.counter3.pk}/open/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
