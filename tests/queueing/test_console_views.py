"""The console's pages through Django's test client: signing in and out, who
sees which halls and counters, and refusals that say why."""

import pytest
from django.test import Client

from halls.models import StaffRole
from tests.halls.factories import OutletFactory, UserFactory, member
from tests.queueing.factories import build_floor

PASSWORD = "pw-for-tests-1"


@pytest.fixture
def signed_in(client, floor):
    client.force_login(floor.agent)
    return client


def session_user(client):
    return client.session.get("_auth_user_id")


def test_a_visitor_who_is_not_signed_in_gets_the_sign_in_page(client, db):
    response = client.get("/console/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/console/login/?next=/console/")
    assert response.status_code == 200
    assert "营业员登录" in response.text
    assert 'name="username"' in response.text and 'name="password"' in response.text


def test_a_wrong_password_shows_an_error_and_signs_nobody_in(client, floor):
    response = client.post("/console/login/", {"username": floor.agent.username, "password": "wrong-password"})

    assert response.status_code == 200
    assert "用户名或密码错误" in response.text
    assert "Wrong username or password" in response.text
    assert session_user(client) is None


def test_the_right_password_signs_in_and_returns_to_the_console(client, floor):
    response = client.post(
        "/console/login/?next=/console/", {"username": floor.agent.username, "password": PASSWORD, "next": "/console/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/console/"
    assert session_user(client) == str(floor.agent.pk)


def test_signing_in_never_sends_the_agent_to_another_site(client, floor):
    response = client.post(
        "/console/login/", {"username": floor.agent.username, "password": PASSWORD, "next": "https://evil.example/"}
    )

    assert response["Location"] == "/console/"


def test_the_sign_in_form_refuses_a_post_without_the_csrf_token(floor):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/console/login/", {"username": floor.agent.username, "password": PASSWORD})

    assert response.status_code == 403
    assert session_user(client) is None


def test_an_agent_sees_only_their_halls_counters(signed_in, floor):
    other = build_floor()

    response = signed_in.get("/console/")

    assert response.status_code == 200
    for counter in (floor.counter1, floor.counter2, floor.counter3):
        assert f'data-counter-id="{counter.pk}"' in response.text
    for counter in (other.counter1, other.counter2, other.counter3):
        assert f'data-counter-id="{counter.pk}"' not in response.text
    assert other.hall.name not in response.text


def test_the_counter_picker_shows_services_state_and_who_is_signed_in(signed_in, floor):
    floor.counter2.state = "open"
    floor.counter2.signed_in_user = floor.agent2
    floor.counter2.save()

    response = signed_in.get("/console/")

    assert "缴费充值" in response.text and "综合咨询" in response.text
    assert floor.agent2.username in response.text
    assert "服务中" in response.text and "关闭" in response.text


def test_an_agent_cannot_open_a_counter_of_another_hall(signed_in, floor):
    other = build_floor()

    response = signed_in.get(f"/console/?counter={other.counter1.pk}")

    assert response.status_code == 404
    assert "您不属于该窗口所在的营业厅" in response.text
    assert "data-counter-screen" not in response.text


def test_an_agent_cannot_list_the_counters_of_another_hall(signed_in, floor):
    other = build_floor()

    response = signed_in.get(f"/console/?hall={other.hall.code}")

    assert response.status_code == 404
    assert f'data-counter-id="{other.counter1.pk}"' not in response.text


def test_a_user_without_any_membership_is_refused_with_a_clear_message(client, db):
    build_floor()
    client.force_login(UserFactory(username="stranger"))

    response = client.get("/console/")

    assert response.status_code == 403
    assert "您的账号不属于任何营业厅" in response.text
    assert "not staff of any hall" in response.text


def test_an_agent_of_several_halls_picks_a_hall_first(client, floor):
    second = OutletFactory(name="二七广场营业厅")
    member(floor.agent, second, role=StaffRole.MANAGER)
    client.force_login(floor.agent)

    response = client.get("/console/")

    assert 'data-hall-list' in response.text
    assert f'data-hall-code="{floor.hall.code}"' in response.text
    assert f'data-hall-code="{second.code}"' in response.text


def test_a_superuser_finds_any_hall_with_the_search_box(client, floor):
    OutletFactory(name="郑东新区营业厅", code="ZD-001")
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

    response = client.get("/console/?q=郑东")

    assert 'type="search"' in response.text
    assert 'data-hall-code="ZD-001"' in response.text
    assert f'data-hall-code="{floor.hall.code}"' not in response.text


def test_the_counter_screen_carries_what_its_script_needs(signed_in, floor):
    response = signed_in.get(f"/console/?counter={floor.counter1.pk}")

    assert response.status_code == 200
    assert f'data-counter-url="/api/v1/counters/{floor.counter1.pk}/"' in response.text
    assert f'data-ws-path="/ws/halls/{floor.hall.code}/display/"' in response.text
    assert 'data-waiting-service="payment"' in response.text and 'data-waiting-service="enquiry"' in response.text
    assert 'data-csrf="' in response.text
    for reason in ("休息", "会议", "后台业务"):
        assert reason in response.text


def test_a_counter_id_that_is_not_a_number_is_refused_not_an_error(signed_in):
    response = signed_in.get("/console/?counter=1%00x")

    assert response.status_code == 404


def test_signing_out_ends_the_session(signed_in):
    response = signed_in.post("/console/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/console/login/"
    assert session_user(signed_in) is None


def test_signing_out_is_not_possible_with_a_link(signed_in, floor):
    response = signed_in.get("/console/logout/")

    assert response.status_code == 405
    assert session_user(signed_in) == str(floor.agent.pk)


def test_a_hall_code_or_search_with_a_nul_character_finds_nothing_instead_of_failing(client, floor):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

    by_code = client.get("/console/?hall=T%00")
    by_search = client.get("/console/?q=%00")

    assert by_code.status_code == 404
    assert by_search.status_code == 200
