"""Generated history in the queue's tables follows the live rules: statuses
and their events, numbers, business days, counters; it never touches the
live day, skips days already there, and comes out the same from a seed."""

from collections import defaultdict
from datetime import date, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction

from queueing.days import business_day_of, halls_with_hours
from queueing.models import CounterEvent, Ticket, TicketEvent, TicketSequence, TicketStatus
from queueing.planning.history import hall_profile, simulate_day
from queueing.planning.models import HistoryDay
from queueing.planning.selectors import hall_setup
from queueing.planning.services import history_generate
from queueing.planning.services.history import _write_day
from queueing.services import ticket_issue
from tests.planning.factories import SEED, at, build_hall

MONDAY = date(2026, 11, 9)
NOW = at(date(2026, 11, 20), 10)  # a Friday morning, the hall open

# What each kind of event does to a ticket: (from, to).
TRANSITIONS = {
    "issued": {("", "waiting")},
    "called": {("waiting", "called")},
    "recalled": {("called", "called")},
    "started": {("called", "serving")},
    "finished": {("serving", "done")},
    "no_show": {("called", "no_show")},
    "cancelled": {("waiting", "cancelled"), ("called", "cancelled")},
}
AT_A_COUNTER = {"called", "recalled", "started", "finished", "no_show"}


@pytest.fixture
def hall(db):
    return build_hall()


@pytest.fixture
def week(hall):
    """Monday to Sunday of generated history."""
    history_generate(outlet_ids=[hall.pk], start=MONDAY, end=MONDAY + timedelta(days=6), seed=SEED, now=NOW)
    return hall


def events_by_ticket(hall):
    events = defaultdict(list)
    for event in TicketEvent.objects.filter(outlet=hall).order_by("at", "id"):
        events[event.ticket_id].append(event)
    return events


def history_rows(hall) -> dict:
    """Everything generated for the hall, as plain values (no ids)."""
    return {
        "tickets": list(Ticket.objects.filter(outlet=hall).order_by("business_date", "prefix", "sequence").values_list(
            "business_date", "number", "token", "service__code", "status", "cancel_reason", "priority", "channel",
            "counter__number", "call_count", "issued_at", "first_called_at", "called_at", "started_at",
            "finished_at")),
        "events": list(TicketEvent.objects.filter(outlet=hall).order_by(
            "ticket__business_date", "ticket__prefix", "ticket__sequence", "at", "id").values_list(
            "ticket__number", "kind", "from_status", "to_status", "service__code", "counter__number", "at", "detail")),
        "counter_events": list(CounterEvent.objects.filter(outlet=hall).order_by("counter__number", "at", "id")
                               .values_list("counter__number", "kind", "from_state", "to_state", "reason", "at")),
        "sequences": sorted(TicketSequence.objects.filter(outlet=hall).values_list("business_date", "prefix",
                                                                                   "last_number")),
    }


# --- What is written -------------------------------------------------------------------


def test_a_week_of_history_has_tickets_events_counter_events_and_numbers(week):
    days = set(Ticket.objects.filter(outlet=week).values_list("business_date", flat=True))

    assert days == {MONDAY + timedelta(days=i) for i in range(7)}
    assert Ticket.objects.filter(outlet=week).count() > 7 * 200
    assert CounterEvent.objects.filter(outlet=week).exists()
    assert HistoryDay.objects.filter(outlet=week).count() == 7


def test_every_tickets_events_lead_from_issued_to_its_status(week):
    events = events_by_ticket(week)

    for ticket in Ticket.objects.filter(outlet=week):
        chain = events[ticket.pk]
        assert chain[0].kind == "issued"
        for before, after in zip(chain, chain[1:], strict=False):
            assert after.from_status == before.to_status, ticket.number
        for event in chain:
            assert (event.from_status, event.to_status) in TRANSITIONS[event.kind], (ticket.number, event.kind)
            assert event.counter_id == (ticket.counter_id if event.kind in AT_A_COUNTER else None)
            assert event.service_id == ticket.service_id
        assert chain[-1].to_status == ticket.status


def test_ticket_times_are_those_of_their_events(week):
    events = events_by_ticket(week)

    for ticket in Ticket.objects.filter(outlet=week):
        chain = events[ticket.pk]
        when = {e.kind: e.at for e in chain}
        calls = [e.at for e in chain if e.kind in ("called", "recalled")]
        assert [e.at for e in chain] == sorted(e.at for e in chain)
        assert ticket.issued_at == when["issued"]
        assert ticket.first_called_at == when.get("called")
        assert ticket.called_at == (calls[-1] if calls else None)
        assert ticket.call_count == len(calls)
        assert ticket.started_at == when.get("started")
        assert ticket.finished_at == when.get("finished", when.get("no_show", when.get("cancelled")))


