"""Malformed and hostile requests: always a 4xx in the contract's error shape, never a 500.

Also the published API description: the OpenAPI schema and the docs page."""

import json
import re

import pytest

from halls.models import Outlet
from queueing.models import Ticket
from tests.api_errors import assert_api_error, assert_client_error

# Endpoints that read a JSON body: the path for a floor, and a valid body.
BODY_ENDPOINTS = {
    "issue": (lambda f: f"/api/v1/halls/{f.hall.code}/tickets/", {"service": "payment", "channel": "kiosk"}),
    "sign-in": (lambda f: "/api/v1/auth/token/", {"username": "agent", "password": "pw"}),
    "pause": (lambda f: f"/api/v1/counters/{f.counter2.pk}/pause/", {"reason": "break"}),
    "transfer": (lambda f: f"/api/v1/counters/{f.counter2.pk}/transfer/", {"service": "enquiry"}),
}
BODY_ENDPOINT_IDS = list(BODY_ENDPOINTS)

# (endpoint, a text field it reads)
TEXT_FIELDS = [
    ("issue", "service"),
    ("issue", "channel"),
    ("issue", "phone"),
    ("issue", "priority"),
    ("sign-in", "username"),
    ("sign-in", "password"),
    ("pause", "reason"),
    ("transfer", "service"),
]


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # With DATABASE_URL set (the PostgreSQL run) DEBUG is off and SecurityMiddleware
    # would redirect the test client's plain-HTTP requests to https.
    settings.SECURE_SSL_REDIRECT = False


def endpoint(name, floor):
    path, valid = BODY_ENDPOINTS[name]
    return path(floor), dict(valid)


def post_raw(client, path, body, content_type="application/json"):
    return client.post(path, body, content_type=content_type)


# --- Bodies -------------------------------------------------------------------


@pytest.mark.parametrize("name", BODY_ENDPOINT_IDS)
@pytest.mark.parametrize(
    "body",
    ["{", '{"service": "payment",}', "{'service': 'payment'}", "service=payment", "[1, 2", "NaN", '{"a": Infinity}',
     b"\xff\xfe{}", "\x00"],
    ids=["unclosed", "trailing-comma", "single-quotes", "form-text", "unclosed-array", "nan", "infinity",
         "not-utf8", "nul"],
)
def test_a_body_that_is_not_json_is_a_malformed_request(floor, staff_api, name, body):
    path, _ = endpoint(name, floor)

    response = post_raw(staff_api, path, body)

    assert_api_error(response, 400, "malformed_request")


@pytest.mark.parametrize("name", BODY_ENDPOINT_IDS)
@pytest.mark.parametrize("body", ["[]", '["payment", "kiosk"]', "42", '"payment"', "null", "true"],
                         ids=["empty-array", "array", "number", "string", "null", "true"])
def test_json_that_is_not_an_object_is_a_validation_error(floor, staff_api, name, body):
    path, _ = endpoint(name, floor)

    response = post_raw(staff_api, path, body)

    assert_api_error(response, 400, "validation_error")


@pytest.mark.parametrize("name", BODY_ENDPOINT_IDS)
def test_a_body_nested_too_deeply_is_a_malformed_request(floor, staff_api, name):
    path, _ = endpoint(name, floor)

    response = post_raw(staff_api, path, "[" * 100_000 + "]" * 100_000)

    assert_api_error(response, 400, "malformed_request")


