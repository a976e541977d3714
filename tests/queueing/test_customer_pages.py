"""The customer's phone pages through Django's test client: the ticket page
/t/{token}/, the hall picker /m/ and a hall's page /m/{code}/."""

import json
from datetime import time

import pytest
from django.utils import timezone

from halls.models import OpeningException, OpeningHours, OutletKind
from queueing import services
from queueing.models import TicketRating
from tests.halls.factories import OutletFactory, ServiceFactory, add_counter, offer
from tests.queueing.factories import build_floor

PHONE = "13800138000"


def take(floor, service="payment", **kwargs):
    return services.ticket_issue(outlet=floor.hall, service_code=service, channel=kwargs.pop("channel", "kiosk"),
                                 **kwargs)[0]


def page_config(response) -> dict:
    """The ticket page's live-state config (json_script) as the browser reads it."""
    html = response.content.decode()
    start = html.index('<script id="ticket-config" type="application/json">') + len(
        '<script id="ticket-config" type="application/json">')
    return json.loads(html[start:html.index("</script>", start)])


# --- The ticket page -----------------------------------------------------------


def test_the_ticket_page_shows_the_hall_the_number_and_the_service(floor, client):
    ticket = take(floor)

    response = client.get(f"/t/{ticket.token}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert floor.hall.name in html
    assert ticket.number in html
    assert "缴费充值" in html and "Payment" in html
    assert 'data-phase="near"' in html  # first in line


def test_the_ticket_page_never_shows_the_full_phone_number(floor, client):
    ticket = take(floor, channel="mobile", phone=PHONE)

    response = client.get(f"/t/{ticket.token}/")

    html = response.content.decode()
    assert PHONE not in html
    assert "138****8000" in html


def test_the_ticket_page_carries_the_live_state_and_the_near_turn_thresholds(floor, client, settings):
    settings.QUEUE_NEAR_TURN_POSITION = 2
    settings.QUEUE_NEAR_TURN_SECONDS = 60
    for _ in range(4):
        take(floor)
    ticket = take(floor)

    response = client.get(f"/t/{ticket.token}/")

    config = page_config(response)
    assert config["nearPosition"] == 2 and config["nearSeconds"] == 60
    assert config["state"]["status"] == "waiting" and config["state"]["position"] == 5
    assert config["wsPath"] == f"/ws/tickets/{ticket.token}/"
    assert 'data-phase="waiting"' in response.content.decode()
    assert "前面还有 <b>4</b> 位" in response.content.decode()


def test_a_ticket_three_places_from_the_front_is_almost_its_turn(floor, client, settings):
    settings.QUEUE_NEAR_TURN_POSITION = 3
    settings.QUEUE_NEAR_TURN_SECONDS = 0
    for _ in range(2):
        take(floor)
    third = take(floor)
    fourth = take(floor)

    assert 'data-phase="near"' in client.get(f"/t/{third.token}/").content.decode()
    assert 'data-phase="waiting"' in client.get(f"/t/{fourth.token}/").content.decode()


def test_a_called_ticket_shows_its_counter(floor, client):
    ticket = take(floor)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)

    response = client.get(f"/t/{ticket.token}/")

    html = response.content.decode()
    assert 'data-phase="called"' in html
    assert '请到 <b data-counter>2</b> 号窗口' in html


def test_a_done_ticket_shows_the_rating_form_until_it_is_rated(floor, client):
    ticket = take(floor)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)
    services.ticket_start(counter_id=floor.counter2.pk, actor=floor.agent)
    services.ticket_finish(counter_id=floor.counter2.pk, actor=floor.agent)

    before = client.get(f"/t/{ticket.token}/").content.decode()
    TicketRating.objects.create(ticket=ticket, score=4)
    after = client.get(f"/t/{ticket.token}/").content.decode()

    assert 'data-phase="done"' in before
    assert "<form data-rating-form novalidate >" in before
    assert "<form data-rating-form novalidate hidden>" in after
    assert page_config(client.get(f"/t/{ticket.token}/"))["rated"] == 4


def test_the_ticket_page_is_not_cached(floor, client):
    ticket = take(floor)

    response = client.get(f"/t/{ticket.token}/")

    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("token", ["no-such-ticket-token-0123456789", "short", "bad%00token-0123456789abcdef",
                                   "%E4%BD%A0%E5%A5%BD-0123456789abcdef"])
