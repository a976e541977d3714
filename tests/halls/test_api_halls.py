"""The outlet directory and staff sign-in over HTTP: `/api/v1/halls/` and `/api/v1/auth/token/`."""


import pytest
import time_machine
from rest_framework.authtoken.models import Token

from halls.models import OutletKind
from queueing import services
from tests.api_errors import assert_api_error
from tests.halls.factories import OutletFactory, UserFactory

OUTLET_FIELDS = {"code", "name", "kind", "district", "address", "lat", "lng", "has_queue"}


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # With DATABASE_URL set (the PostgreSQL run) DEBUG is off and SecurityMiddleware
    # would redirect the test client's plain-HTTP requests to https.
    settings.SECURE_SSL_REDIRECT = False


def codes(response):
    return [item["code"] for item in response.json()["results"]]


# --- The list -----------------------------------------------------------------


@pytest.mark.smoke
def test_the_hall_list_is_paginated(floor, api):
    response = api.get("/api/v1/halls/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1
    assert (body["next"], body["previous"]) == (None, None)
    assert [item["code"] for item in body["results"]] == [floor.hall.code]


def test_each_hall_in_the_list_has_exactly_the_contract_fields(floor, api):
    OutletFactory(kind=OutletKind.AGENT_STORE, has_queue=False, lat=None, lng=None, always_open=False)

    response = api.get("/api/v1/halls/")

    results = response.json()["results"]
    assert len(results) == 2
    for item in results:
        assert set(item) == OUTLET_FIELDS


def test_a_hall_in_the_list_shows_its_directory_entry(floor, api):
    response = api.get("/api/v1/halls/")

    hall = response.json()["results"][0]
    assert hall == {
        "code": floor.hall.code,
        "name": floor.hall.name,
        "kind": "owned_hall",
        "district": "金水区",
        "address": "花园路1号",
        "lat": pytest.approx(34.78),
        "lng": pytest.approx(113.68),
        "has_queue": True,
    }


def test_the_next_link_leads_to_the_following_page(floor, api):
    second = OutletFactory()

    first_page = api.get("/api/v1/halls/", {"page_size": 1})
    second_page = api.get(first_page.json()["next"])

    assert first_page.json()["count"] == 2
    assert codes(first_page) == [floor.hall.code]
    assert codes(second_page) == [second.code]
    assert second_page.json()["next"] is None
    assert second_page.json()["previous"] is not None


@pytest.mark.parametrize("kind", [k.value for k in OutletKind])
def test_the_kind_filter_lists_only_outlets_of_that_kind(db, api, kind):
    wanted = OutletFactory(kind=kind)
    for other in OutletKind:
        if other != kind:
            OutletFactory(kind=other)

    response = api.get("/api/v1/halls/", {"kind": kind})

    assert response.status_code == 200
    assert codes(response) == [wanted.code]


def test_the_district_filter_lists_only_outlets_of_that_district(floor, api):
    erqi = OutletFactory(district="二七区")

    response = api.get("/api/v1/halls/", {"district": "二七区"})

    assert codes(response) == [erqi.code]


def test_has_queue_false_lists_only_outlets_without_a_queue(floor, api):
    store = OutletFactory(kind=OutletKind.FRANCHISE_STORE, has_queue=False)

    response = api.get("/api/v1/halls/", {"has_queue": "false"})

    assert codes(response) == [store.code]


def test_has_queue_true_lists_only_outlets_with_a_queue(floor, api):
    OutletFactory(kind=OutletKind.FRANCHISE_STORE, has_queue=False)

    response = api.get("/api/v1/halls/", {"has_queue": "true"})

    assert codes(response) == [floor.hall.code]


def test_q_finds_outlets_by_part_of_their_name(floor, api):
    OutletFactory(name="二七广场营业厅")

    response = api.get("/api/v1/halls/", {"q": "测试营业"})

    assert codes(response) == [floor.hall.code]


def test_q_finds_outlets_by_part_of_their_address(floor, api):
    station = OutletFactory(address="大学路火车站东广场")

    response = api.get("/api/v1/halls/", {"q": "火车站"})

    assert codes(response) == [station.code]


def test_q_finds_an_outlet_by_its_code_in_any_case(floor, api):
    OutletFactory()

    response = api.get("/api/v1/halls/", {"q": floor.hall.code.lower()})

    assert codes(response) == [floor.hall.code]


def test_filters_combine(floor, api):
    OutletFactory(district="二七区")
    OutletFactory(kind=OutletKind.AGENT_STORE, has_queue=False)
    wanted = OutletFactory(kind=OutletKind.AGENT_STORE, has_queue=False, district="二七区")

    response = api.get("/api/v1/halls/", {"kind": "agent_store", "district": "二七区", "has_queue": "false"})

    assert codes(response) == [wanted.code]


def test_inactive_outlets_are_not_listed(floor, api):
    OutletFactory(is_active=False)

    response = api.get("/api/v1/halls/")

    assert codes(response) == [floor.hall.code]


def test_an_unknown_kind_is_a_validation_error_naming_the_field(floor, api):
    response = api.get("/api/v1/halls/", {"kind": "nonsense"})

    error = assert_api_error(response, 400, "validation_error")
    assert list(error["fields"]) == ["kind"]


def test_a_has_queue_that_is_not_a_boolean_is_a_validation_error(floor, api):
    response = api.get("/api/v1/halls/", {"has_queue": "perhaps"})

    error = assert_api_error(response, 400, "validation_error")
    assert list(error["fields"]) == ["has_queue"]


# --- One hall -----------------------------------------------------------------


@pytest.mark.smoke
def test_a_hall_shows_its_services_and_counters(floor, api):
    response = api.get(f"/api/v1/halls/{floor.hall.code}/")

    assert response.status_code == 200
    body = response.json()
    assert OUTLET_FIELDS | {"services", "counters"} <= set(body)
    assert body["code"] == floor.hall.code
    assert [{k: s[k] for k in ("code", "name", "prefix")} for s in body["services"]] == [
        {"code": "payment", "name": "缴费充值", "prefix": "A"},
        {"code": "enquiry", "name": "综合咨询", "prefix": "H"},
    ]
    assert [{k: c[k] for k in ("id", "number", "name", "services", "state")} for c in body["counters"]] == [
        {"id": floor.counter1.pk, "number": 1, "name": "", "services": ["payment", "enquiry"], "state": "closed"},
        {"id": floor.counter2.pk, "number": 2, "name": "", "services": ["payment"], "state": "closed"},
        {"id": floor.counter3.pk, "number": 3, "name": "", "services": ["enquiry"], "state": "closed"},
    ]


def test_a_hall_shows_the_live_state_of_its_counters(floor, api):
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)

    response = api.get(f"/api/v1/halls/{floor.hall.code}/")

    states = {c["number"]: c["state"] for c in response.json()["counters"]}
    assert states == {1: "closed", 2: "open", 3: "closed"}


