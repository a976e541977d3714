"""The SMS hall: texts to 10086 through POST /api/v1/sms/inbound/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kiosk.carrier.models import PackPurchase, Subscriber, Subscription
from kiosk.carrier.rules import KB_PER_MB
from kiosk.models import SelfServiceAction, SmsDialog
from kiosk.services import sms_inbound_handle, usage_record
from sms.models import SmsMessage
from tests.api_errors import assert_api_error

PHONE = "13800138000"
GATEWAY_TOKEN = "gateway-secret"


@pytest.fixture(autouse=True)
def _gateway(settings):
    settings.SMS_INBOUND_TOKEN = GATEWAY_TOKEN


def text(api, body, token=GATEWAY_TOKEN, sender=PHONE):
    headers = {"X-Gateway-Token": token} if token is not None else None
    return api.post("/api/v1/sms/inbound/", {"from": sender, "to": "10086", "text": body}, format="json",
                    headers=headers)


def reply(api, body, **kwargs) -> str:
    response = text(api, body, **kwargs)
    assert response.status_code == 200, response.content
    return response.json()["reply"]


def active_vas(subscriber) -> list[str]:
    return sorted(Subscription.objects.filter(subscriber=subscriber, cancelled_at__isnull=True)
                  .values_list("vas__code", flat=True))


def test_a_wrong_gateway_token_is_refused(api, subscriber):
    assert_api_error(text(api, "10086", token="nope"), 403, "permission_denied")


def test_without_a_configured_token_every_text_is_refused(api, subscriber, settings):
    settings.SMS_INBOUND_TOKEN = ""
    settings.DEBUG = False

    assert_api_error(text(api, "10086", token=""), 403, "permission_denied")


def test_without_a_configured_token_debugging_accepts_texts(api, subscriber, settings):
    settings.SMS_INBOUND_TOKEN = ""
    settings.DEBUG = True

    assert text(api, "10086", token=None).status_code == 200


def test_the_reply_is_texted_back_through_the_outbox(api, subscriber):
    answer = reply(api, "10086")

    message = SmsMessage.objects.get(to=PHONE, purpose="sms_hall")
    assert message.text == answer


def test_10086_answers_the_menu_and_the_codes(api, subscriber):
    answer = reply(api, "10086")

    for code in ("0000", "CXLL", "流量", "G10", "1 话费余额"):
        assert code in answer


def test_a_number_after_the_menu_picks_its_item(api, subscriber):
    reply(api, "10086")

    assert "话费余额为128.80元" in reply(api, "1")


@pytest.mark.smoke
def test_0000_lists_the_services_numbered_and_a_number_cancels_one(api, subscriber):
    listing = reply(api, "0000")
    assert "1.彩铃 5.00元/月" in listing and "2.QQ蓝钻 10.00元/月" in listing

    answer = reply(api, "2")

    assert "已成功退订QQ蓝钻" in answer
    assert active_vas(subscriber) == ["CL"]


def test_a_number_out_of_the_list_cancels_nothing(api, subscriber):
    reply(api, "0000")

    assert "1-2" in reply(api, "7")
    assert active_vas(subscriber) == ["CL", "QQLZ"]


def test_the_0000_menu_is_forgotten_after_five_minutes(subscriber):
    start = timezone.now()
    sms_inbound_handle(sender=PHONE, text="0000", now=start)

    sms_inbound_handle(sender=PHONE, text="1", now=start + timedelta(minutes=5, seconds=1))

    assert active_vas(subscriber) == ["CL", "QQLZ"]


def test_0000_without_services_says_so(api, subscriber):
    Subscription.objects.all().delete()

    assert "未订购任何增值业务" in reply(api, "0000")


def test_cxll_and_liuliang_answer_this_months_data(api, subscriber):
    usage_record(msisdn=PHONE, data_kb=180 * KB_PER_MB, wlan_minutes=200)

    for command in ("CXLL", "流量", "cxll"):
        answer = reply(api, command)
        assert "已用180.0M" in answer and "剩余120.0M（40%）" in answer and "WLAN剩余400分钟" in answer


def test_a_pack_code_asks_for_confirmation_and_y_buys_it(api, subscriber):
    question = reply(api, "G10")
    assert "回复Y" in question and PackPurchase.objects.count() == 0

    answer = reply(api, "Y")

    assert "成功订购G10" in answer
    assert PackPurchase.objects.get().code == "G10"
    assert Subscriber.objects.get(pk=subscriber.pk).balance_fen == 12_880 - 1_000


def test_shi_confirms_like_y(api, subscriber):
    reply(api, "G5")

    reply(api, "是")

    assert PackPurchase.objects.get().code == "G5"


def test_a_confirmation_after_five_minutes_buys_nothing(subscriber):
    start = timezone.now()
    sms_inbound_handle(sender=PHONE, text="G10", now=start)

    answer = sms_inbound_handle(sender=PHONE, text="Y", now=start + timedelta(minutes=5, seconds=1))

    assert "超时" in answer
    assert PackPurchase.objects.count() == 0


def test_n_drops_the_pack(api, subscriber):
    reply(api, "G10")

    assert "已取消" in reply(api, "N")
    assert "没有待确认" in reply(api, "Y")
    assert PackPurchase.objects.count() == 0


def test_full_width_codes_are_understood(api, subscriber):
    assert "回复Y" in reply(api, "Ｇ２０")

    assert SmsDialog.objects.get().payload == {"code": "G20"}


def test_a_pack_without_balance_is_not_bought(api, subscriber):
    Subscriber.objects.update(balance_fen=100)
    reply(api, "G50")

    assert "余额不足" in reply(api, "Y")
    assert PackPurchase.objects.count() == 0


def test_an_unknown_text_points_to_the_menu(api, subscriber):
    assert "发送10086获取菜单" in reply(api, "hello")


def test_a_number_that_is_not_a_subscriber_is_told_so(api, db):
    assert "不是本网有效用户" in reply(api, "10086", sender="15912345678")


def test_a_sender_that_is_not_a_mobile_number_is_refused(api, db):
    assert_api_error(text(api, "10086", sender="10086"), 400, "validation_error")


def test_sms_hall_actions_are_logged_on_the_sms_channel(api, subscriber):
    reply(api, "0000")
    reply(api, "1")

    cancel = SelfServiceAction.objects.get(action="vas_cancel")
    assert (cancel.channel, cancel.phone, cancel.result, cancel.detail["code"]) == ("sms", PHONE, "ok", "CL")
