"""Roles, proven: who gets in where, for every API operation, socket and page.

Each row names an operation (or a socket, or a page) and its audience
(tests/access.py: anyone, holder, customer, kiosk, kiosk_or_customer, staff,
staff_of_hall, reader_of_hall, manager_of_hall, city_ops, ...). Every caller
(anonymous, a ticket holder, a customer, a kiosk, a display, an agent, a hall
manager, city operations, a superuser) asks once, about its own hall (A) and
about another (B) when the row names a hall. A caller in the audience must
not be refused (no 401/403, no 5xx; no 404 either, since the objects are
real); anyone else must be refused as the row says: 401/403 by default, 404
where the product hides whether the thing exists (a ticket's token, a
console hall), a redirect to sign in for pages.

Adding an endpoint: add a row to API (or PAGES). `test_every_api_operation_is_
in_the_matrix` fails naming any operation of the OpenAPI schema without one.
"""

import json
import secrets
from dataclasses import dataclass, field

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.db import transaction
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from config.asgi import application
from tests import access
from tests.access import (
    API_REFUSED,
    CALLERS,
    CUSTOMER,
    DISPLAY,
    KIOSK,
    REDIRECT,
    SIGN_IN,
    USERS,
    api_headers,
    build_world,
    expected_allowed,
)

HALL_PARAMS = ("{code}", "{counter_id}", "{number}", "{warning_id}", "{suggestion_id}", "{request_id}",
               "{shift_id}", "{counter_number}", "{outlet_pk}", "{counter_pk}")


@dataclass(frozen=True)
class Row:
    """One operation (`METHOD /path/{param}/`) and who it is for."""

    op: str
    audience: str
    refused: frozenset = API_REFUSED  # how a refusal answers
    body: object = None  # dict, or callable(params) -> dict
    query: str = ""
    variant: str = ""  # a second row for the same operation (another body)
    found: bool = True  # False: an allowed caller may get 404 (the row names nothing real)
    also_ok: frozenset = frozenset()  # 5xx statuses the product answers by design (no printer: 503)
    why: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def method(self) -> str:
        return self.op.split(" ", 1)[0]

    @property
    def path(self) -> str:
        return self.op.split(" ", 1)[1]

    @property
    def hall_scoped(self) -> bool:
        return any(p in self.path for p in HALL_PARAMS)

    @property
    def name(self) -> str:
        return f"{self.op} [{self.variant}]" if self.variant else self.op


def hides(*codes) -> frozenset:
    return frozenset(codes)


PAUSE = {"reason": "break"}

# --- The API: every operation of /api/schema/ ----------------------------------------------

