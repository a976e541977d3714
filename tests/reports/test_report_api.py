"""The reports API (CONTRACT.md): the daily and agents reports, the report
page's data, exports, and who may read what."""

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from halls.models import StaffRole
from tests.halls.factories import UserFactory, member
from tests.queueing.factories import build_floor
from tests.reports.conftest import DAY, client_of

pytestmark = pytest.mark.django_db

RANGE = f"from={DAY}&to={DAY}"



@pytest.fixture
def manager(day):
    user = UserFactory(username="rpt-manager")
    member(user, day.hall, StaffRole.MANAGER)
    return user



def daily(user, hall, query=RANGE):
    return client_of(user).get(f"/api/v1/halls/{hall.code}/reports/daily/?{query}")


# --- The daily report ------------------------------------------------------------------------------


def test_the_daily_report_is_the_contracts_row_per_day(day):
    rows = daily(day.agent, day.hall).json()

    assert rows == [{
        "date": str(DAY), "issued": 6, "served": 2, "no_show": 1, "cancelled": 1, "closed_unserved": 2,
        "avg_wait_seconds": 480.0, "p90_wait_seconds": 720, "avg_handle_seconds": 420.0,
        "service_level": round(1 / 6, 4),
    }]


def test_days_without_tickets_are_left_out(day):
    rows = daily(day.agent, day.hall, f"from={DAY - timedelta(days=3)}&to={DAY + timedelta(days=1)}").json()

    assert [r["date"] for r in rows] == [str(DAY)]


def test_the_daily_report_comes_as_csv(day):
    answer = daily(day.agent, day.hall, RANGE + "&format=csv")

    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert answer["Content-Type"].startswith("text/csv")
    assert rows[0][0] == "日期 / Date" and rows[1][:3] == [str(DAY), "6", "2"]


def test_the_daily_report_comes_as_xlsx(day):
    answer = daily(day.agent, day.hall, RANGE + "&format=xlsx")

    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert [c.value for c in sheet[2]][:3] == [str(DAY), 6, 2]


def test_a_range_backwards_is_a_clear_error(day):
    answer = daily(day.agent, day.hall, f"from={DAY}&to={DAY - timedelta(days=1)}")

    assert answer.status_code == 400 and "from" in answer.json()["error"]["fields"]


def test_a_range_too_long_is_a_clear_error(day):
    answer = daily(day.agent, day.hall, f"from={DAY - timedelta(days=500)}&to={DAY}")

    assert answer.status_code == 400


def test_an_unknown_format_is_a_clear_error(day):
    assert daily(day.agent, day.hall, RANGE + "&format=pdf").status_code == 400


def test_staff_of_another_hall_may_not_read_the_daily_report(day):
    other = build_floor(code="RPT-OTHER")

    assert daily(other.agent, day.hall).status_code == 403


def test_anonymous_callers_are_asked_to_sign_in(day):
    assert APIClient().get(f"/api/v1/halls/{day.hall.code}/reports/daily/").status_code == 401


# --- The agents report --------------------------------------------------------------------------------


def agents(user, hall, query=RANGE):
    return client_of(user).get(f"/api/v1/halls/{hall.code}/reports/agents/?{query}")


def test_the_agents_report_has_the_contracts_figures(manager, day):
    row = agents(manager, day.hall).json()[0]

    assert {k: row[k] for k in ("served", "busy_seconds", "paused_seconds")} == {
        "served": 2, "busy_seconds": 18 * 60, "paused_seconds": 15 * 60}
    assert row["utilisation"] == round(18 * 60 / (9 * 3600 - 15 * 60), 4)
    assert row["agent"] == day.agent.get_username()


def test_city_operations_read_the_agents_report(ops, day):
    assert agents(ops, day.hall).status_code == 200


def test_an_agent_may_not_read_the_agents_report(day):
    assert agents(day.agent, day.hall).status_code == 403


def test_the_agents_report_comes_as_xlsx(manager, day):
    sheet = load_workbook(io.BytesIO(agents(manager, day.hall, RANGE + "&format=xlsx").content)).active

    assert sheet["A1"].value == "营业员 / Agent" and sheet["D2"].value == 2


def test_the_report_per_counter(manager, day):
    rows = agents(manager, day.hall, RANGE + "&by=counter").json()

    assert [(r["counter"], r["served"]) for r in rows] == [(2, 2)]


# --- The report page's data ------------------------------------------------------------------------------


def test_the_report_compares_with_the_period_before(manager, day):
    report = client_of(manager).get(f"/api/v1/halls/{day.hall.code}/reports/?{RANGE}").json()

    assert report["totals"]["issued"] == 6 and report["previous"]["issued"] == 0
    assert report["previous"]["to"] == str(DAY - timedelta(days=1))


def test_the_report_has_services_heatmap_and_ratings(manager, day):
    report = client_of(manager).get(f"/api/v1/halls/{day.hall.code}/reports/?{RANGE}").json()

    assert {s["code"]: s["issued"] for s in report["services"]} == {"payment": 5, "enquiry": 1}
    assert {(h["weekday"], h["hour"]): h["issued"] for h in report["heatmap"]} == {(DAY.isoweekday(), 9): 6}
    assert report["ratings"]["distribution"] == [0, 0, 0, 0, 1]
    assert report["ratings"]["comments"][0]["comment"] == "很快"


def test_the_report_of_one_service(manager, day):
    report = client_of(manager).get(f"/api/v1/halls/{day.hall.code}/reports/?{RANGE}&service=enquiry").json()

    assert report["totals"]["issued"] == 1 and report["totals"]["closed_unserved"] == 1


def test_a_service_the_hall_lacks_is_a_clear_error(manager, day):
    answer = client_of(manager).get(f"/api/v1/halls/{day.hall.code}/reports/?{RANGE}&service=nope")

    assert answer.status_code == 400


def test_the_services_table_comes_as_csv(manager, day):
    answer = client_of(manager).get(f"/api/v1/halls/{day.hall.code}/reports/?{RANGE}&format=csv&table=services")

    assert answer.content.decode("utf-8-sig").splitlines()[1].startswith("payment,")


def test_a_report_read_from_the_primary_says_it_is_not_behind(manager, day):
    answer = client_of(manager).get(f"/api/v1/halls/{day.hall.code}/reports/?{RANGE}")

    assert answer.json()["replica_lag_seconds"] is None
    assert "X-Replica-Lag" not in answer


# --- My figures ----------------------------------------------------------------------------------------


def test_an_agent_reads_their_own_figures(day):
    figures = client_of(day.agent).get(f"/api/v1/me/figures/?{RANGE}").json()

    assert (figures["served"], figures["no_show"], figures["avg_rating"]) == (2, 1, 5.0)


def test_someone_elses_figures_are_not_in_mine(day):
    figures = client_of(day.agent2).get(f"/api/v1/me/figures/?{RANGE}").json()

    assert figures["served"] == 0
