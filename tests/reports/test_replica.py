"""The reports on a streaming replica (queueing/reports/replica.py; docs/deploy.md,
"Reports on a replica"). With the `replica` database configured (in tests a
mirror of the test database: tests/conftest.py) the reports, their exports and
the pages read their figures from it and say how far behind they are; the live
floor and the services keep the primary; a replica that is away or too far
behind leaves the reports to the primary, never an error.

The tests commit their data (transaction=True): the replica's connection is a
connection of its own and sees only what is committed, as a real one does. A
replica "behind" is a PostgreSQL connection whose search path finds stand-in
recovery functions first; one "away" is reached through a TCP proxy the test
cuts (tests/tcp_proxy.py)."""

import copy
import logging
from contextlib import ExitStack

import pytest
from django.contrib.auth.models import Group
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from halls.models import StaffRole
from halls.roles import CITY_OPERATIONS_GROUP
from queueing.reports.replica import LAG_SQL
from tests.halls.factories import UserFactory, member
from tests.queueing.factories import build_floor
from tests.reports.conftest import DAY, client_of
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

RANGE = f"from={DAY}&to={DAY}"
ROLLUPS = ("reports_hallday", "reports_servicehour", "reports_agentday")
REPORTS = [
    f"/api/v1/halls/RPT-1/reports/daily/?{RANGE}",
    f"/api/v1/halls/RPT-1/reports/daily/?{RANGE}&format=csv",
    f"/api/v1/halls/RPT-1/reports/agents/?{RANGE}",
    f"/api/v1/halls/RPT-1/reports/agents/?{RANGE}&by=counter&format=xlsx",
    f"/api/v1/halls/RPT-1/reports/?{RANGE}",
    f"/api/v1/halls/RPT-1/reports/?{RANGE}&format=csv&table=services",
    f"/api/v1/city/reports/?{RANGE}",
    f"/api/v1/city/reports/?{RANGE}&format=xlsx&table=districts",
]
HALL_REPORT = f"/api/v1/halls/RPT-1/reports/?{RANGE}"


def rollup_reads(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if any(table in q["sql"] for table in ROLLUPS)]


def reopen(conn, **changes) -> None:
    """Give the connection (and its pool) back, so that the next use opens one with `changes`."""
    conn.close()
    close_pool = getattr(conn, "close_pool", None)
    if close_pool is not None:
        close_pool()
    conn.settings_dict.update(changes)


@pytest.fixture
def replica(settings):
    """The reports read the `replica` database; its settings are as they were afterwards."""
    conn = connections["replica"]
    before = copy.deepcopy(conn.settings_dict)
    settings.REPORTS_FROM_REPLICA = True
    yield conn
    # Nothing of the replica's may stay connected to the test database, which is dropped at the end of the run.
    reopen(conn)
    conn.settings_dict.clear()
    conn.settings_dict.update(before)


def quick_pool(conn) -> dict:
    """The replica's options with a short wait for a connection (the default's pool waits 10 s)."""
    options = copy.deepcopy(conn.settings_dict["OPTIONS"])
    if "pool" in options:
        options["pool"]["timeout"] = 1.0
    return {**options, "connect_timeout": 1}


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL: a standby's recovery functions, a server reached through a TCP proxy.")


@pytest.fixture
def standby_behind(postgres, replica):
    """standby_behind(seconds): the replica answers as a hot standby whose
    last replayed transaction committed that many seconds ago."""
    with connections["default"].cursor() as cursor:
        cursor.execute("CREATE SCHEMA IF NOT EXISTS qms_test_standby")
        cursor.execute("CREATE OR REPLACE FUNCTION qms_test_standby.pg_is_in_recovery() RETURNS boolean "
                       "LANGUAGE sql AS 'SELECT true'")
    options = {**replica.settings_dict["OPTIONS"], "options": "-c search_path=qms_test_standby,public,pg_catalog"}
    reopen(replica, OPTIONS=options)

    def behind(seconds: int) -> None:
        with connections["default"].cursor() as cursor:
            cursor.execute("CREATE OR REPLACE FUNCTION qms_test_standby.pg_last_xact_replay_timestamp() "
                           "RETURNS timestamptz LANGUAGE sql "
                           f"AS $$SELECT now() - interval '{int(seconds)} seconds'$$")

    yield behind
    reopen(replica)
    with connections["default"].cursor() as cursor:
        cursor.execute("DROP SCHEMA qms_test_standby CASCADE")


@pytest.fixture
def replica_proxy(postgres, replica):
    """The replica reached through a TCP proxy: `cut()` it and the replica is away."""
    db = replica.settings_dict
    proxy = TcpProxy(db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432))
    reopen(replica, HOST="127.0.0.1", PORT=str(proxy.port), OPTIONS=quick_pool(replica))
    yield proxy
    reopen(replica)
    proxy.close()


@pytest.fixture
def ops(db):
    """A member of city operations. (The group comes from a migration, and a
    transactional test before this one may have flushed it away.)"""
    user = UserFactory(username="rpt-replica-ops", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=CITY_OPERATIONS_GROUP)[0])
    return user


@pytest.fixture
def manager(day):
    user = UserFactory(username="rpt-replica-manager")
    member(user, day.hall, StaffRole.MANAGER)
    return user


def read_on_both(client, path):
    """(answer, queries on the primary, queries on the replica)."""
    with ExitStack() as stack:
        on_primary = stack.enter_context(CaptureQueriesContext(connections["default"]))
        on_replica = stack.enter_context(CaptureQueriesContext(connections["replica"]))
        answer = client.get(path)
    return answer, on_primary, on_replica


# --- Read from the replica ----------------------------------------------------------------------