API = [
    # Staff sign-in and the outlet network: public.
    Row("POST /api/v1/auth/token/", "anyone", body={"username": "nobody", "password": "wrong"}),
    Row("GET /api/v1/halls/", "anyone"),
    Row("GET /api/v1/halls/{code}/", "anyone"),
    Row("GET /api/v1/halls/{code}/queue/", "anyone"),
    # Issuing: a mobile ticket with a phone is open to anyone (rate-limited); a kiosk
    # ticket needs the hall's staff or a kiosk of the hall.
    Row("POST /api/v1/halls/{code}/tickets/", "unsigned_or_staff_of_hall", variant="mobile",
        body={"service": "payment", "channel": "mobile", "phone": "13800138000"}),
    Row("POST /api/v1/halls/{code}/tickets/", "staff_or_kiosk_of_hall", variant="kiosk channel",
        body={"service": "payment", "channel": "kiosk"}),
    # The holder's ticket: the token is the credential; without it the ticket does not exist (404).
    Row("GET /api/v1/tickets/{token}/", "holder", refused=hides(404)),
    Row("POST /api/v1/tickets/{token}/cancel/", "holder", refused=hides(404)),
    Row("POST /api/v1/tickets/{token}/rating/", "holder", refused=hides(404), body={"score": 5},
        why="an unfinished ticket answers 409; a token not held, 404"),
    # Staff of the hall: tickets by number, the consoles' lists, displays.
    Row("POST /api/v1/halls/{code}/tickets/{number}/cancel/", "staff_of_hall"),
    Row("POST /api/v1/halls/{code}/tickets/{number}/reinstate/", "staff_of_hall"),
    Row("GET /api/v1/halls/{code}/tickets/missed/", "staff_of_hall"),
    Row("GET /api/v1/halls/{code}/displays/", "staff_of_hall"),
    Row("GET /api/v1/halls/{code}/counter-requests/", "staff_of_hall"),
    Row("POST /api/v1/counter-requests/{request_id}/answer/", "staff_of_hall", body={"accept": False}),
    # A display registers itself with its first heartbeat and is given its device
    # token; every later heartbeat must carry that token.
    Row("POST /api/v1/halls/{code}/displays/heartbeat/", "anyone", variant="new device",
        body=lambda p: {"device_id": f"new-{secrets.token_hex(6)}", "kind": "lobby"}),
    Row("POST /api/v1/halls/{code}/displays/heartbeat/", "nobody", variant="known device, no token",
        refused=hides(403), body=lambda p: {"device_id": p["display_id"], "kind": "lobby"},
        why="the device's token is the credential"),
    # Presence: the holder steps away and checks in; kiosks and staff check phone tickets in.
    Row("POST /api/v1/tickets/{token}/away/", "holder", refused=hides(404), body={"minutes": 5}),
    Row("POST /api/v1/tickets/{token}/back/", "holder", refused=hides(404),
        why="a holder who is not away answers 409"),
    Row("POST /api/v1/tickets/{token}/check-in/", "holder", refused=hides(404), body={"lat": 0.0, "lng": 0.0},
        why="a holder far from the hall answers 409"),
    Row("POST /api/v1/halls/{code}/tickets/check-in/", "staff_or_kiosk_of_hall", body={"token": "not-a-ticket"},
        found=False),
    # Appointments: slots are public; booking and one's bookings need the customer's
    # session; check-in is the hall's kiosks' and staff's; the day's figures its readers'.
    Row("GET /api/v1/halls/{code}/appointments/slots/", "anyone", query="service=payment"),
    Row("POST /api/v1/halls/{code}/appointments/", "customer",
        body={"service": "payment", "starts_at": "2020-01-06T09:00:00+08:00"},
        why="a time that is not an upcoming slot answers 400"),
    Row("POST /api/v1/halls/{code}/appointments/check-in/", "staff_or_kiosk_of_hall", body={"code": "NOPE00"},
        found=False),
    Row("GET /api/v1/halls/{code}/appointments/daily/", "reader_of_hall"),
    Row("GET /api/v1/me/appointments/", "customer"),
    Row("GET /api/v1/me/appointments/{booking}/", "customer", found=False),
    Row("POST /api/v1/me/appointments/{booking}/cancel/", "customer", found=False),
    Row("POST /api/v1/me/appointments/{booking}/move/", "customer", found=False,
        body={"starts_at": "2020-01-06T09:30:00+08:00"}),
    # Counters: staff of the counter's hall (city operations act on no counter).
    Row("GET /api/v1/counters/{counter_id}/", "staff_of_hall"),
    Row("POST /api/v1/counters/{counter_id}/open/", "staff_of_hall"),
    Row("POST /api/v1/counters/{counter_id}/close/", "staff_of_hall"),
    Row("POST /api/v1/counters/{counter_id}/pause/", "staff_of_hall", body=PAUSE),
    Row("POST /api/v1/counters/{counter_id}/resume/", "staff_of_hall"),
    Row("POST /api/v1/counters/{counter_id}/call-next/", "staff_of_hall"),
    Row("POST /api/v1/counters/{counter_id}/call/", "staff_of_hall",
        body=lambda p: {"number": p["number"], "reason": "elderly"}),
    Row("POST /api/v1/counters/{counter_id}/recall/", "staff_of_hall"),
    Row("POST /api/v1/counters/{counter_id}/start/", "staff_of_hall"),
    Row("POST /api/v1/counters/{counter_id}/finish/", "staff_of_hall"),
    Row("POST /api/v1/counters/{counter_id}/no-show/", "staff_of_hall"),
    Row("POST /api/v1/counters/{counter_id}/transfer/", "staff_of_hall", body={"service": "enquiry"}),
    Row("POST /api/v1/counters/{counter_id}/park/", "staff_of_hall", body={},
        why="a counter with no current ticket answers 409"),
    Row("GET /api/v1/counters/{counter_id}/pool/", "staff_of_hall"),
    Row("POST /api/v1/counters/{counter_id}/pool/{number}/call/", "staff_of_hall", found=False),
    # A counter's work profile: its hall's staff read it, its managers change it.
    Row("GET /api/v1/counters/{counter_id}/profile/", "staff_of_hall"),
    Row("PUT /api/v1/counters/{counter_id}/profile/", "manager_of_hall", body={"profile": "fifo"}),
    # Hall management: warnings, floor and plans are read by the hall's staff and city
    # operations; acknowledging, applying and rostering are the managers'.
    Row("GET /api/v1/halls/{code}/warnings/", "reader_of_hall"),
    Row("GET /api/v1/halls/{code}/floor/", "reader_of_hall"),
    Row("GET /api/v1/halls/{code}/estimates/accuracy/", "reader_of_hall"),
    Row("POST /api/v1/warnings/{warning_id}/acknowledge/", "manager_of_hall"),
    Row("POST /api/v1/suggestions/{suggestion_id}/apply/", "manager_of_hall"),
    Row("GET /api/v1/planning/erlang-c/", "staff",
        query="arrivals_per_hour=60&aht_seconds=300&target_wait_seconds=300&target_service_level=0.8"),
    Row("GET /api/v1/halls/{code}/staffing/", "reader_of_hall"),
    Row("GET /api/v1/halls/{code}/plan/", "reader_of_hall"),
    Row("GET /api/v1/halls/{code}/forecast/accuracy/", "reader_of_hall"),
    Row("GET /api/v1/halls/{code}/roster/", "reader_of_hall"),
    Row("POST /api/v1/halls/{code}/roster/plan/", "manager_of_hall", body={"week": "not-a-date"}),
    Row("POST /api/v1/halls/{code}/roster/shifts/", "manager_of_hall", body={}),
    Row("PATCH /api/v1/roster-shifts/{shift_id}/", "manager_of_hall", body={}),
    Row("DELETE /api/v1/roster-shifts/{shift_id}/", "manager_of_hall"),
    Row("POST /api/v1/halls/{code}/simulate/", "reader_of_hall", body={"changes": "not-a-list"}),
    Row("GET /api/v1/me/shifts/", "staff"),
    # Reports: a hall's for its readers; per person for its managers and city operations.
    Row("GET /api/v1/halls/{code}/reports/daily/", "reader_of_hall"),
    Row("GET /api/v1/halls/{code}/reports/", "reader_of_hall"),
    Row("GET /api/v1/halls/{code}/reports/agents/", "manager_or_city_ops_of_hall"),
    Row("GET /api/v1/halls/{code}/audit/", "manager_or_city_ops_of_hall"),
    Row("GET /api/v1/me/figures/", "staff"),
    Row("GET /api/v1/city/overview/", "city_view"),
    Row("GET /api/v1/city/reports/", "city_view"),
    # Self-service: customer sign-in is open; the customer's own account needs the session.
    Row("POST /api/v1/auth/otp/", "anyone", body=lambda p: {"phone": "13912345678"}),
    Row("POST /api/v1/auth/otp/verify/", "anyone", body={"phone": "13912345678", "code": "000000"}),
    Row("POST /api/v1/auth/logout/", "customer"),
    Row("GET /api/v1/dev/sms-outbox/", "nobody", refused=hides(404), query="phone=13912345678",
        why="DEBUG only: 404 for everyone in production"),
    Row("GET /api/v1/me/", "customer"),
    Row("GET /api/v1/me/bills/", "customer"),
    Row("GET /api/v1/me/usage/", "customer"),
    Row("GET /api/v1/me/vas/", "customer"),
    Row("POST /api/v1/me/vas/", "customer", body={"code": "VAS-MATRIX"}, found=False),
    Row("POST /api/v1/me/vas/{vas_code}/cancel/", "customer", found=False),
    Row("POST /api/v1/me/vas/confirmations/{confirmation_id}/", "customer", found=False),
    Row("POST /api/v1/me/data-packs/", "customer", body={"code": "G5"}, found=False),
    Row("GET /api/v1/me/redemptions/", "customer"),
    Row("POST /api/v1/me/redemptions/", "customer", body={"reward": "NO-SUCH", "quantity": 1}, found=False),
    Row("GET /api/v1/vas/", "anyone"),
    Row("GET /api/v1/data-packs/", "anyone"),
    Row("GET /api/v1/rewards/", "anyone"),
    Row("GET /api/v1/numbers/", "anyone"),
    Row("POST /api/v1/numbers/{msisdn}/hold/", "kiosk_or_customer"),
    Row("POST /api/v1/numbers/{msisdn}/release/", "kiosk_or_customer", body={"hold_token": "not-a-hold"},
        found=False),
    Row("POST /api/v1/numbers/{msisdn}/purchase/", "kiosk_or_customer", body={"hold_token": "not-a-hold"},
        found=False),
    Row("GET /api/v1/topups/account/", "anyone", query="msisdn=13800138000", found=False),
    Row("POST /api/v1/topups/", "anyone", body={"msisdn": "13800138000", "amount_fen": 5000}, found=False),
    # An order's number is its capability, like a ticket's token.
    Row("GET /api/v1/orders/{order_no}/", "anyone"),
    Row("POST /api/v1/payments/sandbox/callback/", "nobody", refused=hides(403),
        body={"order_no": "X", "amount_fen": 1, "txn_id": "t"}, why="the provider's signature is the credential"),
    Row("POST /api/v1/payments/sandbox/{order_no}/pay/", "nobody", refused=hides(404),
        why="DEBUG only: 404 for everyone in production"),
    Row("POST /api/v1/sms/inbound/", "nobody", refused=hides(403), body={"from": "13800138000", "text": "0000"},
        why="the gateway's X-Gateway-Token is the credential"),
    Row("GET /api/v1/kiosk/", "kiosk"),
]

