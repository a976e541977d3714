"""The hall's reports page in Chromium, against a real Daphne, on the
constructed day of tests/reports/conftest.py (two days ago, so that the
page's default period, the last 7 days, holds it): the key figures and the
comparison with the period before, the charts, filtering by a service, the
people table, exports, an empty period and a refused one."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from halls.models import StaffRole
from queueing.reports.services import daily_summary_send
from tests.browser.conftest import act
from tests.browser.test_manage import signed_in_page
from tests.halls.factories import UserFactory, member
from tests.reports.conftest import build_day

LOADED = "window.qmsReports && window.qmsReports.loaded >= {}"


@pytest.fixture
def hall(transactional_db):
    day = timezone.localdate() - timedelta(days=2)
    floor = act(build_day, day=day, code="RPT-B", name="郑州花园路营业厅")
    floor.day = day
    floor.manager = UserFactory(username="zhangli", first_name="张丽")
    member(floor.manager, floor.hall, StaffRole.MANAGER)
    return floor


def open_reports(new_page, user, query="", width=1280, height=900, loads=1):
    page = signed_in_page(new_page, user, width, height)
    page.goto(f"/manage/RPT-B/reports/{query}")
    page.wait_for_function(LOADED.format(loads))
    return page


def kpi(page, key):
    return page.locator(f'[data-kpi="{key}"] [data-kpi-value]')


def chart_data(page, name, series=0):
    return page.evaluate(
        f"echarts.getInstanceByDom(document.querySelector('[data-chart=\"{name}\"]')).getOption().series[{series}].data"
    )


def test_the_key_figures_are_the_constructed_days(new_page, hall, screenshot):
    page = open_reports(new_page, hall.manager)

    expect(kpi(page, "issued")).to_have_text("6")
    expect(kpi(page, "served")).to_have_text("2")
    expect(kpi(page, "no_show")).to_have_text("1")
    expect(kpi(page, "cancelled")).to_have_text("1")
    expect(kpi(page, "closed_unserved")).to_have_text("2")
    expect(kpi(page, "avg_wait_seconds")).to_have_text("8分00秒")
    expect(kpi(page, "p90_wait_seconds")).to_have_text("12分00秒")
    expect(kpi(page, "avg_handle_seconds")).to_have_text("7分00秒")
    expect(kpi(page, "service_level")).to_have_text("16.7%")
    expect(kpi(page, "avg_rating")).to_have_text("5.00")
    screenshot(page, "manage-reports")


def test_the_page_says_how_far_behind_figures_read_from_a_replica_are(new_page, hall):
    page = signed_in_page(new_page, hall.manager, 1280, 900)

    def from_a_replica(route):
        # The report as the server answers it from a replica 42 s behind
        # (the server's side: tests/reports/test_replica.py).
        answer = route.fetch()
        route.fulfill(response=answer, json={**answer.json(), "replica_lag_seconds": 42})

    page.route(re.compile(r"/api/v1/halls/RPT-B/reports/[?]"), from_a_replica)
    page.goto("/manage/RPT-B/reports/")
    page.wait_for_function(LOADED.format(1))

    expect(page.locator("[data-replica-lag]")).to_have_text("数据延迟约 42 秒 Figures about 42 s behind")


def test_the_period_is_compared_with_the_one_before(new_page, hall):
    page = open_reports(new_page, hall.manager)

    expect(page.locator("[data-compare]")).to_contain_text("较上期")
    expect(page.locator('[data-kpi="issued"] .r-delta')).to_have_text("▲ 6")
    expect(page.locator('[data-kpi="issued"] .r-prev')).to_have_text("上期 0")
    expect(page.locator('[data-kpi="no_show"] .r-delta')).to_have_class("r-delta is-bad")


def test_the_charts_draw_the_figures(new_page, hall):
    page = open_reports(new_page, hall.manager)

    # The last 7 days, the constructed day fifth.
    assert chart_data(page, "series", 0) == [0, 0, 0, 0, 6, 0, 0]
    assert chart_data(page, "series", 1) == [0, 0, 0, 0, 2, 0, 0]
    assert chart_data(page, "series", 2)[4] == 16.7
    assert chart_data(page, "ratings") == [1, 0, 0, 0, 0]
    weekday = hall.day.isoweekday() - 1
    assert [cell[1:] for cell in chart_data(page, "heatmap")] == [[weekday, 6]]


def test_clicking_a_service_filters_the_page(new_page, hall):
    page = open_reports(new_page, hall.manager)

    page.locator('[data-service-link="payment"]').click()

    page.wait_for_function(LOADED.format(2))
    expect(page).to_have_url(re.compile(r"/manage/RPT-B/reports/\?from=.+&to=.+&service=payment$"))
    expect(page.locator("[data-service-filter]")).to_contain_text("缴费充值")
    expect(kpi(page, "issued")).to_have_text("5")
    expect(page.locator("[data-services] tr")).to_have_count(1)

    page.locator("[data-clear-service]").click()

    expect(kpi(page, "issued")).to_have_text("6")


def test_the_people_table_shows_the_agent_and_turns_to_counters(new_page, hall):
    page = open_reports(new_page, hall.manager)

    row = page.locator(f'[data-agent-row="{hall.agent.username}"]')
    expect(row).to_contain_text(hall.agent.username)
    expect(row.locator("td").nth(2)).to_have_text("2")

    page.locator('[data-by-value="counter"]').click()

    expect(page.locator('[data-agent-row="2"]')).to_contain_text("2号窗口")


def test_an_agent_of_the_hall_sees_no_people_table(new_page, hall):
    page = open_reports(new_page, hall.agent2)

    expect(kpi(page, "issued")).to_have_text("6")
    expect(page.locator("[data-agents-card]")).to_have_count(0)


def test_the_services_table_downloads_as_csv(new_page, hall):
    page = open_reports(new_page, hall.manager)

    with page.expect_download() as download:
        page.locator('[data-exports="services"] [data-export="csv"]').click()

    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert download.value.suggested_filename.endswith(".csv")
    assert "缴费充值" in text and "综合咨询" in text


def test_a_period_without_tickets_shows_the_empty_state(new_page, hall):
    page = open_reports(new_page, hall.manager)

    page.locator('[data-quick="yesterday"]').click()

    expect(page.locator("[data-empty]")).to_be_visible()
    expect(page.locator("[data-body]")).to_be_hidden()
    expect(kpi(page, "issued")).to_have_text("0")


def test_a_refused_period_is_shown_inline(new_page, hall):
    page = open_reports(new_page, hall.manager, f"?from={hall.day}&to={hall.day - timedelta(days=1)}", loads=0)

    expect(page.locator("[data-error]")).to_contain_text("开始日期晚于结束日期")


def test_the_page_on_a_wide_screen(new_page, hall, screenshot):
    page = open_reports(new_page, hall.manager, width=1920, height=1080)

    expect(kpi(page, "issued")).to_have_text("6")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1920
    screenshot(page, "manage-reports-wide")


def test_the_morning_summary_reads_well_in_a_mail_reader(new_page, hall, screenshot):
    hall.manager.email = "zhangli@example.com"
    hall.manager.save()
    act(daily_summary_send, user=hall.manager, day=hall.day)
    html, _ = mail.outbox[0].alternatives[0]
    page = new_page(760, 1000)

    page.set_content(html)

    expect(page.get_by_text("需关注")).to_be_visible()
    expect(page.get_by_text("营业结束时仍有 2 位顾客未办理")).to_be_visible()
    screenshot(page, "email-daily-summary")
