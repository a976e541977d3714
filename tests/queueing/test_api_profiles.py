"""PUT/GET /api/v1/counters/{id}/profile/: a counter's work profile, changed live by the hall's managers."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from halls.models import CounterService, StaffRole
from queueing import services
from queueing.models import CounterEvent
from tests.api_errors import assert_api_error
from tests.halls.factories import UserFactory, member


@pytest.fixture
def manager_api(floor):
    manager = UserFactory(username=f"manager-{floor.hall.code}")
    member(manager, floor.hall, StaffRole.MANAGER)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=manager).key}")
    return client


def url(counter):
    return f"/api/v1/counters/{counter.pk}/profile/"


def test_a_manager_sets_a_counters_profile_services_order_and_weights(floor, manager_api):
    body = {"profile": "weighted", "services": [{"service": "enquiry", "position": 0, "weight": 3},
                                                {"service": "payment", "position": 1, "weight": 1}]}

    response = manager_api.put(url(floor.counter1), body, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["effective"] == "weighted"
    assert response.json()["services"] == [
        {"service": "enquiry", "name": "综合咨询", "position": 0, "weight": 3},
        {"service": "payment", "name": "缴费充值", "position": 1, "weight": 1},
    ]
    assert CounterEvent.objects.filter(counter=floor.counter1, kind="profile", reason="weighted").exists()


def test_services_left_out_of_the_list_are_no_longer_served(floor, manager_api):
    manager_api.put(url(floor.counter1), {"profile": "strict", "services": [{"service": "enquiry"}]}, format="json")

    assert list(CounterService.objects.filter(counter=floor.counter1).values_list("service__code", flat=True)) == [
        "enquiry"]


def test_the_profile_alone_keeps_the_counters_services(floor, manager_api):
    response = manager_api.put(url(floor.counter1), {"profile": "strict"}, format="json")

    assert [s["service"] for s in response.json()["services"]] == ["payment", "enquiry"]


def test_an_agent_may_read_the_profile_but_not_change_it(floor, staff_api):
    assert staff_api.get(url(floor.counter1)).json()["profile"] == "fifo"

    assert_api_error(staff_api.put(url(floor.counter1), {"profile": "strict"}, format="json"), 403)


def test_the_agents_own_profile_is_the_one_in_force(floor, staff_api):
    floor.agent.memberships.update(profile="weighted")
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)

    body = staff_api.get(url(floor.counter1)).json()

    assert (body["profile"], body["agent_profile"], body["effective"]) == ("fifo", "weighted", "weighted")


@pytest.mark.parametrize("body,code", [
    ({"profile": "random"}, "validation_error"),
    ({"profile": "strict", "services": []}, "validation_error"),
    ({"profile": "strict", "services": [{"service": "payment", "weight": 0}]}, "validation_error"),
    ({"profile": "strict", "services": [{"service": "payment"}, {"service": "payment"}]}, "validation_error"),
    ({"profile": "strict", "services": [{"service": "broadband"}]}, "unknown_service"),
])
def test_bad_profiles_are_refused_and_change_nothing(floor, manager_api, body, code):
    assert_api_error(manager_api.put(url(floor.counter1), body, format="json"), 400, code)

    floor.counter1.refresh_from_db()
    assert floor.counter1.profile == "fifo"
    assert CounterService.objects.filter(counter=floor.counter1).count() == 2