# --- Pages ----------------------------------------------------------------------------------

PAGE_REFUSED = frozenset({401, 403, SIGN_IN})

PAGES = [
    Row("GET /", "anyone"),
    Row("GET /outlets/", "anyone"),
    Row("GET /display/{code}/", "anyone"),
    Row("GET /display/{code}/counter/{counter_number}/", "anyone"),
    Row("GET /m/", "anyone"),
    Row("GET /m/waiting/", "anyone"),
    Row("GET /m/{code}/", "anyone"),
    Row("GET /m/{code}/book/", "anyone"),
    Row("GET /m/me/bookings/", "anyone", why="the page signs the customer in itself"),
    Row("GET /m/check-in/{hall_key}/", "anyone", found=False, why="a bad key is no hall"),
    Row("GET /manage/{code}/check-in-qr/", "staff_of_hall", refused=PAGE_REFUSED),
    Row("GET /health/live/", "anyone"),
    Row("GET /health/ready/", "anyone"),
    Row("GET /metrics", "anyone", why="by network address (the test client is on loopback) or a bearer token"),
    Row("GET /t/{token}/", "holder", refused=hides(404), why="a token not held is no ticket"),
    Row("GET /kiosk/{code}/", "kiosk_of_hall", refused=hides(403)),
    Row("GET /kiosk/{code}/qr.svg", "kiosk_of_hall", refused=hides(403), query="data=hello"),
    Row("GET /kiosk/{code}/receipt/ticket/{ticket_token}/", "kiosk_of_hall", refused=hides(403)),
    Row("GET /kiosk/{code}/receipt/order/{order_no}/", "kiosk_of_hall", refused=hides(403)),
    Row("POST /kiosk/{code}/receipt/ticket/{ticket_token}/print/", "kiosk_of_hall", refused=hides(403),
        also_ok=frozenset({503}), why="a kiosk without a network printer answers printer_unavailable (503)"),
    Row("GET /kiosk/{code}/receipt/print/{print_job_id}/", "kiosk_of_hall", refused=hides(403),
        why="the print job of the hall's kiosk; another kiosk's job is 404 (tests/kiosk/test_print_jobs.py)"),
    Row("GET /pay/sandbox/{order_no}/", "nobody", refused=hides(404), why="DEBUG only"),
    Row("GET /console/login/", "anyone"),
    Row("POST /console/logout/", "anyone"),
    Row("GET /console/", "worker", refused=PAGE_REFUSED),
    Row("GET /console/", "staff_of_hall", variant="hall", query="hall={code}", refused=PAGE_REFUSED | {404},
        why="another hall is 'no such hall, or not yours' (404)"),
    Row("GET /console/", "staff_of_hall", variant="counter", query="counter={counter_id}",
        refused=PAGE_REFUSED | {404}, why="another hall's counter is 'no such counter, or not yours' (404)"),
    Row("GET /manage/", "manager", refused=PAGE_REFUSED),
    Row("GET /manage/{code}/", "reader_of_hall", refused=PAGE_REFUSED),
    Row("GET /manage/{code}/plan/", "reader_of_hall", refused=PAGE_REFUSED),
    Row("GET /manage/{code}/reports/", "reader_of_hall", refused=PAGE_REFUSED),
    Row("GET /manage/{code}/audit/", "manager_or_city_ops_of_hall", refused=PAGE_REFUSED),
    Row("GET /city/", "city_view", refused=PAGE_REFUSED),
    Row("GET /admin/", "admin_staff", refused=PAGE_REFUSED),
    Row("GET /admin/halls/outlet/{outlet_pk}/change/", "admin_of_hall", refused=PAGE_REFUSED | {REDIRECT},
        why="the admin lists its halls only: another is 'perhaps deleted' (redirect)"),
    Row("GET /admin/halls/counter/{counter_pk}/change/", "admin_of_hall", refused=PAGE_REFUSED | {REDIRECT}),
]


