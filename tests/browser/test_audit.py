"""A hall's audit log in Chromium: the manager reads what was done, filters
by person and kind, switches to English."""

import pytest
from playwright.sync_api import expect

from halls.models import StaffRole
from tests.browser.conftest import act
from tests.browser.test_manage import signed_in_page
from tests.halls.factories import UserFactory, member
from tests.queueing.factories import build_floor
from tests.reports.test_audit import work_a_morning


def _worked_hall():
    floor = build_floor(code="AUD-A", name="郑州花园路营业厅")
    floor.agent.first_name = "李明"
    floor.agent.save()
    floor.manager = UserFactory(username="manager-aud", first_name="张丽")
    member(floor.manager, floor.hall, StaffRole.MANAGER)
    return work_a_morning(floor)


@pytest.fixture
def hall(transactional_db):
    return act(_worked_hall)


def test_the_manager_reads_the_halls_log(new_page, hall, screenshot):
    page = signed_in_page(new_page, hall.manager, 1280, 900)

    page.goto("/manage/AUD-A/audit/")

    expect(page.locator("[data-audit-table] tbody tr")).to_have_count(13)
    expect(page.locator("[data-audit-count]")).to_contain_text("共 13 条")
    expect(page.locator("[data-audit-link]")).to_have_attribute("aria-current", "page")
    screenshot(page, "manage-audit")


def test_the_filters_keep_one_persons_counter_actions(new_page, hall):
    page = signed_in_page(new_page, hall.manager, 1280, 900)
    page.goto("/manage/AUD-A/audit/")

    page.locator("[data-actor-filter]").select_option("agent-AUD-A")
    page.locator("[data-kind-filter]").select_option("counter")
    page.get_by_role("button", name="查询").click()

    rows = page.locator("[data-audit-table] tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("李明")
    expect(rows.first).to_contain_text("开启")


def test_the_log_reads_in_english(new_page, hall, screenshot):
    page = signed_in_page(new_page, hall.manager, 1280, 900)
    page.goto("/manage/AUD-A/audit/")

    page.locator("[data-lang-switch]").click()

    expect(page.locator("body")).to_have_class("manage-page lang-en")
    screenshot(page, "manage-audit-en")