def test_only_cancelled_tickets_have_a_reason_and_they_all_do(week):
    tickets = Ticket.objects.filter(outlet=week)

    assert not tickets.filter(status=TicketStatus.CANCELLED, cancel_reason__isnull=True).exists()
    assert not tickets.exclude(status=TicketStatus.CANCELLED).filter(cancel_reason__isnull=False).exists()
    assert set(tickets.values_list("status", flat=True)) >= {"done", "no_show", "cancelled"}
    assert tickets.filter(cancel_reason="customer").exists()


def test_numbers_run_from_one_without_gaps_per_prefix_and_day_and_the_sequence_holds_the_last(week):
    numbers = defaultdict(list)
    for day, prefix, sequence, number in Ticket.objects.filter(outlet=week).values_list(
            "business_date", "prefix", "sequence", "number"):
        numbers[day, prefix].append(sequence)
        assert number == f"{prefix}{sequence:03d}"
    sequences = {(d, p): n for d, p, n in TicketSequence.objects.filter(outlet=week).values_list(
        "business_date", "prefix", "last_number")}

    for key, taken in numbers.items():
        assert sorted(taken) == list(range(1, len(taken) + 1)), key
        assert sequences[key] == len(taken)
    assert set(sequences) == set(numbers)


def test_numbers_are_taken_in_the_order_customers_arrive(week):
    lines = defaultdict(list)
    for day, prefix, issued in Ticket.objects.filter(outlet=week).order_by("sequence").values_list(
            "business_date", "prefix", "issued_at"):
        lines[day, prefix].append(issued)

    assert all(issued == sorted(issued) for issued in lines.values())


def test_waits_are_never_negative(week):
    for issued, called in Ticket.objects.filter(outlet=week, first_called_at__isnull=False).values_list(
            "issued_at", "first_called_at"):
        assert called >= issued


def test_every_ticket_belongs_to_the_business_day_it_was_taken_on(week):
    outlet = halls_with_hours([week.pk])[week.pk]
    setup = hall_setup(outlet_id=week.pk)

    for day, issued in Ticket.objects.filter(outlet=week).values_list("business_date", "issued_at"):
        assert business_day_of(outlet, issued) == day
        assert any(start <= issued < end for start, end in setup.window(day).opens)


def test_counters_open_and_close_in_turn_and_end_each_day_closed(week):
    by_counter = defaultdict(list)
    for event in CounterEvent.objects.filter(outlet=week).order_by("at", "id"):
        by_counter[event.counter_id].append(event)

    for events in by_counter.values():
        state = "closed"
        for event in events:
            assert event.from_state == state, event
            state = event.to_state
        assert state == "closed"
        assert {(e.kind, e.from_state, e.to_state) for e in events} <= {
            ("opened", "closed", "open"), ("paused", "open", "paused"), ("resumed", "paused", "open"),
            ("closed", "open", "closed"), ("closed", "paused", "closed"),
        }


def test_a_counter_serves_one_ticket_at_a_time_and_only_while_open(week):
    open_spans = defaultdict(list)
    for counter_id, kind, at_ in CounterEvent.objects.filter(outlet=week).order_by("at", "id").values_list(
            "counter_id", "kind", "at"):
        if kind in ("opened", "resumed"):
            open_spans[counter_id].append([at_, None])
        else:
            open_spans[counter_id][-1][1] = at_
    served = defaultdict(list)
    for counter_id, called, finished in Ticket.objects.filter(outlet=week, counter__isnull=False).values_list(
            "counter_id", "first_called_at", "finished_at"):
        served[counter_id].append((called, finished))

    for counter_id, spans in served.items():
        spans.sort()
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert start >= end
        for start, end in spans:
            assert any(o <= start and end <= c for o, c in open_spans[counter_id])


# --- Which days ---------------------------------------------------------------------------


def test_the_live_day_and_later_are_never_generated(hall):
    thursday = date(2026, 11, 12)

    written = history_generate(outlet_ids=[hall.pk], start=date(2026, 11, 10), end=date(2026, 11, 14), seed=SEED,
                               now=at(thursday, 10))

    assert written.days == 2
    assert not Ticket.objects.filter(outlet=hall, business_date__gte=thursday).exists()


def test_generating_again_writes_nothing_and_changes_nothing(week):
    before = history_rows(week)

    written = history_generate(outlet_ids=[week.pk], start=MONDAY, end=MONDAY + timedelta(days=6), seed=SEED, now=NOW)

    assert (written.days, written.tickets, written.skipped) == (0, 0, 7)
    assert history_rows(week) == before


