"""The hall manager's live floor in Chromium, against a real Daphne: the floor
shows the hall, a warning appears as the line grows, a suggestion is applied
with one tap and the counters follow; an agent sees the manager's request on
their console and opens the counter."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from halls.models import CounterService, HallService, StaffRole
from queueing import services as queue
from queueing.planning import services
from tests.browser.conftest import act
from tests.halls.factories import UserFactory, member
from tests.planning.test_accuracy import served_one_after_another
from tests.queueing.factories import build_floor

LIVE = "window.qmsFloor && window.qmsFloor.connected"
TABLET = (1280, 900)


def signed_in_page(new_page, user, width=1280, height=900):
    client = Client()
    client.force_login(user)
    page = new_page(width, height)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "domain": "127.0.0.1", "path": "/"}]
    )
    return page


@pytest.fixture
def hall(transactional_db):
    floor = build_floor(code="MNG-1", name="郑州花园路营业厅")
    HallService.objects.filter(outlet=floor.hall, service=floor.payment).update(target_wait_seconds=300)
    floor.manager = UserFactory(username="zhangli", first_name="张丽")
    member(floor.manager, floor.hall, StaffRole.MANAGER)
    act(queue.counter_open, counter_id=floor.counter2.pk, user=floor.agent)
    return floor


def busy(floor, n=4):
    for _ in range(n):
        act(queue.ticket_issue, outlet=floor.hall, service_code="payment", channel="kiosk")
    act(services.warnings_evaluate, outlet=floor.hall)


def test_the_floor_shows_services_counters_and_a_rising_warning(new_page, hall, screenshot):
    page = signed_in_page(new_page, hall.manager)
    page.goto("/manage/")
    page.wait_for_function(LIVE)
    expect(page.locator('[data-counter="2"]')).to_contain_text("agent-MNG-1")
    expect(page.locator("[data-no-warnings]")).to_be_visible()

    busy(hall)

    warning = page.locator('[data-warning][data-kind="wait"]').filter(has_text="缴费充值")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("预计等候")
    expect(page.locator('[data-service="payment"] td').first).to_have_text("4")
    screenshot(page, "manage-floor")


def test_applying_a_suggestion_changes_the_floor(new_page, hall):
    act(queue.counter_open, counter_id=hall.counter3.pk, user=hall.agent2)  # enquiry only
    hall.agent2.memberships.get(outlet=hall.hall).skills.add(hall.payment)
    page = signed_in_page(new_page, hall.manager)
    page.goto("/manage/MNG-1/")
    page.wait_for_function(LIVE)
    busy(hall)

    page.locator('[data-kind="add_service"]').click()

    expect(page.locator('[data-counter="3"]')).to_contain_text("缴费充值")
    assert CounterService.objects.filter(counter=hall.counter3, service=hall.payment).exists()


def test_acknowledging_a_warning_shows_who_did(new_page, hall):
    page = signed_in_page(new_page, hall.manager)
    page.goto("/manage/MNG-1/")
    page.wait_for_function(LIVE)
    busy(hall)
    warning = page.locator('[data-warning][data-kind="wait"]').filter(has_text="缴费充值")

    warning.get_by_role("button", name="确认").click()

    expect(warning).to_contain_text("已确认")


def test_an_agent_sees_the_floor_read_only(new_page, hall):
    page = signed_in_page(new_page, hall.agent)
    page.goto("/manage/MNG-1/")
    page.wait_for_function(LIVE)
    busy(hall)

    expect(page.locator('[data-suggestion]').first).to_be_disabled()
    expect(page.locator(".m-readonly")).to_be_visible()


def test_the_floor_in_english(new_page, hall, screenshot):
    page = signed_in_page(new_page, hall.manager, 1024, 768)
    page.goto("/manage/MNG-1/")
    page.wait_for_function(LIVE)
    busy(hall, 6)

    page.locator("[data-lang-switch]").click()

    expect(page.locator("body")).to_have_class("manage-page lang-en")
    screenshot(page, "manage-floor-en")


def test_the_agent_opens_the_counter_the_manager_asks_for_from_the_console(new_page, hall, screenshot):
    act(queue.counter_request_create, counter=hall.counter1, actor=hall.manager, service=hall.payment)
    page = signed_in_page(new_page, hall.agent2)
    page.goto(f"/console/?counter={hall.counter3.pk}")
    request = page.locator("[data-request-list] li")
    expect(request).to_contain_text("1号窗口")
    screenshot(page, "console-manager-request")

    request.get_by_role("button", name="接受并开启").click()

    page.wait_for_url(f"**/console/?counter={hall.counter1.pk}")
    hall.counter1.refresh_from_db()
    assert (hall.counter1.state, hall.counter1.signed_in_user) == ("open", hall.agent2)


def test_the_floor_shows_how_right_the_wait_estimates_were(new_page, transactional_db):
    floor = build_floor(code="MNG-2", name="郑州紫荆山营业厅")
    manager = UserFactory(username="wangfang", first_name="王芳")
    member(manager, floor.hall, StaffRole.MANAGER)
    two_days_ago = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=2)
    act(served_one_after_another, floor, two_days_ago, 6, 300)
    page = signed_in_page(new_page, manager)
    page.goto("/manage/MNG-2/")

    hall_row = page.locator('[data-estimator="hall"]')
    expect(hall_row).to_be_visible()
    expect(hall_row.locator("[data-within]")).to_have_text(re.compile(r"^\d+%$"))
    expect(page.locator("[data-estimates-note]")).to_contain_text("6 张已叫号的票")


def test_a_hall_without_history_says_there_is_nothing_to_measure(new_page, hall):
    page = signed_in_page(new_page, hall.manager)
    page.goto("/manage/MNG-1/")

    expect(page.locator("[data-estimates-note]")).to_contain_text("近7天没有叫号记录")
