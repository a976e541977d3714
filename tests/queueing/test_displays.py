"""Display devices: heartbeats register them, staff see which are offline;
the display pages render server-side with nothing personal on them."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from queueing import services
from queueing.models import DisplayDevice
from tests.api_errors import assert_api_error
from tests.halls.factories import OutletFactory, UserFactory, member
from tests.queueing.factories import build_floor

DEVICE = "6f1c2a9e-3b7d-4c55-9a0e-0d2f6b8c1e77"


def heartbeat(client, hall, **body):
    body = {"device_id": DEVICE, "kind": "lobby", **body}
    return client.post(f"/api/v1/halls/{hall.code}/displays/heartbeat/", body, format="json")


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


# --- Heartbeats ----------------------------------------------------------------


def test_a_first_heartbeat_registers_the_device(floor, api):
    response = heartbeat(api, floor.hall, name="大厅主屏")

    assert response.status_code == 200
    assert response.json() == {**response.json(), "device_id": DEVICE, "online": True}
    device = DisplayDevice.objects.get()
    assert (device.outlet, device.kind, device.counter, device.name) == (floor.hall, "lobby", None, "大厅主屏")
    assert device.last_seen_at is not None


def test_a_first_heartbeat_gives_the_device_its_token(floor, api):
    response = heartbeat(api, floor.hall)

    token = response.json()["device_token"]
    assert len(token) >= 32
    assert token not in str(DisplayDevice.objects.values().get())  # only its hash is kept


def test_a_heartbeat_with_the_devices_token_is_accepted(floor, api):
    token = heartbeat(api, floor.hall).json()["device_token"]

    response = heartbeat(api, floor.hall, device_token=token)

    assert response.status_code == 200
    assert "device_token" not in response.json()


def test_a_heartbeat_without_the_devices_token_is_refused(floor, api):
    heartbeat(api, floor.hall)
    DisplayDevice.objects.update(last_seen_at=None)

    response = heartbeat(api, floor.hall)

    assert_api_error(response, 403, "display_token_invalid")
    assert DisplayDevice.objects.get().last_seen_at is None


def test_a_heartbeat_with_another_token_is_refused(floor, api):
    heartbeat(api, floor.hall)

    response = heartbeat(api, floor.hall, device_token="x" * 43)

    assert_api_error(response, 403, "display_token_invalid")


def test_a_device_registered_before_tokens_gets_one_on_its_next_heartbeat(floor, api):
    DisplayDevice.objects.create(outlet=floor.hall, device_id=DEVICE, kind="lobby")

    response = heartbeat(api, floor.hall)

    assert response.status_code == 200
    assert heartbeat(api, floor.hall, device_token=response.json()["device_token"]).status_code == 200


def test_a_counter_screen_registers_with_its_counter(floor, api):
    heartbeat(api, floor.hall, kind="counter", counter=2)

    assert DisplayDevice.objects.get().counter == floor.counter2


def test_a_second_heartbeat_updates_last_seen_without_a_second_device(floor):
    first = timezone.now() - timedelta(minutes=5)
    _, token = services.display_heartbeat(outlet=floor.hall, device_id=DEVICE, kind="lobby", now=first)

    services.display_heartbeat(outlet=floor.hall, device_id=DEVICE, kind="lobby", user_agent="Chromium/1",
                               device_token=token)

    device = DisplayDevice.objects.get()
    assert device.last_seen_at > first
    assert device.user_agent == "Chromium/1"


def test_a_heartbeat_over_http_records_the_user_agent(floor, api):
    api.post(f"/api/v1/halls/{floor.hall.code}/displays/heartbeat/", {"device_id": DEVICE, "kind": "lobby"},
             format="json", HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux) Chromium/131")

    assert DisplayDevice.objects.get().user_agent == "Mozilla/5.0 (X11; Linux) Chromium/131"


def test_a_heartbeat_without_a_name_keeps_the_name_given_in_the_admin(floor, api):
    token = heartbeat(api, floor.hall).json()["device_token"]
    DisplayDevice.objects.update(name="入口左侧屏")

    heartbeat(api, floor.hall, device_token=token)

    assert DisplayDevice.objects.get().name == "入口左侧屏"


def test_the_same_device_id_in_two_halls_is_two_devices(floor, api):
    other = build_floor()

    heartbeat(api, floor.hall)
    heartbeat(api, other.hall)

    assert DisplayDevice.objects.count() == 2


def test_heartbeats_need_no_sign_in_and_no_csrf_token(floor):
    client = APIClient(enforce_csrf_checks=True)

    response = heartbeat(client, floor.hall)

    assert response.status_code == 200


def test_heartbeats_are_rate_limited_per_client_address(floor, api, settings):
    settings.DISPLAY_HEARTBEAT_LIMIT = 2
    token = heartbeat(api, floor.hall).json()["device_token"]
    heartbeat(api, floor.hall, device_token=token)

    response = heartbeat(api, floor.hall, device_token=token)

    assert_api_error(response, 429, "rate_limited")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "projector"}, "kind"),
        ({"kind": "counter", "counter": 99}, "counter"),
        ({"kind": "counter"}, "counter"),
        ({"kind": "lobby", "counter": 1}, "counter"),
        ({"device_id": "x" * 65}, "device_id"),
        ({"device_id": "short"}, "device_id"),
        ({"device_id": "not a uuid; drop table"}, "device_id"),
        ({"counter": "two", "kind": "counter"}, "counter"),
        ({"name": "名" * 61}, "name"),
    ],
)
def test_bad_heartbeats_are_refused_with_the_field_named(floor, api, body, field):
    response = heartbeat(api, floor.hall, **body)

    error = assert_api_error(response, 400, "validation_error")
    assert field in error["fields"]
    assert not DisplayDevice.objects.exists()


def test_a_heartbeat_for_an_unknown_hall_is_not_found(db, api):
    response = api.post("/api/v1/halls/NO-SUCH/displays/heartbeat/", {"device_id": DEVICE, "kind": "lobby"},
                        format="json")

    assert_api_error(response, 404, "not_found")


def test_a_heartbeat_for_a_hall_without_a_queue_is_not_found(db, api):
    store = OutletFactory(has_queue=False)

    response = heartbeat(api, store)

    assert_api_error(response, 404, "not_found")


# --- Who is online ----------------------------------------------------------------


def test_a_display_is_online_within_the_threshold_and_offline_after_it(floor, settings):
    settings.DISPLAY_OFFLINE_AFTER_SECONDS = 90
    seen = timezone.now()
    device, _ = services.display_heartbeat(outlet=floor.hall, device_id=DEVICE, kind="lobby", now=seen)

    assert services.display_is_online(device, now=seen + timedelta(seconds=90))
    assert not services.display_is_online(device, now=seen + timedelta(seconds=91))


def test_staff_list_the_halls_displays_with_online_and_offline(floor, settings):
    settings.DISPLAY_OFFLINE_AFTER_SECONDS = 90
    now = timezone.now()
    services.display_heartbeat(outlet=floor.hall, device_id="lobby-device-1", kind="lobby", name="大厅主屏", now=now)
    services.display_heartbeat(outlet=floor.hall, device_id="counter-device-3", kind="counter", counter_number=3,
                               now=now - timedelta(seconds=91))

    response = client_for(floor.agent).get(f"/api/v1/halls/{floor.hall.code}/displays/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    rows = {row["device_id"]: row for row in body["results"]}
    assert set(rows["lobby-device-1"]) == {"device_id", "kind", "counter", "name", "last_seen_at", "online"}
    assert (rows["lobby-device-1"]["kind"], rows["lobby-device-1"]["counter"]) == ("lobby", None)
    assert rows["lobby-device-1"]["online"] is True
    assert (rows["counter-device-3"]["kind"], rows["counter-device-3"]["counter"]) == ("counter", 3)
    assert rows["counter-device-3"]["online"] is False


def test_the_offline_threshold_is_a_setting(floor, settings):
    services.display_heartbeat(outlet=floor.hall, device_id=DEVICE, kind="lobby",
                               now=timezone.now() - timedelta(seconds=200))
    settings.DISPLAY_OFFLINE_AFTER_SECONDS = 300

    response = client_for(floor.agent).get(f"/api/v1/halls/{floor.hall.code}/displays/")

    assert response.json()["results"][0]["online"] is True


def test_staff_of_another_hall_may_not_list_its_displays(floor):
    other = build_floor()

    response = client_for(other.agent).get(f"/api/v1/halls/{floor.hall.code}/displays/")

    assert_api_error(response, 403, "permission_denied")


def test_listing_displays_needs_a_sign_in(floor, api):
    response = api.get(f"/api/v1/halls/{floor.hall.code}/displays/")

    assert_api_error(response, 401, "not_authenticated")


def test_listing_the_displays_of_an_unknown_hall_is_not_found(floor):
    response = client_for(floor.agent).get("/api/v1/halls/NO-SUCH/displays/")

    assert_api_error(response, 404, "not_found")


# --- Admin ------------------------------------------------------------------------


def test_the_admin_shows_a_manager_only_their_halls_displays_with_online_state(floor, client):
    manager = UserFactory(username="manager-displays", is_staff=True)
    member(manager, floor.hall, role="manager")
    manager.user_permissions.add(*_display_permissions())
    services.display_heartbeat(outlet=floor.hall, device_id="ours-lobby-1", kind="lobby", name="本厅大屏")
    other = build_floor()
    services.display_heartbeat(outlet=other.hall, device_id="theirs-lobby-1", kind="lobby", name="别厅大屏")
    client.force_login(manager)

    response = client.get("/admin/queueing/displaydevice/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "本厅大屏" in page
    assert "别厅大屏" not in page
    assert "icon-yes" in page  # the online column


def test_the_admin_filters_offline_displays(floor, admin_client):
    services.display_heartbeat(outlet=floor.hall, device_id="fresh-lobby-1", kind="lobby", name="在线屏")
    services.display_heartbeat(outlet=floor.hall, device_id="quiet-lobby-1", kind="lobby", name="离线屏",
                               now=timezone.now() - timedelta(hours=1))

    response = admin_client.get("/admin/queueing/displaydevice/?online=no")

    page = response.content.decode()
    assert "离线屏" in page
    assert "在线屏" not in page


def _display_permissions():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(codename__in=["view_displaydevice", "change_displaydevice"])


# --- Pages ------------------------------------------------------------------------


def test_the_lobby_display_renders_the_snapshot_without_personal_data(floor, client):
    taken, _ = services.ticket_issue(outlet=floor.hall, service_code="payment", channel="mobile",
                                     phone="13812345678")
    services.ticket_check_in_at_hall(outlet=floor.hall, token=taken.token)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    ticket = services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)
    services.ticket_issue(outlet=floor.hall, service_code="enquiry", channel="kiosk")

    response = client.get(f"/display/{floor.hall.code}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert floor.hall.name in page
    assert ticket.number in page
    assert "缴费充值" in page and "Enquiries" in page
    assert "1381234" not in page and "5678" not in page
    assert floor.agent.username not in page
    assert f"/ws/halls/{floor.hall.code}/display/" in page


def test_the_counter_screen_shows_its_counters_number(floor, client):
    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    ticket = services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)

    response = client.get(f"/display/{floor.hall.code}/counter/2/")

    assert response.status_code == 200
    assert ticket.number in response.content.decode()


def test_a_paused_counters_screen_says_paused(floor, client):
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    services.counter_pause(counter_id=floor.counter2.pk, actor=floor.agent)

    response = client.get(f"/display/{floor.hall.code}/counter/2/")

    assert "暂停服务" in response.content.decode()


@pytest.mark.parametrize("path", ["/display/NO-SUCH/", "/display/NO-SUCH/counter/1/"])
def test_display_pages_of_an_unknown_hall_are_not_found(db, client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert "未找到" in response.content.decode()


def test_display_pages_of_a_hall_without_a_queue_are_not_found(db, client):
    store = OutletFactory(has_queue=False)

    response = client.get(f"/display/{store.code}/")

    assert response.status_code == 404


def test_the_screen_of_a_counter_the_hall_lacks_is_not_found(floor, client):
    response = client.get(f"/display/{floor.hall.code}/counter/42/")

    assert response.status_code == 404


# --- Voice clips ------------------------------------------------------------------


def test_counter_numbers_are_said_the_chinese_way():
    from queueing.voice import counter_pinyin

    assert [counter_pinyin(n) for n in (5, 10, 12, 20, 23)] == [
        "wu3", "shi2", "shi2 er4", "er4 shi2", "er4 shi2 san1"
    ]


def test_the_voice_clips_cover_every_piece_of_an_announcement():
    from queueing.voice import voice_clips

    names = {clip.name for clip in voice_clips()}

    assert {"qing", "hao", "dao", "chuangkou"} <= names
    assert {f"digit-{d}" for d in range(10)} <= names
    assert {f"letter-{chr(c)}" for c in range(ord("A"), ord("Z") + 1)} <= names
    assert {f"counter-{n}" for n in range(1, 31)} <= names


def test_render_voice_explains_how_to_install_espeak_ng_when_it_is_missing(monkeypatch, tmp_path):
    from django.core.management import CommandError, call_command

    monkeypatch.setattr("queueing.voice.shutil.which", lambda name: None)

    with pytest.raises(CommandError, match="apt-get install espeak-ng"):
        call_command("render_voice", target=tmp_path)


def test_the_committed_voice_clips_are_all_there_and_small():
    from django.conf import settings

    from queueing.voice import voice_clips

    folder = settings.BASE_DIR / "static" / "queueing" / "display" / "voice"
    sizes = [(folder / f"{clip.name}.wav").stat().st_size for clip in voice_clips()]

    assert sum(sizes) < 3 * 1024 * 1024
