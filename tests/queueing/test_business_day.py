"""The queue's business day (CONTRACT.md): a ticket never outlives its day.
When a hall closes (closing time plus QUEUE_CLOSE_GRACE_MINUTES; a 24-hour
hall at QUEUE_DAY_ENDS_AT) its waiting and called tickets are cancelled
("day_closed"), each with an event and a text to a holder who gave a phone,
and its counters closed; and no live read ever sees an earlier day's ticket,
even before the closing task has run. The clock is time-machine's."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from halls.models import CounterState
from queueing import services
from queueing.models import CancelReason, CounterEvent, Ticket, TicketEvent, TicketStatus, WaitingLine
from queueing.selectors import hall_waiting_positions, service_summaries, ticket_progress
from sms.models import SmsMessage
from tests.locks import lock_timeout, rows_locked_elsewhere
from tests.queueing.factories import build_floor

SHANGHAI = ZoneInfo("Asia/Shanghai")
PHONE = "13800138000"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of December 2026 in the hall's time zone (the 7th is a Monday)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def daytime(db):
    """A hall open 08:00-19:00 every day; its day closes at 19:30."""
    return build_floor(hours=(time(8), time(19)), code="DAY-1")


@pytest.fixture
def around_the_clock(db):
    """A hall open 24 hours every day; its day closes at 04:00."""
    return build_floor(code="NIGHT-1")


def take(floor, *, phone="", service="payment"):
    return services.ticket_issue(outlet=floor.hall, service_code=service, channel="mobile" if phone else "kiosk",
                                 phone=phone)[0]


def call(floor, counter=None):
    counter = counter or floor.counter1
    return services.ticket_call_next(counter_id=counter.pk, actor=floor.agent)


def waiting_count(floor, service="payment") -> int:
    return {s["code"]: s["waiting"] for s in service_summaries(outlet_id=floor.hall.pk)}[service]


# --- The close ---------------------------------------------------------------------------


def test_nothing_closes_before_the_grace_ends(daytime):
    with time_machine.travel(at(7, 18, 50), tick=False):
        ticket = take(daytime)

    with time_machine.travel(at(7, 19, 29), tick=False):
        assert services.business_days_close() == 0

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING


def test_at_closing_time_plus_the_grace_waiting_and_called_tickets_are_cancelled(daytime):
    with time_machine.travel(at(7, 18, 50), tick=False):
        called = take(daytime)
        waiting = take(daytime)
        services.counter_open(counter_id=daytime.counter1.pk, user=daytime.agent)
        call(daytime)

    with time_machine.travel(at(7, 19, 31), tick=False):
        assert services.business_days_close() == 2

    for ticket in (called, waiting):
        ticket.refresh_from_db()
        assert (ticket.status, ticket.cancel_reason) == (TicketStatus.CANCELLED, CancelReason.DAY_CLOSED)
        assert ticket.finished_at == at(7, 19, 30)


def test_each_ticket_closed_with_the_day_has_its_event(daytime):
    with time_machine.travel(at(7, 18, 50), tick=False):
        ticket = take(daytime)

    with time_machine.travel(at(7, 19, 31), tick=False):
        services.business_days_close()

    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert (event.kind, event.from_status, event.to_status) == ("cancelled", "waiting", "cancelled")
    assert event.detail == {"reason": "day_closed"} and event.at == at(7, 19, 30)


def test_a_holder_who_gave_a_phone_is_told_the_day_closed(daytime):
    with time_machine.travel(at(7, 18, 50), tick=False):
        ticket = take(daytime, phone=PHONE)
        take(daytime)

    with time_machine.travel(at(7, 19, 31), tick=False):
        services.business_days_close()

    [text] = SmsMessage.objects.filter(purpose="ticket_day_closed")
    assert text.to == PHONE and ticket.number in text.text


def test_a_customer_being_served_at_closing_time_is_left_to_finish(daytime):
    with time_machine.travel(at(7, 18, 50), tick=False):
        take(daytime)
        services.counter_open(counter_id=daytime.counter1.pk, user=daytime.agent)
        served = call(daytime)
        services.ticket_start(counter_id=daytime.counter1.pk, actor=daytime.agent)

    with time_machine.travel(at(7, 19, 31), tick=False):
        services.business_days_close()

    served.refresh_from_db()
    daytime.counter1.refresh_from_db()
    assert served.status == TicketStatus.SERVING
    assert daytime.counter1.state == CounterState.OPEN


def test_the_halls_counters_close_with_the_day(daytime):
    with time_machine.travel(at(7, 9), tick=False):
        services.counter_open(counter_id=daytime.counter1.pk, user=daytime.agent)
        services.counter_open(counter_id=daytime.counter2.pk, user=daytime.agent2)
        services.counter_pause(counter_id=daytime.counter2.pk, actor=daytime.agent2)

    with time_machine.travel(at(7, 19, 31), tick=False):
        services.business_days_close()

    for counter in (daytime.counter1, daytime.counter2):
        counter.refresh_from_db()
        assert (counter.state, counter.signed_in_user) == (CounterState.CLOSED, None)
    assert CounterEvent.objects.filter(kind="closed", reason="day_closed").count() == 2


def test_closing_is_idempotent(daytime):
    with time_machine.travel(at(7, 18, 50), tick=False):
        ticket = take(daytime, phone=PHONE)

    with time_machine.travel(at(7, 19, 31), tick=False):
        services.business_days_close()
        again = services.business_days_close()

    assert again == 0
    assert TicketEvent.objects.filter(ticket=ticket, kind="cancelled").count() == 1
    assert SmsMessage.objects.filter(purpose="ticket_day_closed").count() == 1


def test_the_closing_task_runs_every_minute():
    entry = next(e for e in django_settings.CELERY_BEAT_SCHEDULE.values()
                 if e["task"] == "queueing.tasks.business_days_close")

    assert entry["schedule"] == 60.0


def test_the_closing_task_closes_the_day(daytime, celery_eager):
    from queueing.tasks import business_days_close

    with time_machine.travel(at(7, 18, 50), tick=False):
        ticket = take(daytime)

    with time_machine.travel(at(7, 19, 31), tick=False):
        business_days_close.delay()

    ticket.refresh_from_db()
    assert ticket.cancel_reason == CancelReason.DAY_CLOSED


# --- A hall open 24 hours ------------------------------------------------------------------


def test_a_24_hour_halls_day_closes_at_the_day_end(around_the_clock, settings):
    settings.QUEUE_DAY_ENDS_AT = "04:00"
    with time_machine.travel(at(8, 3, 50), tick=False):
        late = take(around_the_clock)  # the 7th's business day

    with time_machine.travel(at(8, 3, 59), tick=False):
        assert services.business_days_close() == 0
    with time_machine.travel(at(8, 4, 1), tick=False):
        assert services.business_days_close() == 1
        early = take(around_the_clock)

    late.refresh_from_db()
    assert (late.business_date.day, late.cancel_reason) == (7, CancelReason.DAY_CLOSED)
    assert (early.business_date.day, early.number) == (8, "A001")


def test_a_24_hour_halls_counters_open_after_the_day_end_stay_open(around_the_clock):
    with time_machine.travel(at(8, 4, 5), tick=False):
        services.counter_open(counter_id=around_the_clock.counter1.pk, user=around_the_clock.agent)

    with time_machine.travel(at(8, 4, 10), tick=False):
        services.business_days_close()

    around_the_clock.counter1.refresh_from_db()
    assert around_the_clock.counter1.state == CounterState.OPEN


# --- Catching up -----------------------------------------------------------------------------


def test_a_missed_close_is_caught_up_at_the_days_own_closing_time(daytime):
    with time_machine.travel(at(7, 18, 50), tick=False):
        ticket = take(daytime, phone=PHONE)
    with time_machine.travel(at(8, 10), tick=False):
        take(daytime)  # the 8th's, still live

    with time_machine.travel(at(9, 10), tick=False):  # nothing ran for two days
        assert services.business_days_close() == 2

    ticket.refresh_from_db()
    assert ticket.finished_at == at(7, 19, 30)
    assert Ticket.objects.filter(status=TicketStatus.WAITING).count() == 0


def test_a_close_caught_up_hours_late_texts_nobody(daytime):
    with time_machine.travel(at(7, 18, 50), tick=False):
        take(daytime, phone=PHONE)

    with time_machine.travel(at(8, 7, 30), tick=False):
        services.business_days_close()

    assert not SmsMessage.objects.filter(purpose="ticket_day_closed").exists()


def test_a_closed_days_waiting_lines_are_dropped(daytime):
    with time_machine.travel(at(7, 18, 50), tick=False):
        take(daytime)

    with time_machine.travel(at(7, 19, 31), tick=False):
        services.business_days_close()

    assert not WaitingLine.objects.filter(outlet=daytime.hall).exists()


# --- The live path before the task has run -------------------------------------------------------


@pytest.fixture
def yesterdays_leftovers(daytime):
    """Two tickets of the 7th left waiting (one with a phone); the close never ran."""
    with time_machine.travel(at(7, 18, 50), tick=False):
        return [take(daytime, phone=PHONE), take(daytime)]


def test_the_next_morning_counts_only_todays_tickets(daytime, yesterdays_leftovers):
    with time_machine.travel(at(8, 8, 30), tick=False):
        take(daytime)

        assert waiting_count(daytime) == 1


def test_the_next_morning_call_next_takes_todays_ticket(daytime, yesterdays_leftovers):
    with time_machine.travel(at(8, 8, 30), tick=False):
        today = take(daytime)
        services.counter_open(counter_id=daytime.counter1.pk, user=daytime.agent)

        called = call(daytime)

    assert called.pk == today.pk and called.number == "A001"


def test_the_next_morning_nothing_waits_but_yesterdays_tickets_means_nothing_to_call(daytime, yesterdays_leftovers):
    with time_machine.travel(at(8, 8, 30), tick=False):
        services.counter_open(counter_id=daytime.counter1.pk, user=daytime.agent)

        assert call(daytime) is None


def test_places_in_line_leave_out_yesterdays_tickets(daytime, yesterdays_leftovers):
    with time_machine.travel(at(8, 8, 30), tick=False):
        today = take(daytime)

        positions = hall_waiting_positions(outlet_id=daytime.hall.pk)
        assert list(positions) == [today.pk] and positions[today.pk]["position"] == 1
        assert ticket_progress(today)["position"] == 1


def test_yesterdays_ticket_is_never_texted_near_its_turn(daytime, yesterdays_leftovers, settings):
    settings.QUEUE_NEAR_TURN_POSITION = 5
    with time_machine.travel(at(8, 8, 30), tick=False):
        sent = services.texts_near_turn_send(outlet_id=daytime.hall.pk)

    assert sent == 0


def test_yesterdays_ticket_shows_as_closed_to_its_holder(daytime, yesterdays_leftovers):
    leftover = yesterdays_leftovers[0]
    with time_machine.travel(at(8, 8, 30), tick=False):
        response = APIClient().get(f"/api/v1/tickets/{leftover.token}/")

    body = response.json()
    assert (body["status"], body["cancel_reason"], body["position"]) == ("cancelled", "day_closed", None)


def test_yesterdays_ticket_can_no_longer_be_cancelled_by_its_holder(daytime, yesterdays_leftovers):
    with time_machine.travel(at(8, 8, 30), tick=False):
        response = APIClient().post(f"/api/v1/tickets/{yesterdays_leftovers[0].token}/cancel/")

    assert response.status_code == 409


def test_a_called_ticket_left_at_a_counter_overnight_does_not_block_the_morning(daytime):
    with time_machine.travel(at(7, 18, 55), tick=False):
        take(daytime)
        services.counter_open(counter_id=daytime.counter1.pk, user=daytime.agent)
        left = call(daytime)
    with time_machine.travel(at(8, 8, 30), tick=False):
        today = take(daytime)

        called = call(daytime)

    left.refresh_from_db()
    assert called.pk == today.pk
    assert (left.status, left.cancel_reason) == (TicketStatus.CANCELLED, CancelReason.DAY_CLOSED)


def test_a_daytime_hall_after_midnight_has_no_live_tickets_of_the_evening(daytime):
    with time_machine.travel(at(7, 18, 50), tick=False):
        take(daytime)

    with time_machine.travel(at(8, 0, 30), tick=False):
        assert waiting_count(daytime) == 0


def test_a_24_hour_hall_counts_and_calls_across_midnight(around_the_clock):
    with time_machine.travel(at(7, 23, 50), tick=False):
        before = take(around_the_clock)
    with time_machine.travel(at(8, 0, 10), tick=False):
        after = take(around_the_clock)
        services.counter_open(counter_id=around_the_clock.counter1.pk, user=around_the_clock.agent)

        assert waiting_count(around_the_clock) == 2
        assert call(around_the_clock).pk == before.pk
    assert after.number == "A002"


# --- Why a ticket was cancelled -------------------------------------------------------------------


def test_a_ticket_its_holder_cancels_says_so(floor):
    ticket = take(floor)

    services.ticket_cancel(token=ticket.token)

    ticket.refresh_from_db()
    assert ticket.cancel_reason == CancelReason.CUSTOMER


def test_staff_cancel_a_waiting_ticket_by_its_number(floor):
    ticket = take(floor)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=floor.agent).key}")

    response = api.post(f"/api/v1/halls/{floor.hall.code}/tickets/{ticket.number}/cancel/")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancel_reason"]) == ("cancelled", "staff")
    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert event.actor == floor.agent


def test_staff_of_another_hall_cannot_cancel_a_ticket(floor):
    ticket = take(floor)
    other = build_floor(code="ELSEWHERE")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=other.agent).key}")

    response = api.post(f"/api/v1/halls/{floor.hall.code}/tickets/{ticket.number}/cancel/")

    assert response.status_code == 403


def test_cancelling_a_number_today_does_not_have_is_a_404(floor):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=floor.agent).key}")

    response = api.post(f"/api/v1/halls/{floor.hall.code}/tickets/A999/cancel/")

    assert response.status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_close_passes_over_a_ticket_locked_elsewhere_and_takes_it_next_time(on_postgres):
    hall = build_floor(hours=(time(8), time(19)), code="DAY-LOCK")
    with time_machine.travel(at(7, 18, 50), tick=False):
        busy = take(hall)
        take(hall)

    with time_machine.travel(at(7, 19, 31), tick=False):
        with rows_locked_elsewhere(Ticket, id=busy.pk), lock_timeout(1.0):
            first = services.business_days_close()
        second = services.business_days_close()

    assert (first, second) == (1, 1)
    assert set(Ticket.objects.values_list("cancel_reason", flat=True)) == {CancelReason.DAY_CLOSED}


def test_the_ticket_page_of_yesterdays_ticket_says_the_hall_closed_for_the_day(daytime, yesterdays_leftovers, client):
    with time_machine.travel(at(8, 8, 30), tick=False):
        page = client.get(f"/t/{yesterdays_leftovers[0].token}/").content.decode()

    assert 'data-phase="closed"' in page and "今日已结束营业" in page
