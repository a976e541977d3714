"""The counter agent's console in Chromium on a tablet-sized screen, against a
real Daphne: signing in, working a counter, keyboard shortcuts, double taps,
two tabs, refusals and a lost connection."""


import pytest
from django.conf import global_settings, settings
from django.test import Client
from playwright.sync_api import expect

from halls.models import Counter
from queueing import services
from queueing.models import Ticket, TicketStatus
from tests.browser.conftest import act
from tests.queueing.factories import build_floor

PASSWORD = "pw-for-tests-1"  # the user factory's
READY = "window.qmsConsole && window.qmsConsole.loaded && window.qmsConsole.socketOpen"
WIDTH, HEIGHT = 1280, 800




@pytest.fixture
def server_hashers(_fresh_cache, settings):
    """The suite hashes passwords with MD5 for speed; the server checks them
    with Django's default hashers, so an agent who signs in with the form must
    be created with those (slow by design: only where the form is the test)."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS




def issue(floor, service="payment", priority="normal", channel="kiosk"):
    return act(services.ticket_issue, outlet=floor.hall, service_code=service, channel=channel, priority=priority)[0]


def sign_in(page, user):
    page.goto("/console/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def signed_in_page(new_page, user):
    """A page whose browser already holds a session of `user` (the sign-in
    form has tests of its own; hashing a password per test is slow)."""
    client = Client()
    client.force_login(user)
    page = new_page(WIDTH, HEIGHT)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "domain": "127.0.0.1", "path": "/"}]
    )
    return page


def open_counter(new_page, floor, counter=None, user=None, *, open_it=True):
    """A signed-in console on `counter`, live, and (by default) the counter open."""
    counter = counter or floor.counter1
    page = signed_in_page(new_page, user or floor.agent)
    page.goto("/console/")
    page.locator(f'[data-counter-id="{counter.pk}"]').click()
    page.wait_for_function(READY)
    if open_it:
        page.locator('[data-action="open"]').click()
        expect(state_pill(page)).to_contain_text("服务中")
        settled(page, 1)
    return page


def state_pill(page):
    return page.locator("[data-state-pill]")


def number(page):
    return page.locator("[data-ticket-number]")


def mode(page):
    """The ticket card, whose data-mode is loading, closed, paused, idle, called or serving."""
    return page.locator("[data-ticket-card]")


def settled(page, actions):
    """Wait until the page has finished `actions` actions in all (opening the
    counter is the first), each with its retries and the refresh after it."""
    page.wait_for_function(f"window.qmsConsole.actions >= {actions} && window.qmsConsole.busy === null")


def button(page, action):
    return page.locator(f'[data-action="{action}"]')


def waiting(page, service):
    return page.locator(f'[data-waiting-service="{service}"] [data-waiting-count]')


def test_an_agent_signs_in_opens_a_counter_and_calls_the_next_ticket(server_hashers, new_page, screenshot):
    floor = build_floor()
    ticket = issue(floor)
    page = new_page(WIDTH, HEIGHT)
    page.goto("/console/")
    expect(page.get_by_role("heading", name="营业员登录")).to_be_visible()
    screenshot(page, "console-signin")

    sign_in(page, floor.agent)
    page.locator(f'[data-counter-id="{floor.counter1.pk}"]').click()
    page.wait_for_function(READY)
    button(page, "open").click()
    expect(state_pill(page)).to_contain_text("服务中")
    button(page, "call-next").click()

    expect(number(page)).to_have_text(ticket.number)
    expect(page.locator("[data-ticket-status]")).to_contain_text("已叫号")
    expect(page.locator("[data-ticket-calls]")).to_have_text("1")
    assert Counter.objects.get(pk=floor.counter1.pk).signed_in_user_id == floor.agent.pk


def test_a_wrong_password_is_shown_on_the_sign_in_page(new_page):
    floor = build_floor()
    page = new_page(WIDTH, HEIGHT)
    page.goto("/console/")

    page.get_by_label("用户名").fill(floor.agent.username)
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()

    expect(page.locator("[data-signin-error]")).to_contain_text("用户名或密码错误")


def test_a_reload_returns_to_the_same_counter(new_page):
    floor = build_floor()
    page = open_counter(new_page, floor, floor.counter2)

    page.reload()
    page.wait_for_function(READY)
    page.goto("/console/")  # a bookmark of the console, not of the counter
    page.wait_for_function(READY)

    assert f"counter={floor.counter2.pk}" in page.url
    expect(page.locator(".topbar-counter")).to_contain_text("2号窗口")


def test_start_then_finish_completes_the_ticket(new_page):
    floor = build_floor()
    ticket = issue(floor)
    page = open_counter(new_page, floor)
    button(page, "call-next").click()
    expect(number(page)).to_have_text(ticket.number)
    expect(button(page, "finish")).to_be_disabled()

    button(page, "start").click()
    expect(page.locator("[data-ticket-status]")).to_contain_text("办理中")
    expect(button(page, "start")).to_be_disabled()
    button(page, "finish").click()

    expect(mode(page)).to_have_attribute("data-mode", "idle")
    expect(button(page, "call-next")).to_be_enabled()
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.DONE


def test_no_show_ends_the_called_ticket(new_page):
    floor = build_floor()
    ticket = issue(floor)
    page = open_counter(new_page, floor)
    button(page, "call-next").click()
    expect(number(page)).to_have_text(ticket.number)

    button(page, "no-show").click()

    expect(mode(page)).to_have_attribute("data-mode", "idle")
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.NO_SHOW


def test_transfer_sends_the_ticket_to_another_services_line(new_page):
    floor = build_floor()
    ticket = issue(floor, "payment")
    page = open_counter(new_page, floor)
    button(page, "call-next").click()
    expect(number(page)).to_have_text(ticket.number)

    button(page, "transfer").click()
    options = page.locator("[data-transfer-service]")
    expect(options).to_have_count(1)  # the hall's other service; not the ticket's own
    page.locator('[data-transfer-service="enquiry"]').click()

    expect(page.locator("[data-notice]")).to_contain_text(f"{ticket.number} 已转至 综合咨询")
    expect(mode(page)).to_have_attribute("data-mode", "idle")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.service_id, ticket.number) == (TicketStatus.WAITING, floor.enquiry.pk, "A001")
    expect(waiting(page, "enquiry")).to_have_text("1")


def test_pause_with_a_reason_then_resume(new_page, screenshot):
    floor = build_floor()
    issue(floor)
    issue(floor, "enquiry")
    page = open_counter(new_page, floor)

    button(page, "pause").click()
    page.locator('[data-pause-reason="meeting"]').click()

    expect(state_pill(page)).to_contain_text("暂停")
    expect(state_pill(page)).to_contain_text("会议")
    expect(mode(page)).to_have_attribute("data-mode", "paused")
    expect(page.locator("[data-idle-title]")).to_have_text("暂停服务 · 会议")
    expect(button(page, "call-next")).to_be_disabled()
    counter = Counter.objects.get(pk=floor.counter1.pk)
    assert (counter.state, counter.pause_reason) == ("paused", "meeting")
    screenshot(page, "console-paused")

    button(page, "resume").click()

    expect(state_pill(page)).to_contain_text("服务中")
    expect(button(page, "call-next")).to_be_enabled()


def test_the_p_key_pauses_with_a_reason_picked_by_its_digit_and_resumes(new_page):
    floor = build_floor()
    page = open_counter(new_page, floor)

    page.keyboard.press("p")
    expect(page.locator("[data-pause-dialog]")).to_be_visible()
    page.keyboard.press("1")
    expect(state_pill(page)).to_contain_text("休息")
    settled(page, 2)  # the open, then the pause
    page.keyboard.press("p")

    expect(state_pill(page)).to_contain_text("服务中")


def test_a_double_click_on_call_next_calls_only_one_ticket(new_page):
    floor = build_floor()
    first, second = issue(floor), issue(floor)
    page = open_counter(new_page, floor)

    button(page, "call-next").dblclick()

    expect(number(page)).to_have_text(first.number)
    expect(button(page, "call-next")).to_be_disabled()
    settled(page, 2)
    assert Ticket.objects.filter(outlet=floor.hall, status=TicketStatus.CALLED).count() == 1
    assert Ticket.objects.get(pk=second.pk).status == TicketStatus.WAITING
    expect(page.locator("[data-notice]")).to_be_hidden()


def test_a_call_whose_answer_is_lost_is_retried_with_the_same_key_and_calls_once(new_page):
    floor = build_floor()
    first, second = issue(floor), issue(floor)
    page = open_counter(new_page, floor)
    keys = []

    def lose_the_first_answer(route):
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fetch()  # the server calls the ticket ...
            route.abort("connectionreset")  # ... but the answer never arrives
        else:
            route.continue_()

    page.route("**/call-next/", lose_the_first_answer)
    button(page, "call-next").click()
    settled(page, 2)

    expect(number(page)).to_have_text(first.number)
    expect(page.locator("[data-notice]")).to_be_hidden()
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0]
    assert Ticket.objects.filter(outlet=floor.hall, status=TicketStatus.CALLED).count() == 1
    assert Ticket.objects.get(pk=second.pk).status == TicketStatus.WAITING


def test_the_space_key_calls_the_next_ticket(new_page):
    floor = build_floor()
    ticket = issue(floor)
    page = open_counter(new_page, floor)

    page.keyboard.press("Space")

    expect(number(page)).to_have_text(ticket.number)


def test_the_shortcut_letters_start_and_finish(new_page):
    floor = build_floor()
    ticket = issue(floor)
    page = open_counter(new_page, floor)
    page.keyboard.press("F1")
    expect(number(page)).to_have_text(ticket.number)
    settled(page, 2)  # keys pressed while an action is in flight are dropped, like double taps

    page.keyboard.press("s")
    expect(page.locator("[data-ticket-status]")).to_contain_text("办理中")
    settled(page, 3)
    page.keyboard.press("f")

    expect(mode(page)).to_have_attribute("data-mode", "idle")
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.DONE


def test_the_waiting_counts_update_live_when_a_ticket_is_issued(new_page):
    floor = build_floor()
    issue(floor, "enquiry")
    page = open_counter(new_page, floor, open_it=False)
    expect(waiting(page, "payment")).to_have_text("0")
    expect(waiting(page, "enquiry")).to_have_text("1")

    issue(floor, "payment")
    issue(floor, "payment")

    expect(waiting(page, "payment")).to_have_text("2")
    expect(waiting(page, "enquiry")).to_have_text("1")


def test_a_called_vip_ticket_is_highlighted_beside_the_waiting_counts(new_page, screenshot):
    floor = build_floor()
    for _ in range(3):
        issue(floor, "payment")
    vip = issue(floor, "payment", priority="vip", channel="staff")
    for _ in range(2):
        issue(floor, "enquiry")
    page = open_counter(new_page, floor)

    button(page, "call-next").click()

    expect(number(page)).to_have_text(vip.number)
    expect(page.locator("[data-ticket-priority]")).to_contain_text("VIP")
    expect(page.locator("[data-ticket-card]")).to_have_attribute("data-priority", "vip")
    expect(page.locator("[data-ticket-channel]")).to_contain_text("工作人员")
    expect(waiting(page, "payment")).to_have_text("3")
    expect(waiting(page, "enquiry")).to_have_text("2")
    page.wait_for_function("document.getAnimations().length === 0")  # the counts' highlight
    screenshot(page, "console-counter")


def test_a_second_tab_on_the_same_counter_follows_the_first(new_page):
    floor = build_floor()
    ticket = issue(floor)
    first = open_counter(new_page, floor)
    second = first.context.new_page()
    second.goto(first.url)
    second.wait_for_function(READY)

    button(first, "call-next").click()
    expect(number(second)).to_have_text(ticket.number)
    button(second, "start").click()
    expect(first.locator("[data-ticket-status]")).to_contain_text("办理中")
    button(first, "finish").click()

    expect(mode(second)).to_have_attribute("data-mode", "idle")
    expect(button(second, "call-next")).to_be_enabled()


def test_a_refusal_from_the_server_is_shown_with_its_message(new_page):
    floor = build_floor()
    issue(floor)
    page = open_counter(new_page, floor)

    def pause_behind_the_pages_back(route):
        # After the page has sent the call and before the server reads it; no
        # event, so only the server's answer can tell the page.
        Counter.objects.filter(pk=floor.counter1.pk).update(state="paused", pause_reason="break")
        route.continue_()

    page.route("**/call-next/", pause_behind_the_pages_back)
    button(page, "call-next").click()

    expect(page.locator("[data-notice]")).to_contain_text("窗口未开启 / The counter is not open.")
    expect(page.locator("[data-notice]")).to_have_class("notice notice-error")
    expect(state_pill(page)).to_contain_text("暂停")  # and the page has caught up


def test_losing_the_connection_shows_a_banner_and_recovers_by_itself(new_page, daphne_server):
    floor = build_floor()
    page = open_counter(new_page, floor)
    banner = page.locator("[data-offline-banner]")
    expect(banner).to_be_hidden()

    daphne_server.stop()
    try:
        expect(banner).to_be_visible(timeout=10_000)
        expect(banner).to_contain_text("网络中断，正在重连")
    finally:
        daphne_server.start()

    expect(banner).to_be_hidden(timeout=20_000)
    ticket = issue(floor)
    expect(waiting(page, "payment")).to_have_text("1")
    button(page, "call-next").click()
    expect(number(page)).to_have_text(ticket.number)


# --- The agent's own shifts ------------------------------------------------------------------


def test_an_agent_sees_their_shifts_on_the_picker_and_todays_beside_the_counter(new_page, screenshot):
    from datetime import time, timedelta

    from django.utils import timezone

    from queueing.planning.models import RosterShift

    floor = build_floor(name="郑州花园路营业厅")
    today = timezone.localdate()
    RosterShift.objects.create(outlet=floor.hall, user=floor.agent, date=today, starts=time(8, 30), ends=time(16, 30),
                               break_starts=time(12), break_ends=time(13))
    RosterShift.objects.create(outlet=floor.hall, user=floor.agent, date=today + timedelta(days=1),
                               starts=time(10), ends=time(18))
    page = signed_in_page(new_page, floor.agent)

    page.goto("/console/")

    shifts = page.locator("[data-my-shifts]")
    expect(shifts).to_be_visible()
    expect(shifts.locator("li")).to_have_count(2)
    expect(shifts.locator("li.is-today")).to_contain_text("08:30–16:30")
    screenshot(page, "console-my-shifts")
    page.locator(f'[data-counter-id="{floor.counter1.pk}"]').click()
    expect(page.locator("[data-my-shift-today]")).to_contain_text("休息 12:00–13:00")


# --- The agent's own figures -----------------------------------------------------------------


def test_an_agent_sees_their_figures_of_today_and_the_week_beside_the_counter(new_page, screenshot):
    from django.utils import timezone

    from tests.reports.conftest import build_day

    floor = act(build_day, day=timezone.localdate(), code="RPT-C", name="郑州花园路营业厅")

    page = open_counter(new_page, floor, floor.counter2, open_it=False)

    figures = page.locator("[data-my-figures]")
    expect(figures).to_be_visible()
    expect(figures.locator('[data-figure="served"] [data-today-value]')).to_have_text("2")
    expect(figures.locator('[data-figure="served"] [data-week-value]')).to_have_text("2")
    expect(figures.locator('[data-figure="avg_handle_seconds"] [data-today-value]')).to_have_text("7分00秒")
    expect(figures.locator('[data-figure="avg_rating"] [data-week-value]')).to_have_text("5.0★")
    screenshot(page, "console-my-figures")
