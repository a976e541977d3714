"""The lobby wall display and the counter screens in Chromium, live over a real
Daphne: calls appear and are announced (how fast: benchmarks/display_fanout.py), announcements queue,
a server restart heals by itself, counter screens follow their counter."""

import time

from playwright.sync_api import expect

from halls.demo_data import SERVICES
from queueing import events, services
from queueing.models import DisplayDevice
from tests.browser.conftest import act
from tests.halls.factories import (
    OutletFactory,
    ServiceFactory,
    UserFactory,
    add_counter,
    member,
    offer,
)
from tests.queueing.factories import build_floor

CONNECTED = "window.qmsDisplay && window.qmsDisplay.connected"






def open_display(new_page, floor, path="", width=1920, height=1080):
    page = new_page(width, height)
    page.goto(f"/display/{floor.hall.code}/{path}")
    page.wait_for_function(CONNECTED)
    return page


def issue(hall, service="payment"):
    return act(services.ticket_issue, outlet=hall, service_code=service, channel="kiosk")[0]


def announcement(ticket, counter):
    return f"请 {ticket.number} 号到 {counter.number} 号窗口办理"


def test_a_call_shows_as_the_newest_and_is_announced(new_page):
    floor = build_floor()
    ticket = issue(floor.hall)
    act(services.counter_open, counter_id=floor.counter2.pk, user=floor.agent)
    page = open_display(new_page, floor)

    act(services.ticket_call_next, counter_id=floor.counter2.pk, actor=floor.agent)

    expect(page.locator("[data-newest-number]")).to_have_text(ticket.number)
    page.wait_for_function(
        "text => window.qmsAnnouncer.spoken.includes(text)", arg=announcement(ticket, floor.counter2)
    )
    expect(page.locator("[data-newest-counter] b")).to_have_text("2")
    expect(page.locator("[data-sound-unlock]")).to_be_hidden()  # Chromium runs with the autoplay flag


def test_two_quick_calls_are_announced_in_order_one_after_the_other(new_page):
    floor = build_floor()
    first, second = issue(floor.hall), issue(floor.hall)
    act(services.counter_open, counter_id=floor.counter1.pk, user=floor.agent)
    act(services.counter_open, counter_id=floor.counter2.pk, user=floor.agent2)
    page = open_display(new_page, floor)

    act(services.ticket_call_next, counter_id=floor.counter1.pk, actor=floor.agent)
    act(services.ticket_call_next, counter_id=floor.counter2.pk, actor=floor.agent2)

    expected = [announcement(first, floor.counter1), announcement(second, floor.counter2)]
    page.wait_for_function("n => window.qmsAnnouncer.spoken.length >= n", arg=2)
    assert page.evaluate("window.qmsAnnouncer.spoken") == expected
    # The second waits for the first to finish (chime and two sayings) ...
    page.wait_for_function("window.qmsAnnouncer.log[1].startedAt !== null", timeout=30_000)
    log = page.evaluate("window.qmsAnnouncer.log")
    assert log[0]["endedAt"] is not None
    assert log[1]["startedAt"] >= log[0]["endedAt"]
    assert log[0]["via"] in ("clips", "speech")
    # ... and the wall shows the second as the newest, the first below it.
    expect(page.locator("[data-newest-number]")).to_have_text(second.number)
    expect(page.locator("[data-history] li").first.locator(".num")).to_have_text(first.number)


def test_a_recall_is_announced_again(new_page):
    floor = build_floor()
    ticket = issue(floor.hall)
    act(services.counter_open, counter_id=floor.counter2.pk, user=floor.agent)
    act(services.ticket_call_next, counter_id=floor.counter2.pk, actor=floor.agent)
    page = open_display(new_page, floor)

    act(services.ticket_recall, counter_id=floor.counter2.pk, actor=floor.agent)

    page.wait_for_function("window.qmsAnnouncer.log.length === 1")
    assert page.evaluate("window.qmsAnnouncer.log[0].recall") is True
    assert page.evaluate("window.qmsAnnouncer.spoken") == [announcement(ticket, floor.counter2)]
    expect(page.locator(".recall-tag")).to_be_visible()


