from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from halls.models import HallService
from queueing.errors import DailyCapReached, PhoneLimitReached
from queueing.models import Ticket, TicketEvent, TicketSequence
from queueing.services import ticket_issue
from tests.queueing.factories import build_floor
from tests.threads import run_in_threads

SHANGHAI = ZoneInfo("Asia/Shanghai")


def issue(floor, service="payment", **kwargs):
    kwargs.setdefault("channel", "kiosk")
    ticket, _ = ticket_issue(outlet=floor.hall, service_code=service, **kwargs)
    return ticket


@pytest.mark.smoke
def test_numbers_follow_the_service_prefix_in_sequence(floor):
    numbers = [issue(floor).number for _ in range(3)]

    assert numbers == ["A001", "A002", "A003"]


def test_each_prefix_has_its_own_sequence(floor):
    issue(floor, "payment")

    enquiry = issue(floor, "enquiry")

    assert enquiry.number == "H001"


def test_a_24_hour_hall_numbers_on_past_midnight(floor):
    # The floor's hall is open 24 hours: its day ends at QUEUE_DAY_ENDS_AT (04:00).
    day1 = datetime(2026, 11, 24, 23, 59, tzinfo=SHANGHAI)
    issue(floor, now=day1)

    after_midnight = issue(floor, now=day1 + timedelta(minutes=2))

    assert after_midnight.number == "A002"
    assert after_midnight.business_date.isoformat() == "2026-11-24"


def test_a_24_hour_hall_starts_numbering_again_when_its_day_ends(floor, settings):
    settings.QUEUE_DAY_ENDS_AT = "04:00"
    night = datetime(2026, 11, 25, 3, 59, tzinfo=SHANGHAI)
    issue(floor, now=night)
    issue(floor, now=night)

    next_day = issue(floor, now=night + timedelta(minutes=2))

    assert next_day.number == "A001"
    assert next_day.business_date.isoformat() == "2026-11-25"


def test_a_daytime_hall_starts_numbering_again_each_morning(db):
    floor = build_floor(hours=(time(8), time(19)))
    issue(floor, now=datetime(2026, 11, 24, 18, 59, tzinfo=SHANGHAI))

    morning = issue(floor, now=datetime(2026, 11, 25, 8, 0, tzinfo=SHANGHAI))

    assert (morning.number, morning.business_date.isoformat()) == ("A001", "2026-11-25")


def test_business_day_is_the_halls_local_date_not_utc(floor):
    # 23:30 UTC on the 24th is 07:30 on the 25th in Zhengzhou.
    ticket = issue(floor, now=datetime(2026, 11, 24, 23, 30, tzinfo=ZoneInfo("UTC")))

    assert ticket.business_date.isoformat() == "2026-11-25"


def test_numbers_past_999_keep_counting(floor):
    issue(floor)
    TicketSequence.objects.filter(outlet=floor.hall, prefix="A").update(last_number=999)

    assert issue(floor).number == "A1000"


def test_a_refused_issue_does_not_use_up_a_number(floor):
    HallService.objects.filter(outlet=floor.hall, service=floor.payment).update(daily_cap=2)
    issue(floor)
    issue(floor)
    with pytest.raises(DailyCapReached):
        issue(floor)
    HallService.objects.filter(outlet=floor.hall, service=floor.payment).update(daily_cap=3)

    assert issue(floor).number == "A003"


def test_issuing_records_an_issued_event(floor):
    ticket = issue(floor, channel="mobile", phone="13800138000")

    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.kind, event.from_status, event.to_status) == ("issued", "", "waiting")
    assert event.detail == {"channel": "mobile", "priority": "normal"}


def test_the_same_idempotency_key_returns_the_first_ticket(floor):
    first, created_first = ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk",
                                        idempotency_key="k-1")

    again, created_again = ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk",
                                        idempotency_key="k-1")

    assert (created_first, created_again) == (True, False)
    assert again.pk == first.pk
    assert Ticket.objects.count() == 1


# --- Under concurrency (PostgreSQL) --------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_many_kiosks_issuing_at_once_get_unique_consecutive_numbers(on_postgres):
    floor = build_floor()

    results, errors = run_in_threads(24, lambda i: [issue(floor).number for _ in range(10)])

    assert errors == []
    numbers = sorted(n for batch in results for n in batch)
    assert numbers == [f"A{i:03d}" for i in range(1, 241)]


@pytest.mark.django_db(transaction=True)
def test_the_same_idempotency_key_sent_concurrently_gives_one_ticket(on_postgres):
    floor = build_floor()

    results, errors = run_in_threads(
        16, lambda i: ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk",
                                   idempotency_key="same-key")[0].pk
    )

    assert errors == []
    assert len(set(results)) == 1
    assert Ticket.objects.count() == 1
    # The losers' numbers were given back: the next ticket is A002.
    assert issue(floor).number == "A002"


@pytest.mark.django_db(transaction=True)
def test_eight_mobile_tickets_for_one_phone_at_once_stop_at_the_daily_limit(on_postgres, settings):
    settings.QUEUE_PHONE_DAILY_LIMIT = 5
    floor = build_floor()

    results, errors = run_in_threads(8, lambda i: ticket_issue(
        outlet=floor.hall, service_code="payment", channel="mobile", phone="13800138000")[0].pk)

    assert len(results) == 5
    assert len(errors) == 3 and all(isinstance(e, PhoneLimitReached) for e in errors)
    assert Ticket.objects.filter(phone="13800138000").count() == 5


def test_an_idempotency_key_reused_for_another_phone_is_refused(floor):
    from queueing.errors import IdempotencyKeyReused

    ticket_issue(outlet=floor.hall, service_code="payment", channel="mobile", phone="13800138000",
                 idempotency_key="guessable")

    with pytest.raises(IdempotencyKeyReused):
        ticket_issue(outlet=floor.hall, service_code="payment", channel="mobile", phone="13900139000",
                     idempotency_key="guessable")
