"""The city operations page and the outlet finder in Chromium, against a real
Daphne: the live overview lists every hall and sorts and filters; the map has
a point per hall; a period report drills down city -> district -> hall; a
customer finds a franchise store by name."""

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from halls.models import OutletKind
from halls.roles import CITY_OPERATIONS_GROUP
from queueing import services as queue
from queueing.reports.models import HallDay, ServiceHour
from tests.browser.conftest import act
from tests.browser.test_manage import signed_in_page
from tests.halls.factories import OutletFactory, UserFactory
from tests.queueing.factories import build_floor

WALL = (1920, 1080)
PHONE = (390, 844)
HALLS = [
    # code, name, district, lat, lng, waiting
    ("CTY-01", "花园路营业厅", "金水区", 34.790, 113.675, 0),
    ("CTY-02", "二七广场营业厅", "二七区", 34.752, 113.655, 5),
    ("CTY-03", "经三路营业厅", "金水区", 34.775, 113.690, 2),
    ("CTY-04", "郑东新区CBD营业厅", "郑东新区", 34.765, 113.730, 0),
]



def _day_rows(floor, issued, served, in_time):
    today = timezone.localdate()
    figures = {"issued": issued, "served": served, "called": served, "called_in_time": in_time,
               "wait_seconds": 240.0 * served, "waits": [0, 0, served], "handled": served,
               "handle_seconds": 300.0 * served}
    HallDay.objects.create(outlet=floor.hall, date=today, **figures)
    ServiceHour.objects.create(outlet=floor.hall, service=floor.payment, date=today, hour=10, **figures)


@pytest.fixture
def city(transactional_db):
    floors = {}
    for code, name, district, lat, lng, waiting in HALLS:
        floor = build_floor(code=code, name=name, district=district, lat=lat, lng=lng)
        for _ in range(waiting):
            act(queue.ticket_issue, outlet=floor.hall, service_code="payment", channel="kiosk")
        floors[code] = floor
    act(queue.counter_open, counter_id=floors["CTY-02"].counter1.pk, user=floors["CTY-02"].agent)
    _day_rows(floors["CTY-01"], 120, 110, 100)
    _day_rows(floors["CTY-02"], 200, 180, 90)
    _day_rows(floors["CTY-03"], 80, 75, 70)
    ops = UserFactory(username="city-ops", first_name="赵敏")
    # Transactional tests flush the group the data migration made.
    ops.groups.add(Group.objects.get_or_create(name=CITY_OPERATIONS_GROUP)[0])
    return ops


def rows(page):
    return page.locator("[data-overview] tr")


def test_the_overview_lists_every_hall_and_sorts_by_a_column(new_page, city, screenshot):
    page = signed_in_page(new_page, city, *WALL)
    page.goto("/city/")
    expect(rows(page)).to_have_count(4)
    expect(page.locator('[data-kpi="waiting"]')).to_have_text("7")

    page.locator('th[data-sort="waiting"]').click()
    expect(rows(page).first).to_have_attribute("data-code", "CTY-02")
    expect(rows(page).first.locator("td").nth(2)).to_have_text("5")
    page.locator('th[data-sort="waiting"]').click()
    expect(rows(page).last).to_have_attribute("data-code", "CTY-02")
    expect(page.locator('th[data-sort="waiting"]')).to_have_attribute("aria-sort", "ascending")

    page.locator('th[data-sort="waiting"]').click()
    page.evaluate("window.qmsCity.refresh()")
    expect(page.locator("[data-updated]")).not_to_have_text("--:--:--")
    expect(rows(page).first).to_have_attribute("data-code", "CTY-02")
    page.wait_for_function("window.qmsCity.chart && document.querySelector('[data-districts] tr')")
    screenshot(page, "city-dashboard")


def test_the_district_filter_and_search_keep_to_their_halls(new_page, city):
    page = signed_in_page(new_page, city, 1280, 900)
    page.goto("/city/")
    expect(rows(page)).to_have_count(4)

    page.locator("[data-district]").select_option("金水区")
    expect(rows(page)).to_have_count(2)
    page.evaluate("window.qmsCity.refresh()")
    expect(rows(page)).to_have_count(2)
    expect(page.locator("[data-overview]")).not_to_contain_text("二七广场")

    page.locator("[data-district]").select_option("")
    page.locator("[data-search]").fill("二七")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_have_attribute("data-code", "CTY-02")


