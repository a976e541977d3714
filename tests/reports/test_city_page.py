"""The city page (/city/): city operations and superusers see every hall,
a hall manager theirs; anyone else is sent to sign in or refused."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from halls.models import StaffRole
from halls.roles import CITY_OPERATIONS_GROUP
from tests.halls.factories import UserFactory, member
from tests.queueing.factories import build_floor

pytestmark = pytest.mark.django_db


def page_for(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get("/city/")


@pytest.fixture
def halls(db):
    return build_floor(code="CTY-1", name="花园路营业厅"), build_floor(code="CTY-2", name="二七广场营业厅",
                                                                       district="二七区")


def test_anonymous_is_sent_to_sign_in(halls):
    response = page_for()

    assert response.status_code == 302
    assert response["Location"].startswith("/console/login/?next=/city/")


def test_city_operations_see_every_hall_with_the_map_and_reports(halls):
    ops = UserFactory(username="city-ops")
    ops.groups.add(Group.objects.get(name=CITY_OPERATIONS_GROUP))

    response = page_for(ops)

    assert response.status_code == 200
    html = response.content.decode()
    assert "城市运营" in html
    assert [row["code"] for row in response.context["overview"]["halls"]] == ["CTY-1", "CTY-2"]
    assert '"code": "CTY-1"' in html and '"code": "CTY-2"' in html
    assert "vendor/echarts/echarts.min.js" in html
    assert 'data-reports-url="/api/v1/city/reports/"' in html


def test_a_superuser_sees_the_page(halls):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)

    assert page_for(admin).status_code == 200


def test_a_hall_manager_sees_only_their_halls(halls):
    manager = UserFactory(username="mgr")
    member(manager, halls[0].hall, StaffRole.MANAGER)

    response = page_for(manager)

    assert response.status_code == 200
    assert [row["code"] for row in response.context["overview"]["halls"]] == ["CTY-1"]
    assert "CTY-2" not in response.content.decode()


def test_an_agent_is_refused(halls):
    response = page_for(halls[0].agent)

    assert response.status_code == 403
    assert "此页面供城市运营与厅经理使用" in response.content.decode()


def test_the_outlet_finder_is_open_to_anyone_and_linked_from_home(halls):
    client = Client()

    finder = client.get("/outlets/")
    home = client.get("/")

    assert finder.status_code == 200
    assert "找网点" in finder.content.decode()
    assert 'href="/outlets/"' in home.content.decode()
