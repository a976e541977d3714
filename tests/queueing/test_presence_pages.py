"""The pages around presence: the ticket page's panels, the hall's printable
check-in code and the page it opens on a phone, and the hall picker's waits
with a nearby hall suggested when a service's wait is long."""

import pytest

from queueing import services
from tests.halls.factories import UserFactory
from tests.queueing.factories import build_floor


def take(floor, phone="", service="payment"):
    channel = "mobile" if phone else "kiosk"
    return services.ticket_issue(outlet=floor.hall, service_code=service, channel=channel, phone=phone)[0]


def test_a_phone_tickets_page_says_to_check_in_on_arrival_with_its_qr_code(floor, client):
    ticket = take(floor, phone="13800138000")

    response = client.get(f"/t/{ticket.token}/")

    page = response.content.decode()
    assert response.context["presence"] == "remote"
    assert "到店后请签到" in page and "<svg" in page


def test_a_walk_in_tickets_page_offers_to_step_away(floor, client):
    ticket = take(floor)

    response = client.get(f"/t/{ticket.token}/")

    assert response.context["presence"] == "here"
    assert response.context["step_away_choices"] == [5, 10, 15]


def test_an_away_tickets_page_says_until_when(floor, client):
    ticket = take(floor)
    services.ticket_step_away(token=ticket.token, minutes=5)

    response = client.get(f"/t/{ticket.token}/")

    assert response.context["presence"] == "away"
    assert response.context["away_until_hm"] in response.content.decode()


def test_staff_print_the_halls_check_in_code(floor, client):
    client.force_login(floor.agent)

    response = client.get(f"/manage/{floor.hall.code}/check-in-qr/")

    assert response.status_code == 200
    assert "/m/check-in/" in response.context["url"]


def test_the_check_in_code_is_for_the_halls_staff_only(floor, client):
    client.force_login(UserFactory())

    response = client.get(f"/manage/{floor.hall.code}/check-in-qr/")

    assert response.status_code == 403


def test_the_code_opens_the_check_in_page_of_its_hall(floor, client):
    key = services.hall_check_in_key(outlet=floor.hall)

    response = client.get(f"/m/check-in/{key}/")

    assert response.status_code == 200
    assert response.context["hall"] == floor.hall


def test_a_forged_code_opens_a_page_that_says_so(db, client):
    response = client.get("/m/check-in/not-a-key/")

    assert response.status_code == 400
    assert "签到码无效" in response.content.decode()


def test_the_hall_picker_shows_each_halls_wait(floor, client):
    take(floor)

    response = client.get("/m/")

    row = next(r for rows in dict(response.context["groups"]).values() for r in rows)
    assert row["wait"] is not None and row["wait"][0] <= row["wait"][1]


@pytest.fixture
def busy_and_quiet(db):
    busy = build_floor(name="金水路营业厅", lat=34.78, lng=113.68)
    quiet = build_floor(name="花园路营业厅", lat=34.785, lng=113.68)  # about 550 m north
    far = build_floor(name="远处营业厅", lat=35.5, lng=113.68)
    for _ in range(12):
        take(busy)
    return busy, quiet, far


def test_a_long_wait_suggests_the_nearest_hall_with_a_shorter_one_for_that_service(busy_and_quiet, client):
    busy, quiet, _ = busy_and_quiet

    response = client.get(f"/m/{busy.hall.code}/")

    nearby = {n["service"]: n for n in response.context["nearby"]}
    assert nearby["payment"]["to_code"] == quiet.hall.code
    assert nearby["payment"]["km"] == 0.6
    assert 'data-nearby-for="payment"' in response.content.decode()


def test_a_short_wait_suggests_no_other_hall(busy_and_quiet, client):
    _, quiet, _ = busy_and_quiet

    response = client.get(f"/m/{quiet.hall.code}/")

    assert response.context["nearby"] == []