def test_a_reinstated_number_is_marked_when_it_is_called(new_page, screenshot):
    floor = build_floor()
    missed = issue(floor.hall)
    act(services.counter_open, counter_id=floor.counter2.pk, user=floor.agent)
    act(services.ticket_call_next, counter_id=floor.counter2.pk, actor=floor.agent)
    act(services.ticket_no_show, counter_id=floor.counter2.pk, actor=floor.agent)
    act(services.ticket_reinstate, outlet=floor.hall, number=missed.number, actor=floor.agent)
    page = open_display(new_page, floor)

    act(services.ticket_call_next, counter_id=floor.counter2.pk, actor=floor.agent)

    expect(page.locator("[data-newest-number]")).to_have_text(missed.number)
    expect(page.locator(".reinstated-tag")).to_contain_text("过号顺延")
    screenshot(page, "display-reinstated")


def test_the_display_recovers_by_itself_after_the_server_restarts(new_page, daphne_server):
    floor = build_floor()
    ticket = issue(floor.hall)
    act(services.counter_open, counter_id=floor.counter2.pk, user=floor.agent)
    page = open_display(new_page, floor)

    daphne_server.restart()
    act(services.ticket_call_next, counter_id=floor.counter2.pk, actor=floor.agent)

    expect(page.locator("[data-newest-number]")).to_have_text(ticket.number, timeout=20_000)
    page.wait_for_function(CONNECTED, timeout=20_000)
    expect(page.locator(".conn-lost")).to_be_hidden()
    assert page.evaluate("window.qmsDisplay.connects") >= 2
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # never reloaded


def test_while_the_server_is_down_the_display_says_it_is_reconnecting(new_page, daphne_server):
    floor = build_floor()
    page = open_display(new_page, floor)

    daphne_server.stop()
    try:
        expect(page.locator(".conn-lost")).to_be_visible()
        expect(page.locator(".conn-lost")).to_contain_text("正在重连")
    finally:
        daphne_server.start()

    expect(page.locator(".conn-lost")).to_be_hidden(timeout=20_000)


def test_a_gap_in_seq_brings_a_fresh_snapshot(new_page):
    floor = build_floor()
    ticket = issue(floor.hall)
    act(services.counter_open, counter_id=floor.counter2.pk, user=floor.agent)
    page = open_display(new_page, floor)
    act(events.hall_seq_next, floor.hall.code)  # an event that never arrives

    act(services.ticket_call_next, counter_id=floor.counter2.pk, actor=floor.agent)

    page.wait_for_function("window.qmsDisplay.resyncs >= 1")
    expect(page.locator("[data-newest-number]")).to_have_text(ticket.number)
    page.wait_for_function(CONNECTED)


def test_the_lobby_shows_waiting_counts_that_change_when_a_ticket_is_issued(new_page):
    floor = build_floor()
    issue(floor.hall, "enquiry")
    page = open_display(new_page, floor)
    enquiry = page.locator(".service").filter(has_text="综合咨询")
    expect(enquiry.locator(".svc-waiting b")).to_have_text("1")
    expect(enquiry).to_contain_text("Enquiries")

    issue(floor.hall, "enquiry")
    issue(floor.hall, "enquiry")

    expect(enquiry.locator(".svc-waiting b")).to_have_text("3")
    expect(page.locator(".service").filter(has_text="缴费充值").locator(".svc-waiting b")).to_have_text("0")


def test_an_alert_shows_as_a_banner(new_page):
    floor = build_floor()
    page = open_display(new_page, floor)
    expect(page.locator("[data-alert]")).to_be_hidden()

    act(events.send_hall_event, floor.hall.code, "alert", {"level": "warning", "message": "系统维护中 / Maintenance"})

    expect(page.locator("[data-alert]")).to_have_text("系统维护中 / Maintenance")


