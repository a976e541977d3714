"""GET /api/v1/planning/erlang-c/: the contract's shape, its rounding, its errors."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.api_errors import assert_api_error
from tests.halls.factories import UserFactory

URL = "/api/v1/planning/erlang-c/"
QUERY = {"arrivals_per_hour": 200, "aht_seconds": 180, "target_wait_seconds": 20, "target_service_level": 0.8}


def signed_in(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_staff_get_the_fewest_agents_in_the_contract_shape(staff_api):
    response = staff_api.get(URL, QUERY)

    assert response.status_code == 200
    assert response.json() == {
        "agents": 14,
        "load_erlangs": 10.0,
        "probability_of_waiting": 0.1741,
        "service_level": 0.8884,
        "average_wait_seconds": 7.84,
        "occupancy": 0.7143,
    }


def test_ratios_are_between_zero_and_one_with_four_decimals(staff_api):
    body = staff_api.get(URL, {**QUERY, "arrivals_per_hour": 137, "aht_seconds": 263}).json()

    for name in ("probability_of_waiting", "service_level", "occupancy"):
        assert 0 <= body[name] <= 1
        assert round(body[name], 4) == body[name]


def test_the_targets_default_to_80_percent_within_ten_minutes(staff_api):
    body = staff_api.get(URL, {"arrivals_per_hour": 200, "aht_seconds": 180}).json()

    assert body["agents"] == 11
    assert body["service_level"] >= 0.8


def test_no_arrivals_need_no_agents(staff_api):
    body = staff_api.get(URL, {**QUERY, "arrivals_per_hour": 0}).json()

    assert body == {"agents": 0, "load_erlangs": 0.0, "probability_of_waiting": 0.0, "service_level": 1.0,
                    "average_wait_seconds": 0.0, "occupancy": 0.0}


@pytest.mark.parametrize(
    "change, field",
    [
        ({"arrivals_per_hour": -1}, "arrivals_per_hour"),
        ({"aht_seconds": 0}, "aht_seconds"),
        ({"aht_seconds": -5}, "aht_seconds"),
        ({"target_wait_seconds": -1}, "target_wait_seconds"),
        ({"target_service_level": 0}, "target_service_level"),
        ({"target_service_level": 1}, "target_service_level"),
        ({"target_service_level": 80}, "target_service_level"),
        ({"arrivals_per_hour": "many"}, "arrivals_per_hour"),
        ({"arrivals_per_hour": "nan"}, "arrivals_per_hour"),
        ({"aht_seconds": "inf"}, "aht_seconds"),
        ({"arrivals_per_hour": "1e308"}, "arrivals_per_hour"),
    ],
)
def test_impossible_input_is_a_validation_error(staff_api, change, field):
    response = staff_api.get(URL, {**QUERY, **change})

    error = assert_api_error(response, 400, "validation_error")
    assert field in error["fields"]


def test_a_missing_arrival_rate_is_a_validation_error(staff_api):
    response = staff_api.get(URL, {"aht_seconds": 180})

    error = assert_api_error(response, 400, "validation_error")
    assert "arrivals_per_hour" in error["fields"]


def test_a_load_needing_more_than_ten_thousand_agents_is_refused(staff_api):
    response = staff_api.get(URL, {**QUERY, "arrivals_per_hour": 500_000, "aht_seconds": 3600})

    error = assert_api_error(response, 400, "validation_error")
    assert "10,000" in error["fields"]["arrivals_per_hour"][0]


def test_a_target_so_strict_it_needs_more_than_the_cap_is_refused(staff_api):
    response = staff_api.get(URL, {"arrivals_per_hour": 199_800, "aht_seconds": 180, "target_wait_seconds": 0,
                                   "target_service_level": 0.999999})

    assert_api_error(response, 400, "validation_error")


def test_anonymous_callers_get_401(api, db):
    response = api.get(URL, QUERY)

    assert_api_error(response, 401, "not_authenticated")


def test_signed_in_users_who_are_not_staff_get_403(db):
    client = signed_in(UserFactory(username="customer-like"))

    response = client.get(URL, QUERY)

    assert_api_error(response, 403, "permission_denied")


def test_admin_staff_without_a_hall_may_use_the_calculator(db):
    client = signed_in(UserFactory(username="ops-person", is_staff=True))

    assert client.get(URL, QUERY).status_code == 200


def test_the_calculator_is_in_the_openapi_schema(api, db):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    operation = schema["paths"]["/api/v1/planning/erlang-c/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {
        "arrivals_per_hour", "aht_seconds", "target_wait_seconds", "target_service_level",
    }
