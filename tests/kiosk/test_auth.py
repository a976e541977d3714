"""Customer sign-in by texted code: POST /api/v1/auth/otp/, /auth/otp/verify/, the dev outbox."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from config.api import RateLimited
from kiosk.errors import OtpExpired
from kiosk.models import CustomerSession, OtpCode, SelfServiceAction
from kiosk.services import Origin, otp_request, otp_verify
from sms.models import SmsMessage
from tests.api_errors import assert_api_error

from .conftest import customer_client, last_code

PHONE = "13800138000"
WEB = Origin(client="10.0.0.9")


def ask(client, phone=PHONE):
    return client.post("/api/v1/auth/otp/", {"phone": phone}, format="json")


def verify(client, code, phone=PHONE):
    return client.post("/api/v1/auth/otp/verify/", {"phone": phone, "code": code}, format="json")


@pytest.mark.smoke
def test_a_customer_signs_in_with_the_texted_code_and_sees_their_account(api, subscriber):
    assert ask(api).status_code == 202

    response = verify(api, last_code(PHONE))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    api.credentials(HTTP_AUTHORIZATION=f"Customer {body['token']}")
    assert api.get("/api/v1/me/").json()["phone"] == PHONE


def test_the_code_is_six_digits_texted_through_the_outbox(api, db):
    ask(api)

    message = SmsMessage.objects.get(to=PHONE)
    assert message.purpose == "otp"
    assert len(last_code(PHONE)) == 6
    assert "5分钟" in message.text


def test_only_a_hash_of_the_code_is_stored(api, db):
    ask(api)

    otp = OtpCode.objects.get()
    assert last_code(PHONE) not in otp.code_hash
    assert len(otp.code_hash) == 64


def test_any_mainland_mobile_may_ask_for_a_code_without_an_account(api, db):
    response = ask(api, "15912345678")

    assert response.status_code == 202
    assert response.json()["phone_masked"] == "159****5678"


@pytest.mark.parametrize("phone", ["12345678901", "1380013800", "abc", "１３８００１３８０００", ""])
def test_a_phone_that_is_not_a_mainland_mobile_is_refused(api, db, phone):
    assert_api_error(ask(api, phone), 400, "validation_error")


def test_asking_again_within_a_minute_is_refused_with_429(api, db):
    ask(api)

    assert_api_error(ask(api), 429, "otp_resend_too_soon")
    assert OtpCode.objects.count() == 1


def test_a_new_code_may_be_asked_for_after_a_minute(db):
    start = timezone.now()
    otp_request(phone=PHONE, origin=WEB, now=start)

    otp_request(phone=PHONE, origin=WEB, now=start + timedelta(seconds=61))

    assert OtpCode.objects.count() == 2


def test_a_new_code_replaces_the_old_one(db):
    start = timezone.now()
    first = otp_request(phone=PHONE, origin=WEB, now=start)

    otp_request(phone=PHONE, origin=WEB, now=start + timedelta(minutes=2))

    first.refresh_from_db()
    assert first.used


def test_a_wrong_code_is_otp_invalid(api, db):
    ask(api)
    wrong = "000000" if last_code(PHONE) != "000000" else "111111"

    assert_api_error(verify(api, wrong), 400, "otp_invalid")


def test_after_five_wrong_tries_even_the_right_code_is_refused(api, db):
    ask(api)
    code = last_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert_api_error(verify(api, wrong), 400, "otp_invalid")

    assert_api_error(verify(api, code), 400, "otp_expired")
    assert CustomerSession.objects.count() == 0


def test_a_code_expires_after_five_minutes(db):
    start = timezone.now()
    otp_request(phone=PHONE, origin=WEB, now=start)

    with pytest.raises(OtpExpired):
        otp_verify(phone=PHONE, code=last_code(PHONE), origin=WEB, now=start + timedelta(minutes=5, seconds=1))


def test_a_code_signs_in_once(api, db):
    ask(api)
    code = last_code(PHONE)
    assert verify(api, code).status_code == 200

    assert_api_error(verify(api, code), 400, "otp_expired")


def test_verifying_without_asking_is_otp_invalid(api, db):
    assert_api_error(verify(api, "123456"), 400, "otp_invalid")


def test_codes_are_limited_per_phone(db, settings, fixed_clock):
    settings.OTP_PHONE_LIMIT = 2
    start = timezone.now()
    otp_request(phone=PHONE, origin=WEB, now=start)
    otp_request(phone=PHONE, origin=WEB, now=start + timedelta(minutes=2))

    with pytest.raises(RateLimited):
        otp_request(phone=PHONE, origin=WEB, now=start + timedelta(minutes=4))


def test_codes_are_limited_per_kiosk(kiosk, settings, fixed_clock):
    settings.OTP_KIOSK_LIMIT = 2
    at_kiosk = Origin.for_kiosk(kiosk.pk)
    otp_request(phone="13900000001", origin=at_kiosk)
    otp_request(phone="13900000002", origin=at_kiosk)

    with pytest.raises(RateLimited):
        otp_request(phone="13900000003", origin=at_kiosk)


def test_a_session_opened_at_a_kiosk_records_the_kiosk(kiosk_api, kiosk, subscriber):
    ask(kiosk_api)

    verify(kiosk_api, last_code(PHONE))

    assert CustomerSession.objects.get().kiosk == kiosk
    action = SelfServiceAction.objects.get(action="otp_verify")
    assert (action.kiosk, action.phone, action.result) == (kiosk, PHONE, "ok")


def test_a_refused_try_is_logged_with_its_code(api, db):
    ask(api)
    verify(api, "000000" if last_code(PHONE) != "000000" else "111111")

    action = SelfServiceAction.objects.get(action="otp_verify")
    assert (action.result, action.error_code) == ("refused", "otp_invalid")


def test_the_session_token_is_stored_hashed(api, subscriber):
    ask(api)

    token = verify(api, last_code(PHONE)).json()["token"]

    assert not CustomerSession.objects.filter(token_hash=token).exists()


def test_signing_out_ends_the_session(customer_api):
    assert customer_api.post("/api/v1/auth/logout/").status_code == 204

    assert_api_error(customer_api.get("/api/v1/me/"), 401, "authentication_failed")


def test_an_expired_session_is_refused(subscriber):
    client = customer_client(subscriber.msisdn)
    CustomerSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert_api_error(client.get("/api/v1/me/"), 401, "authentication_failed")


def test_personal_endpoints_need_a_customer(api, db):
    response = api.get("/api/v1/me/")

    assert_api_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Customer")


def test_a_kiosk_alone_is_not_a_customer(kiosk_api):
    assert_api_error(kiosk_api.get("/api/v1/me/"), 403, "permission_denied")


def test_the_dev_outbox_shows_texts_newest_first_when_debugging(api, db, settings):
    settings.DEBUG = True
    start = timezone.now()
    otp_request(phone=PHONE, origin=WEB, now=start)
    otp_request(phone=PHONE, origin=WEB, now=start + timedelta(minutes=2))
    otp_request(phone="13900000009", origin=WEB, now=start)

    response = api.get("/api/v1/dev/sms-outbox/", {"phone": PHONE})

    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 2
    assert set(results[0]) == {"to", "text", "sent_at"}
    assert results[0]["to"] == PHONE
    assert last_code(PHONE) in results[0]["text"]
    assert results[0]["sent_at"]


def test_the_dev_outbox_is_not_found_without_debug(api, db, settings):
    settings.DEBUG = False

    assert_api_error(api.get("/api/v1/dev/sms-outbox/", {"phone": PHONE}), 404, "not_found")


def test_an_unknown_customer_token_is_refused(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Customer nope")

    assert_api_error(client.get("/api/v1/me/"), 401, "authentication_failed")


def test_a_flood_of_codes_from_one_address_does_not_lock_the_owner_out(db, settings, fixed_clock):
    settings.OTP_PHONE_LIMIT = 2
    attacker = Origin(client="203.0.113.66")
    start = timezone.now()
    otp_request(phone=PHONE, origin=attacker, now=start)
    otp_request(phone=PHONE, origin=attacker, now=start + timedelta(minutes=2))
    with pytest.raises(RateLimited):
        otp_request(phone=PHONE, origin=attacker, now=start + timedelta(minutes=4))

    otp = otp_request(phone=PHONE, origin=Origin(client="198.51.100.7"), now=start + timedelta(minutes=6))

    assert otp.phone == PHONE


def test_a_flood_of_codes_from_one_kiosk_does_not_lock_the_owner_out_elsewhere(kiosk, settings, fixed_clock):
    settings.OTP_PHONE_LIMIT = 1
    start = timezone.now()
    otp_request(phone=PHONE, origin=Origin.for_kiosk(kiosk.pk), now=start)
    with pytest.raises(RateLimited):
        otp_request(phone=PHONE, origin=Origin.for_kiosk(kiosk.pk), now=start + timedelta(minutes=2))

    assert otp_request(phone=PHONE, origin=WEB, now=start + timedelta(minutes=4)).phone == PHONE