def test_the_map_has_a_point_per_hall(new_page, city):
    page = signed_in_page(new_page, city, *WALL)
    page.goto("/city/")
    page.wait_for_function("window.qmsCity && window.qmsCity.chart")

    points = page.evaluate("window.qmsCity.chart.getOption().series[0].data.map(p => p.code).sort()")

    assert points == ["CTY-01", "CTY-02", "CTY-03", "CTY-04"]
    assert page.evaluate("document.querySelector('[data-map] canvas') !== null")


def test_a_period_report_drills_down_from_the_city_to_a_hall(new_page, city, screenshot):
    page = signed_in_page(new_page, city, *WALL)
    page.goto("/city/")
    districts = page.locator("[data-districts] tr")
    expect(districts).to_have_count(2)
    expect(page.locator("[data-halls] tr")).to_have_count(3)
    expect(districts.first).to_contain_text("金水区")  # 170 of 200 called in time
    expect(page.locator('[data-export="halls"] a[data-format="csv"]')).to_have_attribute(
        "href", f"/api/v1/city/reports/?from={timezone.localdate().replace(day=1)}&to={timezone.localdate()}"
                "&table=halls&format=csv")

    districts.filter(has_text="金水区").click()
    expect(page.locator("[data-halls] tr")).to_have_count(2)
    expect(page.locator("[data-crumbs]")).to_contain_text("金水区")

    page.locator('[data-hall-row="CTY-01"]').click()
    expect(page.locator("[data-level-hall]")).to_be_visible()
    expect(page.locator("[data-level-city]")).to_be_hidden()
    expect(page.locator('[data-services] tr[data-service="payment"]')).to_contain_text("缴费充值")
    expect(page.locator("[data-days] tr")).to_have_count(1)
    expect(page.locator("[data-crumbs]")).to_contain_text("花园路营业厅")
    page.wait_for_function("window.qmsCity.seriesChart")
    page.locator("#reports").scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, document.querySelector('#reports').offsetTop - 60)")
    screenshot(page, "city-reports")

    page.locator('[data-crumb="city"]').click()
    expect(page.locator("[data-halls] tr")).to_have_count(3)


def test_an_agent_is_refused_the_city_page(new_page, city):
    agent = UserFactory(username="agent-only")

    page = signed_in_page(new_page, agent, 1280, 800)
    page.goto("/city/")

    expect(page.locator("main")).to_contain_text("此页面供城市运营与厅经理使用")


def test_the_outlet_finder_finds_a_franchise_store_by_name(new_page, city, screenshot):
    OutletFactory(code="FR-001", name="花园路万家通讯专营店", kind=OutletKind.FRANCHISE_STORE, has_queue=False,
                  address="郑州市金水区花园路88号")
    OutletFactory(code="AG-001", name="文化路天元通讯代理店", kind=OutletKind.AGENT_STORE, has_queue=False,
                  address="郑州市金水区文化路12号")
    page = new_page(*PHONE)
    page.goto("/outlets/")
    expect(page.locator("[data-list] li").first).to_be_visible()

    page.locator('input[name="q"]').fill("万家")
    expect(page.locator("[data-list] li")).to_have_count(1)
    store = page.locator('[data-list] li[data-code="FR-001"]')
    expect(store).to_contain_text("指定专营店")
    expect(store).to_contain_text("花园路88号")

    page.locator('input[name="q"]').fill("")
    page.locator('[data-kind="owned_hall"]').click()
    expect(page.locator("[data-list] li")).to_have_count(4)
    expect(page.locator('[data-list] li[data-code="CTY-01"] a.f-btn')).to_have_attribute("href", "/m/CTY-01/")
    page.locator('[data-kind=""]').click()
    page.locator('input[name="q"]').fill("通讯")
    expect(page.locator("[data-list] li")).to_have_count(2)
    expect(page.locator("[data-more]")).to_be_hidden()
    screenshot(page, "outlet-finder")


def test_a_halls_service_drills_down_to_its_days(new_page, city):
    page = signed_in_page(new_page, city, *WALL)
    page.goto("/city/")
    page.locator('[data-hall-row="CTY-02"]').click()

    page.locator('[data-services] tr[data-service="payment"]').click()

    expect(page.locator("[data-crumbs] .is-here")).to_have_text("缴费充值")
    expect(page.locator("[data-days] tr")).to_have_count(1)
    expect(page.locator("[data-days] tr").first).to_contain_text("200")
    page.locator('[data-crumb="hall"]').click()
    expect(page.locator("[data-crumbs] .is-here")).to_have_text("二七广场营业厅")
