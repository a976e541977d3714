"""The customer's 1-5 rating of a finished service: `ticket_rate` and
`POST /api/v1/tickets/{token}/rating/`."""

import json
import threading

import pytest
from django.db import connection

from config.api import InvalidInput, NotFound
from queueing import services
from queueing.errors import AlreadyRated, TicketNotDone
from queueing.models import TicketRating
from tests.api_errors import assert_api_error


def served(floor, *, finish=True):
    """A ticket taken, called at counter 1, started and (by default) finished."""
    ticket = services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")[0]
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)
    services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)
    services.ticket_start(counter_id=floor.counter1.pk, actor=floor.agent)
    if finish:
        services.ticket_finish(counter_id=floor.counter1.pk, actor=floor.agent)
    ticket.refresh_from_db()
    return ticket


def rate(api, ticket, **body):
    return api.post(f"/api/v1/tickets/{ticket.token}/rating/", body, format="json")


# --- The service -------------------------------------------------------------


def test_a_done_ticket_can_be_rated_with_a_comment(floor):
    ticket = served(floor)

    rating = services.ticket_rate(token=ticket.token, score=5, comment="  办理很快，谢谢  ")

    stored = TicketRating.objects.get(ticket=ticket)
    assert (stored.pk, stored.score, stored.comment) == (rating.pk, 5, "办理很快，谢谢")


def test_a_ticket_still_being_served_cannot_be_rated(floor):
    ticket = served(floor, finish=False)

    with pytest.raises(TicketNotDone):
        services.ticket_rate(token=ticket.token, score=4)

    assert not TicketRating.objects.exists()


def test_a_waiting_ticket_cannot_be_rated(floor):
    ticket = services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")[0]

    with pytest.raises(TicketNotDone):
        services.ticket_rate(token=ticket.token, score=4)


def test_a_ticket_is_rated_only_once_and_the_first_rating_stays(floor):
    ticket = served(floor)
    services.ticket_rate(token=ticket.token, score=2, comment="first")

    with pytest.raises(AlreadyRated):
        services.ticket_rate(token=ticket.token, score=5, comment="second")

    assert list(TicketRating.objects.values_list("score", "comment")) == [(2, "first")]


@pytest.mark.parametrize("score", [0, 6, -1, 3.5, "4", True, None])
def test_a_score_outside_one_to_five_is_refused(floor, score):
    ticket = served(floor)

    with pytest.raises(InvalidInput) as raised:
        services.ticket_rate(token=ticket.token, score=score)

    assert raised.value.status == 400 and "score" in raised.value.fields
    assert not TicketRating.objects.exists()


def test_a_comment_over_500_characters_is_refused(floor):
    ticket = served(floor)

    with pytest.raises(InvalidInput) as raised:
        services.ticket_rate(token=ticket.token, score=3, comment="很" * 501)

    assert "comment" in raised.value.fields


def test_rating_an_unknown_ticket_is_not_found(db):
    with pytest.raises(NotFound):
        services.ticket_rate(token="no-such-ticket-token-at-all", score=3)


@pytest.mark.django_db(transaction=True)
def test_two_ratings_sent_at_once_store_one_and_refuse_the_other(on_postgres):
    from tests.queueing.factories import build_floor

    ticket = served(build_floor())
    barrier = threading.Barrier(2)
    outcomes = []

    def send(score):
        try:
            barrier.wait()
            services.ticket_rate(token=ticket.token, score=score)
            outcomes.append("rated")
        except AlreadyRated:
            outcomes.append("already_rated")
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(s,), daemon=True) for s in (1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)

    assert sorted(outcomes) == ["already_rated", "rated"]
    assert TicketRating.objects.filter(ticket=ticket).count() == 1


# --- The API -------------------------------------------------------------------


def test_rating_a_done_ticket_answers_201_with_the_rating(floor, api):
    ticket = served(floor)

    response = rate(api, ticket, score=4, comment="不错")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"score", "comment", "created_at"}
    assert (body["score"], body["comment"]) == (4, "不错")
    assert body["created_at"].endswith("+08:00")


