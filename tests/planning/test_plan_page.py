"""The hall manager's planning page (/manage/{code}/plan/): who sees it, who
may act on it, and that it is a frame over the staffing API."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from halls.models import StaffRole
from halls.roles import CITY_OPERATIONS_GROUP
from tests.halls.factories import UserFactory, member
from tests.planning.staffing_factories import one_service_hall, staffed

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall():
    hall, _ = one_service_hall(counters=4)
    hall.people = staffed(hall, 2)
    hall.manager = UserFactory(username=f"mgr-{hall.code}")
    member(hall.manager, hall, StaffRole.MANAGER)
    return hall


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def plan_url(hall) -> str:
    return f"/manage/{hall.code}/plan/"


def test_a_manager_gets_the_plan_page_of_their_hall(hall):
    response = signed_in(hall.manager).get(plan_url(hall))

    page = response.content.decode()
    assert response.status_code == 200
    assert hall.name in page
    assert 'data-can-act="true"' in page and "data-roster-plan>" in page and "data-shift-dialog" in page


def test_the_page_calls_the_halls_staffing_api(hall):
    page = signed_in(hall.manager).get(plan_url(hall)).content.decode()

    assert f'data-plan-url="/api/v1/halls/{hall.code}/plan/"' in page
    assert f'data-roster-url="/api/v1/halls/{hall.code}/roster/"' in page
    assert f'data-simulate-url="/api/v1/halls/{hall.code}/simulate/"' in page
    assert 'data-shift-url="/api/v1/roster-shifts/0/"' in page
    assert "vendor/echarts/echarts.min.js" in page


def test_the_plan_and_the_floor_link_to_each_other(hall):
    client = signed_in(hall.manager)

    plan = client.get(plan_url(hall)).content.decode()
    floor = client.get(f"/manage/{hall.code}/").content.decode()

    assert f'href="/manage/{hall.code}/"' in plan
    assert f'href="{plan_url(hall)}"' in floor


def test_anonymous_visitors_are_sent_to_sign_in(hall):
    response = Client().get(plan_url(hall))

    assert response.status_code == 302
    assert response["Location"].startswith(f"/console/login/?next=/manage/{hall.code}/plan/")


def test_an_agent_of_another_hall_is_refused(hall):
    other, _ = one_service_hall(counters=1)
    stranger = UserFactory(username="agent-elsewhere")
    member(stranger, other, StaffRole.AGENT)

    response = signed_in(stranger).get(plan_url(hall))

    assert response.status_code == 403 and "您不能查看该营业厅" in response.content.decode()


def test_an_unknown_hall_is_not_found(hall):
    response = signed_in(hall.manager).get("/manage/NO-SUCH-HALL/plan/")

    assert response.status_code == 404 and "没有这个营业厅" in response.content.decode()


def test_city_operations_read_the_plan_without_acting(hall):
    ops = UserFactory(username="ops-plan", is_staff=True)
    ops.groups.add(Group.objects.get(name=CITY_OPERATIONS_GROUP))

    response = signed_in(ops).get(plan_url(hall))

    page = response.content.decode()
    assert response.status_code == 200 and hall.name in page
    assert 'data-can-act="false"' in page and "只读" in page
    assert "data-roster-plan>" not in page and "data-shift-dialog" not in page


def test_an_agent_of_the_hall_reads_the_plan_without_acting(hall):
    response = signed_in(hall.people[0]).get(plan_url(hall))

    assert response.status_code == 200 and 'data-can-act="false"' in response.content.decode()


def test_the_plan_page_answers_get_only(hall):
    assert signed_in(hall.manager).post(plan_url(hall)).status_code == 405