def test_a_body_larger_than_the_upload_limit_is_refused(floor, staff_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    path, _ = endpoint("issue", floor)

    response = post_raw(staff_api, path, '{"service": "' + "x" * 20_000 + '", "channel": "kiosk"}')

    assert_api_error(response, 413, "payload_too_large")
    assert not Ticket.objects.exists()


def test_a_form_with_too_many_fields_is_a_malformed_request(floor, staff_api):
    path, _ = endpoint("issue", floor)

    response = post_raw(staff_api, path, "&".join(f"f{n}=1" for n in range(1_500)),
                        "application/x-www-form-urlencoded")

    assert_api_error(response, 400, "malformed_request")


@pytest.mark.parametrize("name, field", TEXT_FIELDS)
def test_a_huge_string_is_a_validation_error_on_its_field(floor, staff_api, name, field):
    path, body = endpoint(name, floor)
    body[field] = "9" * 1_000_000

    response = staff_api.post(path, body, format="json")

    error = assert_api_error(response, 400, "validation_error")
    assert field in error["fields"]


@pytest.mark.parametrize("name, field", TEXT_FIELDS)
def test_a_nul_character_in_a_field_is_a_validation_error_on_it(floor, staff_api, name, field):
    path, body = endpoint(name, floor)
    body[field] = "pay\x00ment"

    response = staff_api.post(path, body, format="json")

    error = assert_api_error(response, 400, "validation_error")
    assert field in error["fields"]


@pytest.mark.parametrize("name, field", TEXT_FIELDS)
@pytest.mark.parametrize(
    "value", ["\ud800", "\U0001f9fe", "\u202epayment", "e\u0301", "缴费充值", "１３８００１３８０００"],
    ids=["lone-surrogate", "emoji", "rtl-override", "combining", "chinese", "full-width-digits"],
)
def test_odd_unicode_in_a_field_is_refused_without_error(floor, staff_api, name, field, value):
    path, body = endpoint(name, floor)
    body[field] = value

    # json.dumps escapes to ASCII, so even a lone surrogate travels as JSON allows.
    response = post_raw(staff_api, path, json.dumps(body))

    assert_client_error(response)


@pytest.mark.parametrize(
    "value",
    ["' OR '1'='1", "payment'; DROP TABLE queueing_ticket; --", '" OR 1=1 --', "%", "_", "\\", "payment%"],
)
def test_sql_in_the_service_field_is_just_an_unknown_service(floor, staff_api, value):
    path, body = endpoint("issue", floor)

    response = staff_api.post(path, {**body, "service": value}, format="json")

    assert_api_error(response, 400)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("value", ["' OR '1'='1", "x' UNION SELECT password FROM auth_user --", "%", "_", "\\"])
def test_sql_in_the_hall_search_finds_nothing(floor, api, value):
    response = api.get("/api/v1/halls/", {"q": value})

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_sql_in_the_username_is_just_a_failed_sign_in(floor, api):
    response = api.post("/api/v1/auth/token/", {"username": "' OR 1=1 --", "password": "' OR 1=1 --"}, format="json")

    assert_api_error(response, 400, "invalid_credentials")


@pytest.mark.parametrize("name", BODY_ENDPOINT_IDS)
@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "text/html", "image/png",
                                          "application/octet-stream"])
def test_a_body_of_an_unsupported_content_type_is_refused(floor, staff_api, name, content_type):
    path, _ = endpoint(name, floor)

    response = post_raw(staff_api, path, "service=payment", content_type)

    assert_api_error(response, 415, "unsupported_media_type")


def test_multipart_without_a_boundary_is_a_malformed_request(floor, staff_api):
    path, _ = endpoint("issue", floor)

    response = post_raw(staff_api, path, b"service=payment", "multipart/form-data")

    assert_api_error(response, 400, "malformed_request")


def test_a_json_body_in_a_charset_it_is_not_written_in_is_a_malformed_request(floor, staff_api):
    path, body = endpoint("issue", floor)

    response = post_raw(staff_api, path, '{"service": "payment", "channel": "kiosk"}',
                        "application/json; charset=utf-16")

    assert_api_error(response, 400, "malformed_request")


# --- Headers ------------------------------------------------------------------


@pytest.mark.parametrize("key", ["k" * 101, "   ", "tab\there", "nul\x00key", "line\nbreak", "\ud800"],
                         ids=["overlong", "blank", "tab", "nul", "newline", "lone-surrogate"])
def test_a_bad_idempotency_key_on_issue_is_a_validation_error(floor, staff_api, key):
    path, body = endpoint("issue", floor)

    response = staff_api.post(path, body, format="json", headers={"Idempotency-Key": key})

    assert_client_error(response)
    assert not Ticket.objects.exists()


