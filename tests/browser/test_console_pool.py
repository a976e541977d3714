"""The console's pool (暂存) and work profile in Chromium: park the current
visit, see it in the pool list, call it back."""

from playwright.sync_api import expect

from queueing import services
from queueing.models import Ticket
from tests.browser.conftest import act
from tests.browser.test_console import button, issue, mode, number, open_counter, settled
from tests.queueing.factories import build_floor


def test_an_agent_parks_a_visit_and_calls_it_back_from_the_pool(new_page, screenshot):
    floor = build_floor()
    act(services.counter_profile_set, counter_id=floor.counter1.pk, profile="strict", actor=None,
        services=[{"service": "enquiry"}, {"service": "payment"}])
    first = issue(floor, "payment")
    issue(floor, "payment")
    page = open_counter(new_page, floor)
    expect(page.locator("[data-profile]")).to_contain_text("按业务顺序")

    button(page, "call-next").click()
    expect(number(page)).to_have_text(first.number)
    button(page, "park").click()
    page.locator("[data-park-minutes]").select_option("10")
    page.locator('[data-park-to="agent"]').click()

    expect(mode(page)).to_have_attribute("data-mode", "idle")
    item = page.locator(f'[data-pool-number="{first.number}"]')
    expect(item).to_contain_text("我的 Mine")
    expect(item).to_contain_text("返回 Back")
    assert Ticket.objects.get(pk=first.pk).parked
    button(page, "call-next").click()
    expect(number(page)).to_have_text("A002")  # the line, not the pool: not due yet
    button(page, "start").click()
    settled(page, 5)
    screenshot(page, "console-pool")
    button(page, "finish").click()
    settled(page, 6)

    item.locator("[data-pool-call]").click()

    expect(number(page)).to_have_text(first.number)
    expect(page.locator("[data-pool]")).to_be_hidden()
    first.refresh_from_db()
    assert (first.status, first.parked, first.counter_id) == ("called", False, floor.counter1.pk)