@pytest.mark.parametrize("path", REPORTS)
def test_the_reports_and_their_exports_read_their_figures_from_the_replica(day, ops, replica, path):
    answer, on_primary, on_replica = read_on_both(client_of(ops), path)

    assert answer.status_code == 200
    assert rollup_reads(on_replica)
    assert rollup_reads(on_primary) == []


def test_the_hall_report_from_the_replica_has_the_figures_and_says_how_far_behind_they_are(day, manager, replica):
    answer = client_of(manager).get(HALL_REPORT)

    report = answer.json()
    assert report["totals"]["issued"] == 6 and report["totals"]["served"] == 2
    assert report["replica_lag_seconds"] == 0  # a mirror of the primary is not behind
    assert answer["X-Replica-Lag"] == "0"


def test_a_persons_own_figures_are_read_from_the_replica(day, replica):
    answer, on_primary, on_replica = read_on_both(client_of(day.agent), f"/api/v1/me/figures/?{RANGE}")

    assert answer.json()["served"] == 2
    assert rollup_reads(on_replica) and rollup_reads(on_primary) == []


def test_the_replica_serves_the_reports_and_nothing_of_the_live_floor(day, ops, replica):
    floor = build_floor(code="RPT-LIVE")
    staff = client_of(floor.agent)

    with CaptureQueriesContext(connections["replica"]) as on_replica:
        opened = staff.post(f"/api/v1/counters/{floor.counter2.pk}/open/")
        issued = staff.post("/api/v1/halls/RPT-LIVE/tickets/", {"service": "payment", "channel": "staff"},
                            format="json")
        called = staff.post(f"/api/v1/counters/{floor.counter2.pk}/call-next/")
        snapshot = APIClient().get("/api/v1/halls/RPT-LIVE/queue/")
        overview = client_of(ops).get("/api/v1/city/overview/")
        report = client_of(ops).get(f"/api/v1/halls/RPT-1/reports/daily/?{RANGE}")

    answers = (opened, issued, called, snapshot, overview, report)
    assert [r.status_code for r in answers] == [200, 201, 200, 200, 200, 200]
    assert called.json()["number"] == issued.json()["number"]
    assert rollup_reads(on_replica)
    # The lag check (a plain "SELECT 1" on SQLite), and the report's rollups: nothing else.
    assert [q["sql"] for q in on_replica.captured_queries
            if q["sql"] not in (LAG_SQL, "SELECT 1") and q["sql"] not in rollup_reads(on_replica)] == []


# --- How far behind -----------------------------------------------------------------------------


def test_the_report_api_says_how_far_behind_the_replica_is(day, manager, standby_behind):
    standby_behind(42)

    report = client_of(manager).get(HALL_REPORT)
    daily = client_of(manager).get(f"/api/v1/halls/RPT-1/reports/daily/?{RANGE}")

    assert report.json()["replica_lag_seconds"] == 42
    assert daily["X-Replica-Lag"] == "42"
    assert daily.json()[0]["issued"] == 6  # the contract's rows, unchanged


@pytest.mark.parametrize("path", ["/manage/RPT-1/reports/", "/city/"])
def test_the_report_pages_say_how_far_behind_the_replica_is(client, day, ops, standby_behind, path):
    standby_behind(42)
    client.force_login(ops)

    page = client.get(path).content.decode()

    assert "数据延迟约 42 秒" in page
    assert "Figures about 42 s behind" in page


@pytest.mark.parametrize(("behind", "limit"), [(900, 300), (42, 30)])
def test_a_replica_too_far_behind_leaves_the_reports_to_the_primary(
        day, manager, standby_behind, settings, caplog, behind, limit):
    settings.REPORTS_REPLICA_MAX_LAG_SECONDS = limit
    standby_behind(behind)

    with caplog.at_level(logging.WARNING, logger="queueing.reports.replica"):
        answer, on_primary, on_replica = read_on_both(client_of(manager), HALL_REPORT)

    assert answer.status_code == 200
    assert answer.json()["totals"]["issued"] == 6
    assert answer.json()["replica_lag_seconds"] is None and "X-Replica-Lag" not in answer
    assert rollup_reads(on_primary) and rollup_reads(on_replica) == []
    assert any(f"{behind} s behind" in r.getMessage() for r in caplog.records)


# --- Away ---------------------------------------------------------------------------------------


def test_an_unreachable_replica_leaves_the_reports_to_the_primary(day, manager, replica_proxy, caplog):
    replica_proxy.cut()

    with caplog.at_level(logging.WARNING, logger="queueing.reports.replica"):
        answer = client_of(manager).get(HALL_REPORT)

    assert answer.status_code == 200
    assert answer.json()["totals"]["issued"] == 6
    assert answer.json()["replica_lag_seconds"] is None
    assert any("cannot be reached" in r.getMessage() for r in caplog.records)


def test_a_replica_lost_during_a_report_leaves_it_to_the_primary(day, manager, replica_proxy):
    first = client_of(manager).get(HALL_REPORT)  # the replica is checked, and answers
    replica_proxy.cut()

    again = client_of(manager).get(f"/api/v1/halls/RPT-1/reports/daily/?{RANGE}")

    assert first["X-Replica-Lag"] == "0"
    assert again.status_code == 200
    assert again.json()[0]["issued"] == 6
    assert "X-Replica-Lag" not in again


def test_an_unreachable_replica_leaves_the_report_page_to_the_primary(client, day, manager, replica_proxy):
    replica_proxy.cut()
    client.force_login(manager)

    page = client.get("/manage/RPT-1/reports/")

    assert page.status_code == 200
    assert "data-replica-lag" in page.content.decode()  # kept for the page's script, hidden
    assert "数据延迟约" not in page.content.decode()