# --- Running a row ---------------------------------------------------------------------------


def _cases(rows):
    for row in rows:
        for own in ((True, False) if row.hall_scoped else (None,)):
            for caller in CALLERS:
                hall = {True: "own hall", False: "other hall", None: "-"}[own]
                yield pytest.param(row, caller, own, id=f"{row.name} | {caller} | {hall}")


def _params(world, caller, own) -> dict:
    params = world.params(caller, own)
    params["display_id"] = world.hall(own).display_id
    return params


def _url(row: Row, params: dict) -> str:
    path = row.path.format(**params)
    query = row.query.format(**params)
    return f"{path}?{query}" if query else path


def _body(row: Row, params: dict):
    return row.body(params) if callable(row.body) else row.body


def _refused(status: int, location: str, refused: frozenset) -> bool:
    if status in refused:
        return True
    if status in (301, 302, 303, 307, 308):
        if REDIRECT in refused:
            return True
        return SIGN_IN in refused and "login" in location
    return False


def _judge(row: Row, caller: str, own, status: int, location: str = "") -> None:
    allowed = expected_allowed(row.audience, caller, own)
    outcome = access.describe(status, location)
    assert status < 500 or status in row.also_ok, f"{row.name} as {caller}: {outcome}"
    if allowed:
        assert not _refused(status, location, row.refused | API_REFUSED), (
            f"{row.name} is for {row.audience}, but {caller} was refused: {outcome}")
        assert not (row.found and status == 404), f"{row.name} as {caller}: 404 (the matrix names a real object)"
    else:
        assert _refused(status, location, row.refused), (
            f"{row.name} is for {row.audience}, but {caller} was let in: {outcome} "
            f"(expected one of {sorted(map(str, row.refused))})")