def test_a_day_with_tickets_of_its_own_is_skipped(hall):
    taken, _ = ticket_issue(outlet=hall, service_code="payment", channel="kiosk", now=at(MONDAY, 10))

    written = history_generate(outlet_ids=[hall.pk], start=MONDAY, end=MONDAY + timedelta(days=1), seed=SEED, now=NOW)

    assert (written.days, written.skipped) == (1, 1)
    assert list(Ticket.objects.filter(outlet=hall, business_date=MONDAY)) == [taken]


def test_a_day_the_hall_is_closed_has_no_history(db):
    holiday = MONDAY + timedelta(days=1)
    hall = build_hall(closed_on=(holiday,))

    written = history_generate(outlet_ids=[hall.pk], start=MONDAY, end=holiday, seed=SEED, now=NOW)

    assert (written.days, written.closed) == (1, 1)
    assert not Ticket.objects.filter(outlet=hall, business_date=holiday).exists()


def test_a_24_hour_halls_night_tickets_belong_to_the_day_before(db):
    hall = build_hall("T-N01", (("payment", "points"), ("payment", "enquiry"), ("new_line", "plan_change")),
                      all_day=True)

    history_generate(outlet_ids=[hall.pk], start=MONDAY, end=MONDAY, seed=SEED, now=NOW)

    night = Ticket.objects.filter(outlet=hall, issued_at__gte=at(MONDAY + timedelta(days=1), 0))
    assert night.exists()
    assert set(night.values_list("business_date", flat=True)) == {MONDAY}
    assert Ticket.objects.filter(outlet=hall).latest("issued_at").issued_at < at(MONDAY + timedelta(days=1), 4)


# --- From a seed ---------------------------------------------------------------------------


def generated_then_rolled_back(hall, **kwargs) -> dict:
    with transaction.atomic():
        history_generate(outlet_ids=[hall.pk], start=MONDAY, end=MONDAY + timedelta(days=1), now=NOW, **kwargs)
        rows = history_rows(hall)
        transaction.set_rollback(True)
    return rows


def test_the_same_seed_writes_the_same_history(hall):
    first = generated_then_rolled_back(hall, seed=SEED)

    second = generated_then_rolled_back(hall, seed=SEED)

    assert first == second and first["tickets"]


def test_another_seed_writes_another_history(hall):
    first = generated_then_rolled_back(hall, seed=SEED)

    second = generated_then_rolled_back(hall, seed=SEED + 1)

    assert first["tickets"] != second["tickets"]


def test_copy_and_bulk_create_write_the_same_rows(hall, on_postgres):
    setup = hall_setup(outlet_id=hall.pk)
    day = simulate_day(setup, hall_profile(setup, SEED), setup.window(MONDAY), seed=SEED)
    written = {}

    for copy in (True, False):
        with transaction.atomic():
            _write_day(setup, day, SEED, copy=copy)
            written[copy] = history_rows(hall)
            transaction.set_rollback(True)

    assert written[True] == written[False] and written[True]["events"]


# --- The command -----------------------------------------------------------------------------


def test_the_command_generates_history_for_the_halls_and_weeks_asked_for(hall, settings):
    settings.DEBUG = True
    out = StringIO()

    with time_machine.travel(NOW, tick=False):
        call_command("generate_history", "--hall", hall.code, "--weeks", "1", "--seed", "7", stdout=out)

    yesterday = NOW.date() - timedelta(days=1)
    assert set(Ticket.objects.filter(outlet=hall).values_list("business_date", flat=True)) == {
        yesterday - timedelta(days=i) for i in range(7)}
    assert set(HistoryDay.objects.filter(outlet=hall).values_list("seed", flat=True)) == {7}
    assert "7 days written" in out.getvalue()


def test_the_command_takes_a_date_range(hall, settings):
    settings.DEBUG = True

    with time_machine.travel(NOW, tick=False):
        call_command("generate_history", "--hall", hall.code, "--from", "2026-11-02", "--to", "2026-11-03",
                     stdout=StringIO())

    assert set(Ticket.objects.filter(outlet=hall).values_list("business_date", flat=True)) == {
        date(2026, 11, 2), date(2026, 11, 3)}


def test_the_command_refuses_a_database_with_debug_off_unless_forced(hall, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--force"):
        call_command("generate_history", "--hall", hall.code, "--weeks", "1", stdout=StringIO())
    with time_machine.travel(NOW, tick=False):
        call_command("generate_history", "--hall", hall.code, "--weeks", "1", "--force", stdout=StringIO())

    assert Ticket.objects.filter(outlet=hall).exists()


def test_the_command_names_a_hall_it_does_not_know(db, settings):
    settings.DEBUG = True

    with pytest.raises(CommandError, match="NOPE"):
        call_command("generate_history", "--hall", "NOPE", "--weeks", "1", stdout=StringIO())
