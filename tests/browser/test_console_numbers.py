"""The console's number tools in Chromium: 过号顺延 from the recent no-shows
and by typing a number, calling a chosen number with a reason, and issuing a
ticket for a customer at the counter."""

from playwright.sync_api import expect

from queueing.models import Ticket, TicketEvent, TicketStatus
from tests.browser.test_console import button, issue, number, open_counter, settled
from tests.queueing.factories import build_floor


def result(page):
    return page.locator("[data-number-result]")


def tools(page):
    """The number tools, opened."""
    page.locator("[data-number-tools] summary").click()
    return page


def test_a_no_show_who_comes_back_is_reinstated_from_the_recent_list(new_page, screenshot):
    floor = build_floor()
    missed = issue(floor)
    for _ in range(4):
        issue(floor)
    page = open_counter(new_page, floor)
    button(page, "call-next").click()
    expect(number(page)).to_have_text(missed.number)
    button(page, "no-show").click()
    settled(page, 3)

    expect(page.locator("[data-missed-count]")).to_have_text("过号 1")
    tools(page).locator(f'[data-reinstate="{missed.number}"]').click()

    expect(result(page)).to_contain_text(f"{missed.number} 已顺延")
    expect(result(page)).to_contain_text("前面还有 3 人")
    expect(page.locator(f'[data-reinstate="{missed.number}"]')).to_have_count(0)
    assert Ticket.objects.get(pk=missed.pk).status == TicketStatus.WAITING
    screenshot(page, "console-reinstated")


def test_a_typed_number_that_is_not_a_no_show_is_refused_with_the_reason(new_page):
    floor = build_floor()
    waiting = issue(floor)
    page = tools(open_counter(new_page, floor))

    page.locator("[data-number-input]").fill(waiting.number.lower())
    page.locator('[data-number-act="reinstate"]').click()

    expect(result(page)).to_contain_text("不是过号状态")
    assert Ticket.objects.get(pk=waiting.pk).status == TicketStatus.WAITING


def test_an_agent_calls_a_chosen_number_with_a_reason(new_page, screenshot):
    floor = build_floor()
    issue(floor)
    chosen = issue(floor)
    page = tools(open_counter(new_page, floor))

    page.locator("[data-number-input]").fill(chosen.number)
    page.locator('[data-number-act="call"]').click()
    screenshot(page, "console-call-chosen-reason")
    page.locator('[data-reason="老弱病残孕优先"]').click()

    expect(number(page)).to_have_text(chosen.number)
    event = TicketEvent.objects.get(ticket=chosen, kind="called")
    assert event.detail == {"out_of_order": True, "reason": "老弱病残孕优先"}


def test_the_space_key_in_the_reason_dialog_calls_nobody(new_page):
    floor = build_floor()
    issue(floor)
    chosen = issue(floor)
    page = tools(open_counter(new_page, floor))
    page.locator("[data-number-input]").fill(chosen.number)
    page.locator('[data-number-act="call"]').click()

    page.keyboard.press("Space")  # on the first option: picks it, nothing else
    expect(number(page)).to_have_text(chosen.number)

    assert Ticket.objects.filter(status=TicketStatus.CALLED).count() == 1


def test_an_agent_issues_a_care_ticket_for_a_customer_at_the_counter(new_page):
    floor = build_floor()
    page = tools(open_counter(new_page, floor))

    page.locator("[data-issue-open]").click()
    page.locator('input[name="issue-priority"][value="care"]').check()
    page.locator('[data-issue-service="enquiry"]').click()

    expect(result(page)).to_contain_text("已取号 H001")
    ticket = Ticket.objects.get(number="H001", outlet=floor.hall)
    assert (ticket.channel, ticket.priority, ticket.issued_by_id) == ("staff", "care", floor.agent.pk)