def test_a_paused_counter_shows_paused_on_its_screen(new_page, screenshot):
    floor = build_floor()
    ticket = issue(floor.hall)
    act(services.counter_open, counter_id=floor.counter2.pk, user=floor.agent)
    page = open_display(new_page, floor, "counter/2/", width=1280, height=400)
    expect(page.locator("[data-counter-board]")).to_contain_text("欢迎光临")

    act(services.ticket_call_next, counter_id=floor.counter2.pk, actor=floor.agent)
    expect(page.locator(".counter-number")).to_have_text(ticket.number)
    screenshot(page, "display-counter")
    act(services.ticket_start, counter_id=floor.counter2.pk, actor=floor.agent)
    act(services.ticket_finish, counter_id=floor.counter2.pk, actor=floor.agent)
    act(services.counter_pause, counter_id=floor.counter2.pk, actor=floor.agent)

    expect(page.locator("[data-counter-board]")).to_contain_text("暂停服务")
    expect(page.locator(".counter-number")).to_have_count(0)
    screenshot(page, "display-counter-paused")


def test_a_counter_screen_ignores_other_counters(new_page):
    floor = build_floor()
    issue(floor.hall)
    act(services.counter_open, counter_id=floor.counter2.pk, user=floor.agent)
    act(services.counter_open, counter_id=floor.counter3.pk, user=floor.agent2)
    page = open_display(new_page, floor, "counter/3/", width=800, height=480)

    act(services.ticket_call_next, counter_id=floor.counter2.pk, actor=floor.agent)
    page.wait_for_function("window.qmsDisplay.counters.find(c => c.number === 2).current !== null")

    expect(page.locator("[data-counter-board]")).to_contain_text("欢迎光临")


def test_a_display_registers_itself_with_a_heartbeat(new_page):
    floor = build_floor()

    page = open_display(new_page, floor, "counter/3/", width=800, height=480)

    device_id = page.evaluate("localStorage.getItem('qms.display.device')")
    device = _wait_for_device(floor.hall, device_id)
    assert (device.kind, device.counter.number) == ("counter", 3)


def test_a_display_keeps_its_token_and_is_still_heard_after_a_reload(new_page):
    floor = build_floor()
    page = open_display(new_page, floor, "", width=800, height=480)
    page.wait_for_function("localStorage.getItem('qms.display.token') !== null")
    device_id = page.evaluate("localStorage.getItem('qms.display.device')")
    DisplayDevice.objects.filter(outlet=floor.hall, device_id=device_id).update(last_seen_at=None)

    page.reload()

    device = _wait_for_heartbeat(floor.hall, device_id)
    assert page.evaluate("localStorage.getItem('qms.display.device')") == device_id
    assert device.last_seen_at is not None