def test_a_service_the_hall_has_stopped_offering_is_not_shown(floor, api):
    floor.hall.hall_services.filter(service=floor.enquiry).update(is_active=False)

    response = api.get(f"/api/v1/halls/{floor.hall.code}/")

    assert [s["code"] for s in response.json()["services"]] == ["payment"]


def test_an_unknown_hall_is_not_found(floor, api):
    response = api.get("/api/v1/halls/NO-SUCH-HALL/")

    assert_api_error(response, 404, "not_found")


def test_an_inactive_hall_is_not_found(db, api):
    closed_down = OutletFactory(is_active=False)

    response = api.get(f"/api/v1/halls/{closed_down.code}/")

    assert_api_error(response, 404, "not_found")


# --- Staff sign-in ------------------------------------------------------------


@pytest.mark.smoke
def test_an_agent_signing_in_gets_a_token(floor, api):
    response = api.post(
        "/api/v1/auth/token/", {"username": floor.agent.username, "password": "pw-for-tests-1"}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=floor.agent).key}


def test_the_token_authenticates_later_requests(floor, api):
    token = api.post(
        "/api/v1/auth/token/", {"username": floor.agent.username, "password": "pw-for-tests-1"}, format="json"
    ).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    response = api.post(f"/api/v1/counters/{floor.counter1.pk}/open/")

    assert response.status_code == 200
    assert response.json()["counter"]["signed_in_user"] == floor.agent.username


def test_signing_in_twice_gives_the_same_token(floor, api):
    credentials = {"username": floor.agent.username, "password": "pw-for-tests-1"}

    first = api.post("/api/v1/auth/token/", credentials, format="json")
    second = api.post("/api/v1/auth/token/", credentials, format="json")

    assert first.json() == second.json()


def test_a_wrong_password_is_refused_as_invalid_credentials(floor, api):
    response = api.post(
        "/api/v1/auth/token/", {"username": floor.agent.username, "password": "not-the-password"}, format="json"
    )

    error = assert_api_error(response, 400, "invalid_credentials")
    assert "fields" not in error
    assert not Token.objects.filter(user=floor.agent).exists()


def test_an_unknown_username_looks_the_same_as_a_wrong_password(floor, api):
    response = api.post("/api/v1/auth/token/", {"username": "nobody", "password": "pw-for-tests-1"}, format="json")

    assert_api_error(response, 400, "invalid_credentials")


def test_a_user_of_no_hall_who_is_not_staff_gets_no_token(db, api):
    customer = UserFactory(username="just-a-user")

    response = api.post(
        "/api/v1/auth/token/", {"username": customer.username, "password": "pw-for-tests-1"}, format="json"
    )

    assert_api_error(response, 400, "invalid_credentials")


def test_a_deactivated_agent_gets_no_token(floor, api):
    floor.agent.is_active = False
    floor.agent.save()

    response = api.post(
        "/api/v1/auth/token/", {"username": floor.agent.username, "password": "pw-for-tests-1"}, format="json"
    )

    assert_api_error(response, 400, "invalid_credentials")


@pytest.mark.parametrize(
    "body, missing",
    [
        ({}, {"username", "password"}),
        ({"username": "agent"}, {"password"}),
        ({"password": "pw-for-tests-1"}, {"username"}),
        ({"username": "", "password": ""}, {"username", "password"}),
    ],
    ids=["nothing", "no-password", "no-username", "blank"],
)
def test_sign_in_without_both_fields_is_a_validation_error_naming_them(floor, api, body, missing):
    response = api.post("/api/v1/auth/token/", body, format="json")

    error = assert_api_error(response, 400, "validation_error")
    assert set(error["fields"]) == missing


@time_machine.travel(1_800_000_000.0, tick=False)  # a clock that stands still: all attempts in one window
def test_guessing_passwords_from_one_address_is_rate_limited(floor, api):
    wrong = {"username": floor.agent.username, "password": "guess"}
    for _ in range(30):
        assert api.post("/api/v1/auth/token/", wrong, format="json").status_code == 400

    response = api.post(
        "/api/v1/auth/token/", {"username": floor.agent.username, "password": "pw-for-tests-1"}, format="json"
    )

    assert_api_error(response, 429, "rate_limited")