def test_an_overlong_idempotency_key_names_the_header(floor, staff_api):
    path, body = endpoint("issue", floor)

    response = staff_api.post(path, body, format="json", headers={"Idempotency-Key": "k" * 101})

    error = assert_api_error(response, 400, "validation_error")
    assert list(error["fields"]) == ["Idempotency-Key"]


def test_an_overlong_idempotency_key_on_call_next_is_a_validation_error(floor, staff_api):
    staff_api.post(f"/api/v1/counters/{floor.counter2.pk}/open/")

    response = staff_api.post(f"/api/v1/counters/{floor.counter2.pk}/call-next/",
                              headers={"Idempotency-Key": "k" * 101})

    assert_api_error(response, 400, "validation_error")


@pytest.mark.parametrize(
    "authorization",
    ["Token", "Token a b", "Token \x00", "Token abc\x00def", "Token " + "a" * 10_000, "Token ÿþ", "Bearer abc",
     "Basic Zm9vOmJhcg==", "Token ' OR 1=1 --"],
    ids=["no-key", "two-keys", "nul", "nul-inside", "huge", "latin-1", "bearer", "basic", "sql"],
)
def test_a_garbled_authorization_header_is_unauthorized_or_malformed(floor, api, authorization):
    response = api.post(f"/api/v1/counters/{floor.counter2.pk}/open/", HTTP_AUTHORIZATION=authorization)

    assert assert_client_error(response)["code"] in {
        "authentication_failed", "not_authenticated", "malformed_request",
    }


# --- Paths, methods and query strings -----------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/", "/api/v1/", "/api/v1/nope/", "/api/v2/halls/", "/api/v1/halls/T-H000/nope/", "/api/v1/tickets/",
     "/api/v1/counters/abc/open/", "/api/v1/counters/1/explode/", "/api/v1/halls/../../etc/passwd"],
)
def test_an_unknown_url_under_api_is_not_found_in_the_error_shape(floor, api, path):
    response = api.get(path)

    assert_api_error(response, 404, "not_found")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/halls/%00/", "/api/v1/halls/%00/tickets/", "/api/v1/tickets/%00/", "/api/v1/tickets/%00/cancel/",
     "/api/v1/halls/?q=%00", "/api/v1/halls/?page=%00", "/api/v1/halls/?%00=1"],
)
def test_a_nul_character_in_the_url_is_refused(floor, api, path):
    response = api.post(path) if path.endswith(("tickets/", "cancel/")) else api.get(path)

    assert_client_error(response)


def test_more_query_parameters_than_allowed_is_a_malformed_request(floor, api):
    response = api.get("/api/v1/halls/?" + "&".join(f"p{n}=1" for n in range(1_500)))

    assert_api_error(response, 400, "malformed_request")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/halls/{long}/", "/api/v1/tickets/{long}/", "/api/v1/halls/缴费厅/", "/api/v1/halls/%F0%9F%A7%BE/",
     "/api/v1/halls/'%20OR%20'1'='1/", "/api/v1/tickets/'%20OR%201=1%20--/"],
    ids=["long-code", "long-token", "chinese", "emoji", "sql-code", "sql-token"],
)
def test_odd_codes_and_tokens_in_the_path_are_not_found(floor, api, path):
    response = api.get(path.format(long="A" * 10_000))

    assert_api_error(response, 404, "not_found")


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/halls/{hall}/tickets/"),
        ("put", "/api/v1/halls/{hall}/tickets/"),
        ("post", "/api/v1/halls/"),
        ("delete", "/api/v1/halls/{hall}/"),
        ("patch", "/api/v1/halls/{hall}/"),
        ("get", "/api/v1/auth/token/"),
        ("delete", "/api/v1/tickets/{token}/"),
        ("get", "/api/v1/tickets/{token}/cancel/"),
        ("get", "/api/v1/counters/{counter}/call-next/"),
        ("put", "/api/v1/counters/{counter}/open/"),
        ("delete", "/api/v1/counters/{counter}/"),
    ],
)
def test_a_wrong_method_is_method_not_allowed(floor, staff_api, method, path):
    ticket = staff_api.post(f"/api/v1/halls/{floor.hall.code}/tickets/", {"service": "payment", "channel": "kiosk"},
                            format="json").json()
    url = path.format(hall=floor.hall.code, token=ticket["token"], counter=floor.counter2.pk)

    response = getattr(staff_api, method)(url)

    assert_api_error(response, 405, "method_not_allowed")