def test_an_unknown_ticket_gets_a_friendly_404_page(db, client, token):
    response = client.get(f"/t/{token}/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "未找到这张排队号" in html
    assert 'href="/m/"' in html


# --- Choosing a hall: /m/ ------------------------------------------------------


def test_the_hall_picker_lists_only_active_halls_with_a_queue(db, client):
    hall = OutletFactory(name="金水路营业厅")
    OutletFactory(name="花园路专营店", kind=OutletKind.FRANCHISE_STORE, has_queue=False)
    OutletFactory(name="停业营业厅", is_active=False)

    response = client.get("/m/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "金水路营业厅" in html and f'href="/m/{hall.code}/"' in html
    assert "花园路专营店" not in html
    assert "停业营业厅" not in html


def test_the_hall_picker_groups_halls_by_district_with_their_waiting_counts(db, client):
    first = build_floor(district="金水区")
    second = build_floor(district="二七区")
    for _ in range(3):
        take(first)
    take(second, service="enquiry")

    response = client.get("/m/")

    groups = dict(response.context["groups"])
    assert set(groups) == {"金水区", "二七区"}
    assert [row["waiting"] for row in groups["金水区"]] == [3]
    assert [row["waiting"] for row in groups["二七区"]] == [1]


def test_the_hall_picker_marks_a_closed_hall(db, client):
    hall = OutletFactory(always_open=False)
    OpeningException.objects.create(outlet=hall, date=timezone.localdate(), is_closed=True)

    response = client.get("/m/")

    assert [row["is_open"] for rows in dict(response.context["groups"]).values() for row in rows] == [False]
    assert "休息中" in response.content.decode()


def test_the_hall_picker_asks_the_database_the_same_few_times_for_many_halls(db, client,
                                                                           django_assert_max_num_queries):
    for _ in range(30):
        build_floor()

    # halls, their hours, their exceptions, the waiting counts (plus the session's few), and
    # every hall's line played at once for its waits: routing, handle times, waiting tickets,
    # tickets at counters
    with django_assert_max_num_queries(12):
        response = client.get("/m/")

    assert response.context["hall_count"] == 30


def test_the_waiting_counts_refresh_as_json_by_hall_code(floor, client):
    take(floor)
    take(floor, service="enquiry")

    response = client.get("/m/waiting/")

    body = response.json()
    assert body["waiting"] == {floor.hall.code: 2}
    assert list(body["waits"]) == [floor.hall.code]


# --- A hall: /m/{code}/ -----------------------------------------------------------


def test_a_halls_page_lists_its_services_with_waiting_and_estimated_wait(floor, client):
    take(floor)
    take(floor)

    response = client.get(f"/m/{floor.hall.code}/")

    assert response.status_code == 200
    by_code = {s["code"]: s for s in response.context["services"]}
    assert set(by_code) == {"payment", "enquiry"}
    assert by_code["payment"]["waiting"] == 2
    assert by_code["payment"]["wait_minutes"] >= 1
    html = response.content.decode()
    assert 'value="payment"' in html and 'value="enquiry"' in html
    assert "缴费充值" in html and "综合咨询" in html
    assert f'data-issue-url="/api/v1/halls/{floor.hall.code}/tickets/"' in html


def test_a_halls_page_leaves_out_services_it_stopped_offering(floor, client):
    floor.hall.hall_services.filter(service=floor.enquiry).update(is_active=False)

    response = client.get(f"/m/{floor.hall.code}/")

    assert [s["code"] for s in response.context["services"]] == ["payment"]


def test_a_closed_halls_page_says_so_and_shows_its_opening_hours(db, client):
    hall = OutletFactory(always_open=False)
    offer(hall, ServiceFactory(code="payment", prefix="A"))
    add_counter(hall, 1, [])
    today = timezone.localdate()
    OpeningException.objects.create(outlet=hall, date=today, is_closed=True, note="盘点")
    for weekday in range(7):
        OpeningHours.objects.create(outlet=hall, weekday=weekday, opens=time(9), closes=time(17, 30))

    response = client.get(f"/m/{hall.code}/")

    assert response.context["is_open"] is False
    html = response.content.decode()
    assert "本厅当前不在营业时间内" in html and "data-closed hidden" not in html
    week = response.context["week"]
    assert week[0]["spans"] == [] and week[1]["spans"] == ["09:00-17:30"]
    assert "09:00-17:30" in html


def test_a_twenty_four_hour_hall_shows_all_day(floor, client):
    response = client.get(f"/m/{floor.hall.code}/")

    assert response.context["week"][0]["spans"] == ["全天 / 24 h"]
    assert response.context["is_open"] is True


@pytest.mark.parametrize("code", ["NO-SUCH-HALL", "bad code", "x%00y"])
def test_an_unknown_hall_gets_a_friendly_404_page(db, client, code):
    response = client.get(f"/m/{code}/")

    assert response.status_code == 404
    assert "未找到该营业厅" in response.content.decode()


def test_a_hall_without_a_queue_is_not_offered(db, client):
    store = OutletFactory(kind=OutletKind.FRANCHISE_STORE, has_queue=False)

    response = client.get(f"/m/{store.code}/")

    assert response.status_code == 404
