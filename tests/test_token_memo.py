"""Staff tokens are remembered by each server process, but a token taken
away or a user switched off is refused at once by the process that did it."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(floor):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=floor.agent).key}")
    assert client.get(f"/api/v1/counters/{floor.counter1.pk}/").status_code == 200  # now remembered
    return client


def test_a_deleted_token_is_refused_at_once(floor, agent_client):
    Token.objects.filter(user=floor.agent).delete()

    response = agent_client.get(f"/api/v1/counters/{floor.counter1.pk}/")

    assert response.status_code == 401


def test_a_deactivated_users_token_is_refused_at_once(floor, agent_client):
    floor.agent.is_active = False
    floor.agent.save()

    response = agent_client.get(f"/api/v1/counters/{floor.counter1.pk}/")

    assert response.status_code == 401


def test_a_remembered_token_still_works(floor, agent_client):
    assert agent_client.get(f"/api/v1/counters/{floor.counter1.pk}/").status_code == 200