def test_the_comment_is_optional(floor, api):
    ticket = served(floor)

    response = rate(api, ticket, score=3)

    assert response.status_code == 201
    assert response.json()["comment"] == ""


def test_rating_before_the_service_is_done_answers_409_ticket_not_done(floor, api):
    ticket = served(floor, finish=False)

    response = rate(api, ticket, score=5)

    assert_api_error(response, 409, "ticket_not_done")


def test_rating_twice_answers_409_already_rated(floor, api):
    ticket = served(floor)
    rate(api, ticket, score=5)

    response = rate(api, ticket, score=1)

    assert_api_error(response, 409, "already_rated")
    assert TicketRating.objects.get(ticket=ticket).score == 5


@pytest.mark.parametrize("score", [0, 6, "five", None, 2.5, [], {}])
def test_a_bad_score_answers_400_on_the_score_field(floor, api, score):
    ticket = served(floor)

    response = api.post(f"/api/v1/tickets/{ticket.token}/rating/", json.dumps({"score": score}),
                        content_type="application/json")

    error = assert_api_error(response, 400, "validation_error")
    assert "score" in error["fields"]
    assert not TicketRating.objects.exists()


def test_a_missing_score_answers_400(floor, api):
    ticket = served(floor)

    response = rate(api, ticket, comment="no score")

    error = assert_api_error(response, 400, "validation_error")
    assert "score" in error["fields"]


@pytest.mark.parametrize("comment", ["x" * 501, "nul\x00", "\ud800"], ids=["too-long", "nul", "lone-surrogate"])
def test_a_comment_that_cannot_be_stored_answers_400_on_the_comment_field(floor, api, comment):
    ticket = served(floor)

    response = api.post(f"/api/v1/tickets/{ticket.token}/rating/", json.dumps({"score": 3, "comment": comment}),
                        content_type="application/json")

    error = assert_api_error(response, 400, "validation_error")
    assert "comment" in error["fields"]


def test_rating_an_unknown_token_answers_404(db, api):
    response = api.post("/api/v1/tickets/unknown-token-0123456789/rating/", {"score": 5}, format="json")

    assert_api_error(response, 404, "not_found")


def test_a_signed_in_staff_browser_needs_no_csrf_token_to_rate(floor):
    """The ticket page posts without a CSRF token; the rating API takes no session."""
    from django.test import Client

    ticket = served(floor)
    client = Client(enforce_csrf_checks=True)
    client.force_login(floor.agent)

    response = client.post(f"/api/v1/tickets/{ticket.token}/rating/", {"score": 5}, content_type="application/json")

    assert response.status_code == 201


# --- The admin -------------------------------------------------------------------


def test_the_admin_shows_a_hall_manager_only_their_own_halls_ratings_read_only(client, db):
    from django.contrib.auth.models import Permission

    from halls.models import StaffRole
    from tests.halls.factories import UserFactory, member
    from tests.queueing.factories import build_floor

    own, other = build_floor(code="OWN-1"), build_floor(code="OTHER-1")
    services.ticket_rate(token=served(own).token, score=5, comment="own hall comment")
    services.ticket_rate(token=served(other).token, score=1, comment="other hall comment")
    manager = UserFactory(username="mgr", is_staff=True)
    manager.user_permissions.set(Permission.objects.filter(content_type__app_label="queueing",
                                                           codename="view_ticketrating"))
    member(manager, own.hall, StaffRole.MANAGER)
    client.force_login(manager)

    page = client.get("/admin/queueing/ticketrating/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "own hall comment" in html and "other hall comment" not in html
    rating = TicketRating.objects.get(score=5)
    assert client.get(f"/admin/queueing/ticketrating/{rating.pk}/change/").status_code == 200
    assert client.post(f"/admin/queueing/ticketrating/{rating.pk}/change/", {"score": 1}).status_code == 403
    assert client.get("/admin/queueing/ticketrating/add/").status_code == 403