@pytest.mark.parametrize(
    "counter_id", ["-1", "0", "99999999999", "9223372036854775807", "9223372036854775808", "99999999999999999999999"]
)
def test_an_impossible_counter_id_is_not_found(floor, staff_api, counter_id):
    response = staff_api.post(f"/api/v1/counters/{counter_id}/call-next/")

    assert_api_error(response, 404, "not_found")


@pytest.mark.parametrize("page", ["abc", "99999", "0", "-1", "1.5", "1e3"])
def test_a_page_that_does_not_exist_is_refused_in_the_error_shape(floor, api, page):
    response = api.get("/api/v1/halls/", {"page": page})

    assert_client_error(response)


@pytest.mark.parametrize("page_size", ["abc", "0", "-5", "99999999999999999999"])
def test_a_nonsense_page_size_falls_back_to_a_sensible_one(floor, api, page_size):
    response = api.get("/api/v1/halls/", {"page_size": page_size})

    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.parametrize(
    "params",
    [{"kind": "' OR 1=1"}, {"has_queue": "maybe"}, {"district": "x" * 1_000}, {"q": "x" * 1_000},
     {"kind": "owned_hall\x00"}],
    ids=["kind-sql", "has-queue", "long-district", "long-q", "nul-kind"],
)
def test_a_bad_hall_filter_is_refused_in_the_error_shape(floor, api, params):
    response = api.get("/api/v1/halls/", params)

    assert_client_error(response)


def test_sql_sent_as_data_is_never_run(floor, staff_api, api):
    drop = "x'; DROP TABLE queueing_ticket; DROP TABLE halls_outlet; --"
    staff_api.post(f"/api/v1/halls/{floor.hall.code}/tickets/", {"service": "payment", "channel": "kiosk"},
                   format="json")

    staff_api.post(f"/api/v1/halls/{floor.hall.code}/tickets/", {"service": drop, "channel": "kiosk"}, format="json")
    api.get("/api/v1/halls/", {"q": drop, "district": drop})
    api.get(f"/api/v1/halls/{drop}/")
    api.post("/api/v1/auth/token/", {"username": drop, "password": drop}, format="json")

    assert Ticket.objects.count() == 1
    assert Outlet.objects.filter(pk=floor.hall.pk).exists()


# --- The published description ------------------------------------------------


@pytest.mark.smoke
def test_the_openapi_schema_is_served(floor, api):
    response = api.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {
        "/api/v1/halls/", "/api/v1/halls/{code}/", "/api/v1/halls/{code}/tickets/", "/api/v1/tickets/{token}/",
        "/api/v1/tickets/{token}/cancel/", "/api/v1/counters/{counter_id}/call-next/", "/api/v1/auth/token/",
    } <= set(schema["paths"])


def test_the_openapi_schema_is_served_as_yaml_by_default(floor, api):
    response = api.get("/api/schema/")

    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3.")


@pytest.mark.smoke
def test_the_docs_page_loads_its_assets_from_static_with_no_cdn(floor, api):
    response = api.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", html)
    assert assets
    assert all(asset.startswith("/static/") for asset in assets), assets
    assert not re.search(r"https?://|//cdn|jsdelivr|unpkg|cdnjs", html)


@pytest.mark.parametrize("path", ["/display/ZZ%00/", "/display/ZZ%00/counter/1/", "/kiosk/ZZ%00/", "/m/ZZ%00/",
                                  "/t/ab%00c/"])
def test_a_page_asked_for_with_a_nul_character_finds_nothing(client, db, path):
    response = client.get(path)

    assert response.status_code in (403, 404)  # the kiosk asks for its token first
