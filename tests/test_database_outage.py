"""The database restarted under a running server: requests meanwhile answer
503 `database_unavailable` (a friendly page for pages) with Retry-After,
nothing is half written, and the server serves again by itself once the
database is back. A Daphne of this test's own reaches PostgreSQL through a TCP
proxy (tests/tcp_proxy.py) that the test cuts and restores: open connections
drop and new ones fail, as in a restart, without stopping a server others
use."""

import json
import urllib.error
import urllib.request

import pytest
from django.db import connection

from queueing.models import Ticket
from tests.browser.conftest import LiveServer
from tests.queueing.factories import build_floor
from tests.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class ServerBehindProxy(LiveServer):
    def __init__(self, proxy: TcpProxy):
        super().__init__()
        self.proxy = proxy

    def env(self) -> dict:
        db = connection.settings_dict
        auth = db.get("USER") or "postgres"
        if db.get("PASSWORD"):
            auth += f":{db['PASSWORD']}"
        return {**super().env(), "DATABASE_URL": f"postgres://{auth}@127.0.0.1:{self.proxy.port}/{db['NAME']}",
                # A request waits this long for a connection while the database is away.
                "DB_POOL_TIMEOUT": "3", "DB_POOL_MIN_SIZE": "2", "HTTP_THREADS": "2"}


@pytest.fixture
def server(on_postgres, settings, django_db_blocker):
    if not settings.REDIS_URL:
        pytest.fail("Needs REDIS_URL (scripts/test starts an embedded Redis).")
    proxy = TcpProxy(connection.settings_dict.get("HOST") or "127.0.0.1",
                     int(connection.settings_dict.get("PORT") or 5432))
    server = ServerBehindProxy(proxy)
    with django_db_blocker.unblock():
        server.start()
    yield server
    server.stop()
    proxy.close()


def request(url, body=None, timeout=30):
    """(status, headers, body) of a GET, or of a POST of `body` as JSON."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def issue(server, floor, phone):
    return request(f"{server.url}/api/v1/halls/{floor.hall.code}/tickets/",
                   {"service": "payment", "channel": "mobile", "phone": phone})


def test_a_database_restart_answers_503_writes_nothing_and_service_resumes_by_itself(server):
    floor = build_floor()
    status, _, body = issue(server, floor, "13800138001")
    assert status == 201, body
    before = json.loads(body)["number"]

    server.proxy.cut()
    status, headers, body = issue(server, floor, "13800138002")
    page_status, page_headers, page = request(f"{server.url}/display/{floor.hall.code}/")

    assert status == 503, body
    assert json.loads(body)["error"]["code"] == "database_unavailable"
    assert json.loads(body)["error"]["message"]
    assert int(headers["Retry-After"]) > 0
    assert page_status == 503 and "data-unavailable" in page and int(page_headers["Retry-After"]) > 0
    assert "text/html" in page_headers["Content-Type"]
    assert Ticket.objects.filter(outlet=floor.hall).count() == 1  # the refused one left nothing behind

    server.proxy.restore()
    status, _, body = issue(server, floor, "13800138003")  # the first request after: no restart, no retry

    assert status == 201, body
    after = json.loads(body)["number"]
    assert after[:1] == before[:1] and int(after[1:]) == int(before[1:]) + 1  # no number lost or taken
    assert Ticket.objects.filter(outlet=floor.hall).count() == 2
    status, _, _ = request(f"{server.url}/display/{floor.hall.code}/")
    assert status == 200
