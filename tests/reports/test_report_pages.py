"""The hall's reports page, /manage/{code}/reports/: who may open it. What it
shows is tested in the browser (tests/browser/test_reports.py)."""

import pytest
from django.contrib.auth.models import Group

from halls.models import StaffRole
from halls.roles import CITY_OPERATIONS_GROUP
from tests.halls.factories import UserFactory, member
from tests.queueing.factories import build_floor

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall(db):
    return build_floor(code="RPT-P", name="郑州花园路营业厅")


@pytest.fixture
def manager(hall):
    user = UserFactory(username="rpt-page-manager")
    member(user, hall.hall, StaffRole.MANAGER)
    return user


def page(client, user, code="RPT-P"):
    if user is not None:
        client.force_login(user)
    return client.get(f"/manage/{code}/reports/")


def test_a_manager_opens_the_reports_page_with_the_people_table(client, manager):
    answer = page(client, manager)

    assert answer.status_code == 200
    assert "郑州花园路营业厅 · 报表" in answer.content.decode()
    assert b"data-agents-card" in answer.content
    assert b'data-report-url="/api/v1/halls/RPT-P/reports/"' in answer.content


def test_an_anonymous_visitor_is_sent_to_sign_in(client, hall):
    answer = page(client, None)

    assert answer.status_code == 302
    assert answer["Location"] == "/console/login/?next=/manage/RPT-P/reports/"


def test_staff_of_another_hall_are_refused(client, hall):
    other = build_floor(code="RPT-Q")

    answer = page(client, other.agent)

    assert answer.status_code == 403
    assert "您不能查看该营业厅" in answer.content.decode()


def test_an_unknown_hall_is_not_found(client, manager):
    answer = page(client, manager, code="NOPE")

    assert answer.status_code == 404
    assert "没有这个营业厅" in answer.content.decode()


def test_city_operations_read_every_hall_with_the_people_table(client, hall):
    ops = UserFactory(username="rpt-page-ops", is_staff=True)
    ops.groups.add(Group.objects.get(name=CITY_OPERATIONS_GROUP))

    answer = page(client, ops)

    assert answer.status_code == 200
    assert b"data-agents-card" in answer.content


def test_an_agent_of_the_hall_reads_the_report_without_the_people_table(client, hall):
    answer = page(client, hall.agent)

    assert answer.status_code == 200
    assert b"data-agents-card" not in answer.content


def test_the_floor_links_to_the_reports_and_back(client, manager):
    client.force_login(manager)

    floor = client.get("/manage/RPT-P/")
    reports = client.get("/manage/RPT-P/reports/")

    assert b'href="/manage/RPT-P/reports/"' in floor.content
    assert b'href="/manage/RPT-P/"' in reports.content
