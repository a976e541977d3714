"""The hall manager's planning page in Chromium, against a real Daphne: the
day's chart of forecast arrivals against counters, with the slots short of
staff named; planning next week fills the roster grid; a shift is added (a
refused one keeps what was typed); a what-if shows its result.

The server keeps its own clock, so the hall gets a forecast around the day
it is live on now (hall_live_day, the same rule the server applies)."""

from datetime import time, timedelta

import pytest
from playwright.sync_api import expect

from halls.models import StaffRole
from queueing.planning.models import RosterShift
from queueing.planning.payloads import monday_of
from queueing.planning.selectors import hall_live_day
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_manage import signed_in_page
from tests.halls.factories import UserFactory, member
from tests.planning.staffing_factories import forecast, one_service_hall, staffed

PEOPLE = ["王芳", "李娜", "张伟", "刘洋", "陈静", "杨磊"]
PLANNING_SECONDS = 60_000  # the solver may take several seconds on a busy machine


def arrivals(slot_start):
    """A quiet hall with a late-morning peak and an after-work rush."""
    minute = slot_start.hour * 60 + slot_start.minute
    if 10 * 60 <= minute < 12 * 60:
        return 20
    if minute >= 16 * 60:
        return 12
    return 4


@pytest.fixture
def hall(transactional_db):
    hall, service = one_service_hall(handle=300, target_wait=600, counters=8)
    hall.name = "郑州花园路营业厅"
    hall.save(update_fields=["name"])
    hall.people = staffed(hall, len(PEOPLE))
    for person, name in zip(hall.people, PEOPLE, strict=True):
        person.first_name = name
        person.save(update_fields=["first_name"])
    hall.manager = UserFactory(username="plan-manager", first_name="张丽")
    member(hall.manager, hall, StaffRole.MANAGER)
    hall.live_day = hall_live_day(outlet_id=hall.pk)
    start = monday_of(hall.live_day)
    for i in range((hall.live_day - start).days + 15):
        forecast(hall, service, start + timedelta(days=i), arrivals)
    # Today three people work all day: the peaks are short of staff.
    for person in hall.people[:3]:
        RosterShift.objects.create(outlet=hall, user=person, date=hall.live_day, starts=time(9), ends=time(17))
    return hall


def open_plan(new_page, hall, user=None):
    page = signed_in_page(new_page, user or hall.manager, 1280, 900)
    page.goto(f"/manage/{hall.code}/plan/")
    expect(page.locator("[data-day-chart]")).to_have_attribute("data-drawn", "16")
    expect(page.locator("[data-roster-body] tr").first).to_be_visible()
    return page


def next_week(page, hall):
    page.locator("[data-week-step='7']").click()
    expect(page.locator("[data-roster-head]")).to_contain_text((monday_of(hall.live_day) + timedelta(days=7))
                                                              .isoformat()[5:])


def test_the_days_chart_shows_the_forecast_and_the_slots_short_of_staff(new_page, hall, screenshot):
    page = open_plan(new_page, hall)

    expect(page.locator("[data-day-input]")).to_have_value(hall.live_day.isoformat())
    expect(page.locator("[data-short-runs]")).to_contain_text("10:00–12:00 缺")
    expect(page.locator("[data-day-chart] canvas")).to_have_count(1)
    expect(page.locator("[data-accuracy]")).not_to_contain_text("载入中")
    page.locator("[data-whatif-form] [name=count]").fill("2")
    page.locator("[data-whatif-run]").click()
    expect(page.locator('[data-whatif-row="service_level"]')).to_be_visible(timeout=PLANNING_SECONDS)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "manage-plan")


def test_the_day_picker_moves_a_day_at_a_time(new_page, hall):
    page = open_plan(new_page, hall)

    page.locator("[data-day-step='1']").click()

    tomorrow = hall.live_day + timedelta(days=1)
    expect(page.locator("[data-day-input]")).to_have_value(tomorrow.isoformat())
    expect(page.locator("[data-day-summary]")).to_contain_text(tomorrow.isoformat())
    page.locator("[data-day-today]").click()
    expect(page.locator("[data-day-input]")).to_have_value(hall.live_day.isoformat())