def _wait_for_heartbeat(hall, device_id, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        device = DisplayDevice.objects.filter(outlet=hall, device_id=device_id, last_seen_at__isnull=False).first()
        if device is not None:
            return device
        time.sleep(0.05)
    raise AssertionError(f"no second heartbeat from {device_id}")


def _wait_for_device(hall, device_id, seconds=5.0):
    """The device row, polled until the heartbeat sent on load has landed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        device = DisplayDevice.objects.filter(outlet=hall, device_id=device_id).select_related("counter").first()
        if device is not None:
            return device
        time.sleep(0.05)
    raise AssertionError(f"no heartbeat from {device_id}")


def test_a_busy_hall_on_the_wall(new_page, screenshot):
    """Not a behaviour: the picture in docs/screenshots/display-lobby.png."""
    hall = OutletFactory(name="郑州花园路营业厅")
    catalogue = [s for s in SERVICES if s.code in
                 ("payment", "new_line", "plan_change", "handset", "broadband", "points", "enquiry")]
    offered = []
    for spec in catalogue:
        service = ServiceFactory(code=spec.code, name_zh=spec.name_zh, name_en=spec.name_en, prefix=spec.prefix)
        offer(hall, service)
        offered.append(service)
    counters = [
        add_counter(hall, n, list(dict.fromkeys([offered[(n - 1) % len(offered)], offered[0]]))) for n in range(1, 11)
    ]
    for i in range(60):
        issue(hall, offered[[0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 6][i % 11]].code)
    agents = []
    for n, counter in enumerate(counters[:9], start=1):
        agent = UserFactory(username=f"wall-agent-{hall.code}-{n}")
        member(agent, hall)
        agents.append(agent)
        act(services.counter_open, counter_id=counter.pk, user=agent)
    for counter, agent in list(zip(counters, agents))[:6]:
        act(services.ticket_call_next, counter_id=counter.pk, actor=agent)
    page = new_page(1920, 1080)
    page.goto(f"/display/{hall.code}/")
    page.wait_for_function(CONNECTED)

    for counter, agent in list(zip(counters, agents))[6:9]:
        act(services.ticket_call_next, counter_id=counter.pk, actor=agent)
    act(events.send_hall_event, hall.code, "alert", {
        "level": "warning", "message": "缴费充值可使用自助终端办理，无需排队 / Top up at the self-service kiosks, no queue"})

    page.wait_for_function("window.qmsAnnouncer.spoken.length === 3")
    expect(page.locator("[data-history] li:not(.blank)")).to_have_count(8)
    expect(page.locator("[data-alert]")).to_be_visible()
    page.evaluate("document.querySelector('[data-newest]').classList.remove('fresh')")
    screenshot(page, "display-lobby")


def test_the_rendered_voice_clips_decode_in_the_browser(new_page):
    floor = build_floor()
    page = open_display(new_page, floor)

    durations = page.evaluate("""async () => {
        const context = new AudioContext();
        const names = ["qing", "hao", "dao", "chuangkou", "digit-0", "letter-A", "counter-30"];
        return Promise.all(names.map(async (name) => {
            const response = await fetch(`/static/queueing/display/voice/${name}.wav`);
            return (await context.decodeAudioData(await response.arrayBuffer())).duration;
        }));
    }""")

    assert all(0.1 < seconds < 3 for seconds in durations), durations


def test_sound_off_still_keeps_the_announcement_log(new_page):
    floor = build_floor()
    ticket = issue(floor.hall)
    act(services.counter_open, counter_id=floor.counter2.pk, user=floor.agent)
    page = open_display(new_page, floor, "?sound=0")

    act(services.ticket_call_next, counter_id=floor.counter2.pk, actor=floor.agent)

    page.wait_for_function("window.qmsAnnouncer.log.length === 1 && window.qmsAnnouncer.log[0].endedAt !== null")
    assert page.evaluate("window.qmsAnnouncer.log[0].via") == "muted"
    assert page.evaluate("window.qmsAnnouncer.spoken") == [announcement(ticket, floor.counter2)]


# Chromium here allows audio without a gesture (the harness's autoplay flag, and
# headless mode); this stands in for a browser that keeps audio locked until a tap.
LOCKED_AUDIO = """
(() => {
  const Real = window.AudioContext;
  window.AudioContext = class extends Real {
    constructor() { super(); this.locked = true; }
    get state() { return this.locked ? "suspended" : super.state; }
    resume() {
      if (navigator.userActivation.isActive) this.locked = false;
      return this.locked ? new Promise(() => {}) : super.resume();
    }
  };
})();
"""


def test_where_audio_is_locked_one_tap_enables_the_voice(new_page):
    floor = build_floor()
    page = new_page(1920, 1080)
    page.add_init_script(LOCKED_AUDIO)
    page.goto(f"/display/{floor.hall.code}/")
    overlay = page.locator("[data-sound-unlock]")
    expect(overlay).to_be_visible()
    expect(overlay).to_contain_text("点击启用语音")

    overlay.locator("button").click()

    expect(overlay).to_be_hidden()
    assert page.evaluate("window.qmsAnnouncer.unlocked") is True
