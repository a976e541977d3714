"""The customer's phone in Chromium, live over a real Daphne: the ticket page
follows the ticket (place in line, almost your turn, called to a counter),
cancels and rates; taking a number on /m/ ends on the new ticket's page."""

import time
from datetime import time as clock

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from halls.models import OpeningException, OpeningHours
from queueing import services
from queueing.models import Ticket, TicketRating, TicketStatus
from tests.browser.conftest import act
from tests.halls.factories import OutletFactory, offer
from tests.queueing.factories import build_floor

PHONE = "13800138000"
PHONE_SIZE = (390, 844)
CONNECTED = "window.qmsTicket && window.qmsTicket.connected"




@pytest.fixture
def fresh_issue_window(settings):
    """Forget this address's anonymous tickets in the current rate-limit window
    (Redis outlives the test database, and earlier runs count against it)."""
    cache.delete(issue_window_key(settings))
    yield
    cache.delete(issue_window_key(settings))


def issue_window_key(settings) -> str:
    window = int(time.time() // settings.QUEUE_ANON_ISSUE_WINDOW_SECONDS)
    return f"rl:ticket-issue:127.0.0.1:{window}"




def take(floor, service="payment", phone=""):
    """A ticket; one with a phone is taken by phone, and its holder has checked in."""
    channel = "mobile" if phone else "kiosk"
    ticket = act(services.ticket_issue, outlet=floor.hall, service_code=service, channel=channel, phone=phone)[0]
    if phone:
        ticket = act(services.ticket_check_in_at_hall, outlet=floor.hall, token=ticket.token)
    return ticket


def open_ticket(new_page, ticket, **options):
    page = new_page(*PHONE_SIZE, **options)
    page.goto(f"/t/{ticket.token}/")
    page.wait_for_function(CONNECTED)
    return page


def call_and_skip(floor, counter):
    """Call the next ticket at `counter` and mark it a no-show: one fewer ahead."""
    act(services.ticket_call_next, counter_id=counter.pk, actor=floor.agent)
    act(services.ticket_no_show, counter_id=counter.pk, actor=floor.agent)


def phase(page) -> str:
    return page.locator(".ticket-root").get_attribute("data-phase")


# --- The ticket page ---------------------------------------------------------------


def test_the_ticket_page_moves_from_waiting_to_called_when_an_agent_calls_it(new_page, screenshot):
    floor = build_floor(name="郑州金水路营业厅")
    for _ in range(3):
        take(floor)
    # Fourth in line at the one open counter: 3 ahead of 2 minutes each, and
    # no handle times learned yet, so the page gives the range too.
    ticket = take(floor, phone=PHONE)
    act(services.counter_open, counter_id=floor.counter2.pk, user=floor.agent)
    page = open_ticket(new_page, ticket)
    expect(page.locator(".ticket-root")).to_have_attribute("data-phase", "waiting")
    expect(page.locator("[data-ahead-zh]")).to_have_text("前面还有 3 位")
    expect(page.locator("[data-wait-zh]")).to_have_text("预计等候约 6 分钟（2–10 分钟）")
    screenshot(page, "customer-ticket-waiting")

    for _ in range(3):
        call_and_skip(floor, floor.counter2)
    act(services.ticket_call_next, counter_id=floor.counter2.pk, actor=floor.agent)

    expect(page.locator(".ticket-root")).to_have_attribute("data-phase", "called")
    expect(page.locator(".call .call-zh")).to_have_text("请到 2 号窗口")
    expect(page.locator(".call .call-en")).to_have_text("It's your turn: go to counter 2")
    assert page.evaluate("window.qmsTicket.vibrations") == ["near", "called"]
    assert page.title().startswith("请到 2 号窗口")
    screenshot(page, "customer-ticket-called")


def test_the_place_in_line_drops_when_someone_ahead_is_called(new_page):
    floor = build_floor()
    for _ in range(5):
        take(floor)
    ticket = take(floor)
    act(services.counter_open, counter_id=floor.counter2.pk, user=floor.agent)
    page = open_ticket(new_page, ticket)
    expect(page.locator("[data-ahead-en]")).to_have_text("5 ahead of you")

    act(services.ticket_call_next, counter_id=floor.counter2.pk, actor=floor.agent)

    expect(page.locator("[data-ahead-zh]")).to_have_text("前面还有 4 位")
    expect(page.locator("[data-ahead-en]")).to_have_text("4 ahead of you")
    assert phase(page) == "waiting"


def test_a_ticket_near_the_front_shows_almost_your_turn(new_page):
    floor = build_floor()
    for _ in range(3):
        take(floor)
    ticket = take(floor)
    act(services.counter_open, counter_id=floor.counter2.pk, user=floor.agent)
    page = open_ticket(new_page, ticket)
    expect(page.locator(".near-banner")).to_be_hidden()

    call_and_skip(floor, floor.counter2)

    expect(page.locator(".near-banner")).to_be_visible()
    expect(page.locator(".near-banner")).to_contain_text("快到您了")
    expect(page.locator("[data-status-label]")).to_contain_text("Almost your turn")
    assert page.evaluate("window.qmsTicket.vibrations") == ["near"]


def test_serving_then_done_shows_the_rating_and_a_rating_is_stored(new_page, screenshot):
    floor = build_floor(name="郑州金水路营业厅")
    ticket = take(floor, service="enquiry")
    act(services.counter_open, counter_id=floor.counter3.pk, user=floor.agent)
    act(services.ticket_call_next, counter_id=floor.counter3.pk, actor=floor.agent)
    act(services.ticket_start, counter_id=floor.counter3.pk, actor=floor.agent)
    page = open_ticket(new_page, ticket)
    expect(page.locator(".serving")).to_contain_text("正在 3 号窗口为您办理")
    expect(page.locator("[data-rating-form]")).to_be_hidden()

    act(services.ticket_finish, counter_id=floor.counter3.pk, actor=floor.agent)
    expect(page.locator("[data-rating-form]")).to_be_visible()
    submit = page.locator("[data-rating-submit]")
    expect(submit).to_be_disabled()
    page.locator(".star").nth(3).click()
    page.locator("#rating-comment").fill("营业员很耐心，办理很快")
    expect(page.locator("[data-score-label]")).to_contain_text("4 分 · 满意")
    expect(page.locator("[data-comment-count]")).to_have_text("11")
    screenshot(page, "customer-rating")
    submit.click()

    expect(page.locator("[data-rated]")).to_be_visible()
    expect(page.locator("[data-rated]")).to_contain_text("感谢您的评价")
    expect(page.locator("[data-rated-stars] .on")).to_have_count(4)
    rating = TicketRating.objects.get(ticket=ticket)
    assert (rating.score, rating.comment) == (4, "营业员很耐心，办理很快")


def test_a_rated_ticket_shows_its_thanks_and_no_form(new_page):
    floor = build_floor()
    ticket = take(floor, service="enquiry")
    act(services.counter_open, counter_id=floor.counter3.pk, user=floor.agent)
    act(services.ticket_call_next, counter_id=floor.counter3.pk, actor=floor.agent)
    act(services.ticket_start, counter_id=floor.counter3.pk, actor=floor.agent)
    act(services.ticket_finish, counter_id=floor.counter3.pk, actor=floor.agent)
    act(services.ticket_rate, token=ticket.token, score=5)

    page = new_page(*PHONE_SIZE)
    page.goto(f"/t/{ticket.token}/")

    expect(page.locator("[data-rated]")).to_be_visible()
    expect(page.locator("[data-rated-stars] .on")).to_have_count(5)
    expect(page.locator("[data-rating-form]")).to_be_hidden()


def test_cancelling_asks_first_and_then_leaves_the_queue(new_page):
    floor = build_floor()
    take(floor)
    ticket = take(floor)
    page = open_ticket(new_page, ticket)

    page.get_by_role("button", name="取消排队").click()
    dialog = page.locator("[data-cancel-dialog]")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(ticket.number)
    dialog.get_by_role("button", name="确定取消").click()

    expect(page.locator(".ticket-root")).to_have_attribute("data-phase", "cancelled")
    expect(page.locator(".final.cancelled")).to_contain_text("您已取消排队")
    expect(page.get_by_role("button", name="取消排队")).to_be_hidden()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CANCELLED


def test_keeping_my_place_in_the_confirmation_cancels_nothing(new_page):
    floor = build_floor()
    ticket = take(floor)
    page = open_ticket(new_page, ticket)

    page.get_by_role("button", name="取消排队").click()
    page.locator("[data-cancel-dialog]").get_by_role("button", name="继续等候").click()

    expect(page.locator("[data-cancel-dialog]")).to_be_hidden()
    assert phase(page) == "near"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING


def test_a_no_show_gets_a_clear_final_message(new_page):
    floor = build_floor()
    ticket = take(floor)
    act(services.counter_open, counter_id=floor.counter2.pk, user=floor.agent)
    page = open_ticket(new_page, ticket)

    call_and_skip(floor, floor.counter2)

    expect(page.locator(".final.missed")).to_be_visible()
    expect(page.locator(".final.missed")).to_contain_text("您的号码已过号")
    expect(page.get_by_role("link", name="重新取号")).to_have_attribute("href", f"/m/{floor.hall.code}/")


def test_the_ticket_page_shows_only_the_masked_phone_number(new_page):
    floor = build_floor()
    ticket = take(floor, phone=PHONE)

    page = open_ticket(new_page, ticket)

    assert PHONE not in page.content()
    expect(page.locator(".t-foot")).to_contain_text("138****8000")


def test_the_ticket_page_reconnects_after_a_restart_and_shows_the_truth(new_page, daphne_server):
    floor = build_floor()
    ticket = take(floor)
    act(services.counter_open, counter_id=floor.counter2.pk, user=floor.agent)
    page = open_ticket(new_page, ticket)

    daphne_server.stop()
    try:
        expect(page.locator("[data-conn]")).to_have_attribute("data-state", "lost")
        expect(page.locator("[data-conn]")).to_contain_text("正在重连")
        # Called while the page could not hear it: the first frame after reconnecting tells.
        act(services.ticket_call_next, counter_id=floor.counter2.pk, actor=floor.agent)
    finally:
        daphne_server.start()

    expect(page.locator(".ticket-root")).to_have_attribute("data-phase", "called", timeout=20_000)
    expect(page.locator("[data-conn]")).to_have_attribute("data-state", "live")
    assert page.evaluate("window.qmsTicket.connects") >= 2
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # never reloaded


def test_an_unknown_ticket_shows_a_friendly_page(new_page):
    page = new_page(*PHONE_SIZE)

    response = page.goto("/t/no-such-ticket-token-0123456789/")

    assert response.status == 404
    expect(page.get_by_role("heading")).to_have_text("未找到这张排队号")
    expect(page.get_by_role("link", name="手机取号")).to_be_visible()


# --- Taking a number -------------------------------------------------------------------


def test_taking_a_number_on_the_phone_ends_on_the_new_tickets_page(new_page, screenshot, fresh_issue_window,
                                                                  daphne_server):
    floor = build_floor(name="郑州金水路营业厅", district="金水区")
    build_floor(name="郑州二七广场营业厅", district="二七区")
    take(floor, service="enquiry")
    page = new_page(*PHONE_SIZE)
    page.goto("/m/")
    page.get_by_role("link", name="郑州金水路营业厅").click()
    expect(page).to_have_url(f"{daphne_server.url}/m/{floor.hall.code}/")

    page.locator("label.service-option", has_text="综合咨询").click()
    page.locator("#phone").fill("138 0013 8000")
    expect(page.locator("#phone")).to_have_value(PHONE)
    screenshot(page, "mobile-take-number")
    page.get_by_role("button", name="取号").click()

    page.wait_for_url("**/t/*/")
    ticket = Ticket.objects.get(phone=PHONE)
    assert ticket.channel == "mobile" and ticket.service.code == "enquiry"
    assert page.url.endswith(f"/t/{ticket.token}/")
    expect(page.locator("[data-ticket-number]")).to_have_text("H002")
    expect(page.locator(".t-foot")).to_contain_text("138****8000")


def test_a_double_tap_on_take_a_number_takes_one_number(new_page, fresh_issue_window):
    floor = build_floor()
    page = new_page(*PHONE_SIZE)
    page.goto(f"/m/{floor.hall.code}/")
    page.locator("#phone").fill(PHONE)

    page.evaluate("""() => {
        const form = document.querySelector('[data-take-form]');
        form.requestSubmit(); form.requestSubmit();
    }""")

    page.wait_for_url("**/t/*/")
    assert Ticket.objects.filter(phone=PHONE).count() == 1


def test_a_wrong_phone_number_is_caught_before_sending(new_page):
    floor = build_floor()
    page = new_page(*PHONE_SIZE)
    page.goto(f"/m/{floor.hall.code}/")

    page.locator("#phone").fill("1380013")
    page.get_by_role("button", name="取号").click()

    expect(page.locator("[data-take-error]")).to_contain_text("11 位手机号")
    expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")
    assert not Ticket.objects.exists()


def test_a_phone_over_its_daily_limit_is_told_so(new_page, settings, fresh_issue_window, daphne_server):
    floor = build_floor()
    for _ in range(settings.QUEUE_PHONE_DAILY_LIMIT):
        take(floor, phone=PHONE)
    page = new_page(*PHONE_SIZE)
    page.goto(f"/m/{floor.hall.code}/")

    page.locator("#phone").fill(PHONE)
    page.get_by_role("button", name="取号").click()

    error = page.locator("[data-take-error]")
    expect(error).to_contain_text("该手机号今日取号次数已达上限")
    expect(error).to_contain_text(f"每天最多 {settings.QUEUE_PHONE_DAILY_LIMIT} 次")
    expect(page).to_have_url(f"{daphne_server.url}/m/{floor.hall.code}/")


def test_too_many_tickets_from_one_address_are_told_so(new_page, settings, fresh_issue_window):
    floor = build_floor()
    cache.set(issue_window_key(settings), settings.QUEUE_ANON_ISSUE_LIMIT, timeout=60)
    page = new_page(*PHONE_SIZE)
    page.goto(f"/m/{floor.hall.code}/")

    page.locator("#phone").fill(PHONE)
    page.get_by_role("button", name="取号").click()

    expect(page.locator("[data-take-error]")).to_contain_text("取号过于频繁，请稍后再试")
    assert not Ticket.objects.exists()


def test_a_hall_that_closed_meanwhile_shows_its_message_and_hours(new_page, fresh_issue_window):
    floor = build_floor()
    page = new_page(*PHONE_SIZE)
    page.goto(f"/m/{floor.hall.code}/")
    expect(page.locator("[data-closed]")).to_be_hidden()
    OpeningException.objects.create(outlet=floor.hall, date=timezone.localdate(), is_closed=True)

    page.locator("#phone").fill(PHONE)
    page.get_by_role("button", name="取号").click()

    expect(page.locator("[data-take-error]")).to_contain_text("营业厅当前不在营业时间内")
    expect(page.locator("[data-closed]")).to_be_visible()
    expect(page.locator("[data-hours]")).to_have_attribute("data-highlight", "")


def test_a_closed_hall_shows_its_hours_and_takes_no_number(new_page):
    floor = build_floor()
    hall = OutletFactory(always_open=False, name="郑州二七广场营业厅")
    offer(hall, floor.payment)
    for weekday in range(7):
        OpeningHours.objects.create(outlet=hall, weekday=weekday, opens=clock(9), closes=clock(17))
    OpeningException.objects.create(outlet=hall, date=timezone.localdate(), is_closed=True)
    page = new_page(*PHONE_SIZE)

    page.goto(f"/m/{hall.code}/")

    expect(page.locator("[data-closed]")).to_be_visible()
    expect(page.locator("[data-hours] tr.today")).to_contain_text("休息")
    expect(page.locator("[data-hours] tr").nth(1)).to_contain_text("09:00-17:00")
    expect(page.get_by_role("button", name="取号")).to_be_disabled()


def test_the_hall_list_filters_by_district(new_page):
    build_floor(name="金水路营业厅", district="金水区")
    build_floor(name="二七广场营业厅", district="二七区")
    page = new_page(*PHONE_SIZE)
    page.goto("/m/")

    page.locator(".chip", has_text="二七区").click()

    expect(page.get_by_role("link", name="二七广场营业厅")).to_be_visible()
    expect(page.get_by_role("link", name="金水路营业厅")).to_be_hidden()


def test_the_hall_list_sorts_by_distance_when_the_browser_shares_its_location(new_page, screenshot):
    build_floor(name="远处营业厅", district="金水区", lat=34.90, lng=113.80)
    build_floor(name="身边营业厅", district="中原区", lat=34.751, lng=113.621)
    build_floor(name="附近营业厅", district="二七区", lat=34.76, lng=113.65)
    page = new_page(*PHONE_SIZE, geolocation={"latitude": 34.75, "longitude": 113.62}, permissions=["geolocation"])
    page.goto("/m/")

    expect(page.locator(".hall-list")).to_have_attribute("data-sort", "distance")  # already allowed: at once

    names = page.locator(".hall-item .name").all_inner_texts()
    assert names == ["身边营业厅", "附近营业厅", "远处营业厅"]
    expect(page.locator(".hall-item").first.locator("[data-distance]")).to_contain_text(" m")
    screenshot(page, "mobile-halls")


def test_the_hall_list_refreshes_its_waiting_counts(new_page):
    floor = build_floor(name="金水路营业厅")
    page = new_page(*PHONE_SIZE)
    page.goto("/m/")
    expect(page.locator(".hall-item [data-waiting]")).to_have_text("0")

    take(floor)
    take(floor)
    page.evaluate("window.qmsHalls.refresh()")

    expect(page.locator(".hall-item [data-waiting]")).to_have_text("2")