def test_planning_the_week_fills_the_roster_grid(new_page, hall):
    page = open_plan(new_page, hall)
    next_week(page, hall)
    expect(page.locator("[data-roster-empty]")).to_be_visible()

    page.locator("[data-roster-plan]").click()

    expect(page.locator("[data-roster-message]")).to_contain_text("已排班", timeout=PLANNING_SECONDS)
    planned = RosterShift.objects.filter(outlet=hall, date__gte=monday_of(hall.live_day) + timedelta(days=7))
    assert planned.count() > 0
    expect(page.locator("[data-roster-body] [data-shift]")).to_have_count(planned.count())
    page.evaluate("window.scrollTo(0, 0)")  # the header is sticky: a full-page picture starts at the top
    page.screenshot(path=str(SCREENSHOTS / "manage-plan-roster.png"), full_page=True)


def test_planning_a_week_without_a_forecast_says_so(new_page, hall):
    page = open_plan(new_page, hall)
    next_week(page, hall)
    page.locator("[data-week-step='7']").click()
    page.locator("[data-week-step='7']").click()
    far = monday_of(hall.live_day) + timedelta(days=21)
    expect(page.locator("[data-week-label]")).to_contain_text(far.isoformat())
    expect(page.locator("[data-roster-foot] td", has_text="无预测")).to_have_count(7)

    page.locator("[data-roster-plan]").click()

    expect(page.locator("[data-roster-message]")).to_contain_text("还没有客流预测")


def test_a_manager_adds_a_shift_and_a_refused_one_keeps_what_was_typed(new_page, hall):
    page = open_plan(new_page, hall)
    next_week(page, hall)
    monday = (monday_of(hall.live_day) + timedelta(days=7)).isoformat()
    cell = page.locator(f'[data-person="{hall.people[3].pk}"] [data-day="{monday}"]')
    cell.locator(".p-add").click()
    dialog = page.locator("[data-shift-dialog]")
    dialog.locator("[name=starts]").fill("13:00")
    dialog.locator("[name=ends]").fill("14:00")  # under the contract's four hours

    dialog.locator("[data-shift-save]").click()

    expect(dialog.locator("[data-shift-error]")).to_contain_text("排班不符合规则")
    expect(dialog.locator("[name=starts]")).to_have_value("13:00")
    dialog.locator("[name=ends]").fill("17:00")
    dialog.locator("[data-shift-save]").click()
    expect(dialog).to_be_hidden()
    expect(cell.locator("[data-shift]")).to_contain_text("13:00–17:00")
    assert RosterShift.objects.filter(user=hall.people[3], date=monday, starts=time(13)).exists()


def test_a_manager_removes_a_shift(new_page, hall):
    page = open_plan(new_page, hall)
    shift = page.locator(f'[data-person="{hall.people[0].pk}"] [data-shift]')
    expect(shift).to_contain_text("09:00–17:00")

    shift.click()
    page.locator("[data-shift-delete]").click()

    expect(shift).to_have_count(0)
    assert RosterShift.objects.filter(user=hall.people[0]).count() == 0


def test_a_what_if_with_more_counters_raises_the_service_level(new_page, hall):
    page = open_plan(new_page, hall)
    form = page.locator("[data-whatif-form]")
    form.locator("[name=count]").fill("3")
    form.locator("[name=start]").select_option("10:00")
    form.locator("[name=end]").select_option("12:00")

    page.locator("[data-whatif-run]").click()

    row = page.locator('[data-whatif-row="service_level"]')
    expect(row).to_be_visible(timeout=PLANNING_SECONDS)
    expect(row.locator(".p-better")).to_have_count(1)
    expect(page.locator("[data-whatif-result]")).to_contain_text("10:00–12:00 增加 3 个窗口")


def test_removing_counters_needs_a_service(new_page, hall):
    page = open_plan(new_page, hall)
    page.locator("[data-whatif-form] [name=count]").fill("-1")

    page.locator("[data-whatif-run]").click()

    expect(page.locator("[data-whatif-message]")).to_contain_text("请选择业务")


def test_an_agent_reads_the_plan_without_planning_buttons(new_page, hall):
    page = open_plan(new_page, hall, hall.people[0])

    expect(page.locator(".p-readonly")).to_be_visible()
    expect(page.locator("[data-roster-plan]")).to_have_count(0)
    expect(page.locator("[data-roster-body] .p-add")).to_have_count(0)
