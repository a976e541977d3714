"""Value-added services: the "0000" list, cancelling, and the second confirmation (二次确认)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kiosk.carrier.models import Subscription
from kiosk.errors import ConfirmationExpired
from kiosk.models import VasConfirmation
from kiosk.services import Origin, vas_confirm, vas_request
from tests.api_errors import assert_api_error

from .conftest import customer_client
from .factories import SubscriberFactory

WEB = Origin()


def codes(client) -> list[str]:
    return [s["code"] for s in client.get("/api/v1/me/vas/").json()]


def active(subscriber) -> set[str]:
    return set(Subscription.objects.filter(subscriber=subscriber, cancelled_at__isnull=True)
               .values_list("vas__code", flat=True))


def test_the_0000_list_shows_every_service_with_its_monthly_fee(customer_api, subscriber):
    services = customer_api.get("/api/v1/me/vas/").json()

    assert [(s["code"], s["name"], s["monthly_fee_fen"]) for s in services] == [
        ("CL", "彩铃", 500), ("QQLZ", "QQ蓝钻", 1_000)]
    assert all(s["since"] for s in services)


def test_a_cancelled_service_is_gone_from_the_list_at_once(customer_api, subscriber):
    response = customer_api.post("/api/v1/me/vas/QQLZ/cancel/")

    assert response.status_code == 200
    assert [s["code"] for s in response.json()] == ["CL"]
    assert codes(customer_api) == ["CL"]


def test_cancelling_a_service_one_does_not_have_is_not_found(customer_api, subscriber):
    assert_api_error(customer_api.post("/api/v1/me/vas/SJB/cancel/"), 404, "vas_not_subscribed")


def test_asking_for_a_service_subscribes_nothing_yet(customer_api, subscriber):
    response = customer_api.post("/api/v1/me/vas/", {"code": "SJB"}, format="json")

    assert response.status_code == 202
    assert set(response.json()) >= {"confirmation_id", "expires_at"}
    assert "SJB" not in codes(customer_api)


@pytest.mark.smoke
def test_the_second_confirmation_subscribes(customer_api, subscriber):
    confirmation = customer_api.post("/api/v1/me/vas/", {"code": "SJB"}, format="json").json()

    response = customer_api.post(f"/api/v1/me/vas/confirmations/{confirmation['confirmation_id']}/")

    assert response.status_code == 201
    assert response.json()["code"] == "SJB"
    assert "SJB" in codes(customer_api)


def test_a_confirmation_after_five_minutes_is_gone_and_subscribes_nothing(subscriber):
    start = timezone.now()
    confirmation = vas_request(phone=subscriber.msisdn, code="SJB", origin=WEB, now=start)

    with pytest.raises(ConfirmationExpired):
        vas_confirm(phone=subscriber.msisdn, confirmation_id=confirmation.pk, origin=WEB,
                    now=start + timedelta(minutes=5, seconds=1))

    assert "SJB" not in active(subscriber)


def test_an_expired_confirmation_answers_410(customer_api, subscriber):
    confirmation_id = customer_api.post("/api/v1/me/vas/", {"code": "SJB"}, format="json").json()["confirmation_id"]
    VasConfirmation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = customer_api.post(f"/api/v1/me/vas/confirmations/{confirmation_id}/")

    assert_api_error(response, 410, "confirmation_expired")


def test_confirming_twice_subscribes_once(customer_api, subscriber):
    confirmation_id = customer_api.post("/api/v1/me/vas/", {"code": "SJB"}, format="json").json()["confirmation_id"]
    customer_api.post(f"/api/v1/me/vas/confirmations/{confirmation_id}/")

    again = customer_api.post(f"/api/v1/me/vas/confirmations/{confirmation_id}/")

    assert again.status_code == 200
    assert Subscription.objects.filter(vas__code="SJB").count() == 1


def test_another_customers_confirmation_is_not_found(customer_api, subscriber):
    confirmation_id = customer_api.post("/api/v1/me/vas/", {"code": "SJB"}, format="json").json()["confirmation_id"]
    other = customer_client(SubscriberFactory().msisdn)

    assert_api_error(other.post(f"/api/v1/me/vas/confirmations/{confirmation_id}/"), 404, "not_found")
    assert "SJB" not in active(subscriber)


def test_an_unknown_confirmation_is_not_found(customer_api):
    assert_api_error(customer_api.post("/api/v1/me/vas/confirmations/not-a-uuid/"), 404, "not_found")


def test_asking_for_an_unknown_service_is_refused(customer_api):
    assert_api_error(customer_api.post("/api/v1/me/vas/", {"code": "NOPE"}, format="json"), 400, "unknown_vas")


def test_asking_for_a_service_one_has_is_refused(customer_api):
    assert_api_error(customer_api.post("/api/v1/me/vas/", {"code": "CL"}, format="json"), 409,
                     "vas_already_subscribed")


def test_the_catalogue_lists_what_can_be_ordered(api, subscriber):
    catalogue = api.get("/api/v1/vas/").json()

    assert {s["code"] for s in catalogue} == {"CL", "QQLZ", "SJB"}