@pytest.fixture(scope="class")
def world(django_db_setup, django_db_blocker):
    """Built once per class inside a transaction that is rolled back at its
    end; each case runs in a savepoint of its own (the `db` fixture)."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            yield build_world()
            transaction.set_rollback(True)


class TestApi:
    @pytest.mark.parametrize(("row", "caller", "own"), list(_cases(API)))
    def test_api(self, world, db, row, caller, own):
        params = _params(world, caller, own)
        client = APIClient()

        response = client.generic(row.method, _url(row, params), data=_json(_body(row, params)),
                                  content_type="application/json", **api_headers(world, caller))

        _judge(row, caller, own, response.status_code)


def _json(body) -> str:
    return json.dumps(body) if body is not None else ""


def page_client(world, caller: str) -> Client:
    client = Client()
    if caller in USERS:
        client.force_login(world.users[caller])
    elif caller == KIOSK:
        client.cookies["qms_kiosk"] = world.a.kiosk_token
    return client


class TestPages:
    @pytest.mark.parametrize(("row", "caller", "own"), list(_cases(PAGES)))
    def test_page(self, world, db, row, caller, own):
        params = _params(world, caller, own)
        client = page_client(world, caller)

        response = client.generic(row.method, _url(row, params))

        _judge(row, caller, own, response.status_code, response.get("Location", ""))


# --- Every operation of the schema is classified ----------------------------------------------


def _schema_operations() -> set[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    methods = {"get", "post", "put", "patch", "delete"}
    return {f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops if method in methods}


def _normalised(op: str) -> str:
    # The matrix names some path parameters for what they hold ({vas_code}); the schema by the URL conf.
    return op.replace("{vas_code}", "{code}")


def test_every_api_operation_is_in_the_matrix():
    classified = {_normalised(row.op) for row in API}

    missing = sorted(_schema_operations() - classified)

    assert not missing, (
        "These API operations have no row in the permission matrix (tests/test_permissions_matrix.py, API); "
        "add one naming who may call each:\n"
        + "\n".join(f'    Row("{op}", "<audience>"),' for op in missing)
    )


def test_every_row_of_the_matrix_is_an_api_operation():
    stale = sorted({_normalised(row.op) for row in API} - _schema_operations())

    assert not stale, f"Rows for operations the API no longer has: {stale}"


# --- Sockets ---------------------------------------------------------------------------------

SOCKETS = [
    Row("WS /ws/halls/{code}/display/", "anyone"),
    Row("WS /ws/tickets/{token}/", "holder", why="a token not held is no ticket (closed 4404)"),
    Row("WS /ws/halls/{code}/floor/", "reader_of_hall", why="the site's session, from a page of this site"),
]


def _socket_headers(world, caller) -> list:
    # A display box sends no Origin; everyone else asks from a page of this site.
    headers = [] if caller == DISPLAY else [(b"origin", b"http://testserver")]
    if caller in USERS:
        client = page_client(world, caller)
        cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
        headers.append((b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    elif caller in (KIOSK, CUSTOMER):
        headers.append((b"authorization", api_headers(world, caller)["HTTP_AUTHORIZATION"].encode()))
    return headers


class TestSockets:
    """The consumers read the database through database_sync_to_async, which
    runs in this (the test's) thread under async_to_sync: they see the class's
    world inside its transaction. Between calls Channels closes connections
    that are not in autocommit, which would end that transaction: not here."""

    @pytest.fixture(autouse=True)
    def _same_connection(self, monkeypatch):
        monkeypatch.setattr("channels.db.close_old_connections", lambda: None)

    @pytest.mark.parametrize(("row", "caller", "own"), list(_cases(SOCKETS)))
    def test_socket(self, world, db, row, caller, own):
        params = _params(world, caller, own)
        headers = _socket_headers(world, caller)

        connected = async_to_sync(_connects)(row.path.format(**params), headers)

        allowed = expected_allowed(row.audience, caller, own)
        assert connected == allowed, (
            f"{row.name} is for {row.audience}, but {caller} was {'let in' if connected else 'refused'}")


async def _connects(path: str, headers: list) -> bool:
    socket = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await socket.connect(timeout=5)
    await socket.disconnect()
    return connected
