"""Presence: a holder who steps away (暂离) is passed over and keeps their
place; a phone ticket is called only once its holder has checked in, keeps
its place for a grace after its turn came, and is placed a few back when
later; places in line follow the order tickets are really called in."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from config.api import InvalidInput
from queueing import services
from queueing.errors import (
    AlreadyAway,
    HallKeyExpired,
    HallKeyInvalid,
    IllegalTransition,
    NotArrived,
    NotAway,
    OtherHallTicket,
    StepAwayLimit,
    TicketNotFound,
    TooFar,
)
from queueing.models import Ticket, TicketEvent
from queueing.selectors import hall_line, service_summaries, ticket_position, ticket_progress
from tests.queueing.factories import build_floor

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2027, 3, 10, 10, 0, tzinfo=SHANGHAI)  # a Wednesday morning


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def later(clock, minutes):
    clock.move_to(timezone.now() + timedelta(minutes=minutes))


def take(floor, *, phone="", service="payment"):
    channel = "mobile" if phone else "kiosk"
    ticket = services.ticket_issue(outlet=floor.hall, service_code=service, channel=channel, phone=phone)[0]
    return ticket


def call(floor, counter=None):
    counter = counter or floor.counter2  # payment only
    return services.ticket_call_next(counter_id=counter.pk, actor=floor.agent)


def finish(floor, counter=None):
    counter = counter or floor.counter2
    services.ticket_start(counter_id=counter.pk, actor=floor.agent)
    services.ticket_finish(counter_id=counter.pk, actor=floor.agent)


def open_counter(floor, counter=None):
    services.counter_open(counter_id=(counter or floor.counter2).pk, user=floor.agent)


def kinds(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))


# --- Stepping away -------------------------------------------------------------------


def test_a_ticket_away_is_passed_over(floor, clock):
    away = take(floor)
    behind = take(floor)
    services.ticket_step_away(token=away.token, minutes=10)
    open_counter(floor)

    called = call(floor)

    assert called.pk == behind.pk


def test_a_ticket_back_from_away_is_called_before_those_behind_it(floor, clock):
    away = take(floor)
    take(floor)
    later(clock, 1)
    behind = [take(floor), take(floor)]
    services.ticket_step_away(token=away.token, minutes=5)
    open_counter(floor)
    call(floor)
    finish(floor)
    later(clock, 6)

    called = call(floor)

    assert called.pk == away.pk
    assert called.queued_at == away.queued_at
    assert Ticket.objects.get(pk=behind[0].pk).status == "waiting"


def test_coming_back_early_makes_the_ticket_callable_at_once(floor, clock):
    away = take(floor)
    take(floor)
    services.ticket_step_away(token=away.token, minutes=15)
    later(clock, 2)
    services.ticket_come_back(token=away.token)
    open_counter(floor)

    called = call(floor)

    assert called.pk == away.pk


def test_stepping_away_and_back_are_in_the_event_log(floor, clock):
    ticket = take(floor)

    services.ticket_step_away(token=ticket.token, minutes=10)
    later(clock, 4)
    services.ticket_come_back(token=ticket.token)

    events = list(TicketEvent.objects.filter(ticket=ticket).order_by("id"))
    assert [e.kind for e in events] == ["issued", "stepped_away", "came_back"]
    assert events[1].detail["minutes"] == 10
    assert events[2].detail["early_seconds"] == 6 * 60


def test_a_ticket_steps_away_at_most_the_allowed_times(floor, clock, settings):
    settings.QUEUE_STEP_AWAY_MAX_TIMES = 1
    ticket = take(floor)
    services.ticket_step_away(token=ticket.token, minutes=5)
    later(clock, 6)

    with pytest.raises(StepAwayLimit):
        services.ticket_step_away(token=ticket.token, minutes=5)


def test_stepping_away_longer_than_the_setting_allows_is_refused(floor, clock, settings):
    settings.QUEUE_STEP_AWAY_MAX_MINUTES = 10
    ticket = take(floor)

    with pytest.raises(InvalidInput):
        services.ticket_step_away(token=ticket.token, minutes=15)
    assert services.step_away_choices() == [5, 10]


def test_a_ticket_already_away_cannot_step_away_again(floor, clock, settings):
    settings.QUEUE_STEP_AWAY_MAX_TIMES = 3
    ticket = take(floor)
    services.ticket_step_away(token=ticket.token, minutes=5)

    with pytest.raises(AlreadyAway):
        services.ticket_step_away(token=ticket.token, minutes=5)


def test_a_called_ticket_cannot_step_away(floor, clock):
    ticket = take(floor)
    open_counter(floor)
    call(floor)

    with pytest.raises(IllegalTransition):
        services.ticket_step_away(token=ticket.token, minutes=5)


def test_a_phone_ticket_not_checked_in_cannot_step_away(floor, clock):
    ticket = take(floor, phone="13800138000")

    with pytest.raises(NotArrived):
        services.ticket_step_away(token=ticket.token, minutes=5)


def test_coming_back_without_being_away_is_refused(floor, clock):
    ticket = take(floor)
    services.ticket_step_away(token=ticket.token, minutes=5)
    later(clock, 5)

    with pytest.raises(NotAway):
        services.ticket_come_back(token=ticket.token)


def test_the_ticket_shows_until_when_its_holder_is_away(floor, clock):
    ticket = take(floor)
    services.ticket_step_away(token=ticket.token, minutes=10)

    progress = ticket_progress(Ticket.objects.select_related("outlet").get(pk=ticket.pk))

    assert progress["away_until"] == "2027-03-10T10:10:00+08:00"
    assert progress["step_away_left"] == 0


def test_the_step_away_queues_the_refresh_for_when_it_ends(floor, clock, django_capture_on_commit_callbacks,
                                                            monkeypatch):
    queued = []
    monkeypatch.setattr("queueing.services.presence.enqueue", lambda name, *args, countdown=None:
                        queued.append((name, args, countdown)))
    ticket = take(floor)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_step_away(token=ticket.token, minutes=5)

    assert queued == [("queueing.tasks.ticket_away_over", (ticket.pk,), 300)]


def test_the_refresh_when_a_step_away_ends_says_something_only_once_it_is_over(floor, clock):
    ticket = take(floor)
    services.ticket_step_away(token=ticket.token, minutes=5)

    early = services.ticket_away_over(ticket_id=ticket.pk)
    later(clock, 5)
    over = services.ticket_away_over(ticket_id=ticket.pk)

    assert (early, over) == (False, True)


# --- Remote tickets and arrival -------------------------------------------------------


def test_a_phone_ticket_is_not_called_until_its_holder_checks_in(floor, clock):
    remote = take(floor, phone="13800138000")
    open_counter(floor)

    nothing = call(floor)
    services.ticket_check_in_at_hall(outlet=floor.hall, token=remote.token)
    called = call(floor)

    assert nothing is None
    assert called.pk == remote.pk


def test_a_phone_ticket_at_a_hall_without_remote_check_in_is_called_directly(db, clock):
    floor = build_floor()
    floor.hall.remote_check_in = False
    floor.hall.save(update_fields=["remote_check_in"])
    remote = take(floor, phone="13800138000")
    open_counter(floor)

    called = call(floor)

    assert remote.awaiting_arrival is False
    assert called.pk == remote.pk


def test_call_next_notes_when_it_first_passed_over_a_ticket_not_arrived(floor, clock):
    remote = take(floor, phone="13800138000")
    take(floor)
    take(floor)
    open_counter(floor)
    call(floor)
    finish(floor)
    first_passed = timezone.now()
    later(clock, 3)

    call(floor)

    assert Ticket.objects.get(pk=remote.pk).passed_over_at == first_passed


def test_call_next_does_not_mark_a_ticket_not_arrived_behind_the_one_it_calls(floor, clock):
    take(floor)
    remote = take(floor, phone="13800138000")
    open_counter(floor)

    call(floor)

    assert Ticket.objects.get(pk=remote.pk).passed_over_at is None


def test_a_ticket_checked_in_within_the_grace_keeps_its_place(floor, clock, settings):
    settings.QUEUE_ARRIVAL_GRACE_MINUTES = 10
    remote = take(floor, phone="13800138000")
    take(floor)
    take(floor)
    open_counter(floor)
    call(floor)
    finish(floor)
    later(clock, 9)

    checked = services.ticket_check_in_at_hall(outlet=floor.hall, token=remote.token)
    called = call(floor)

    assert checked.queued_at == remote.queued_at
    assert called.pk == remote.pk
    assert "placed_late" not in kinds(remote)


def test_a_ticket_checked_in_after_the_grace_is_placed_after_the_next_few(floor, clock, settings):
    settings.QUEUE_ARRIVAL_GRACE_MINUTES = 10
    settings.QUEUE_REINSTATE_PLACES = 3
    remote = take(floor, phone="13800138000")
    others = []
    for _ in range(6):
        later(clock, 0.1)
        others.append(take(floor))
    open_counter(floor)
    call(floor)  # others[0]; the remote ticket is passed over
    finish(floor)
    later(clock, 11)

    services.ticket_check_in_at_hall(outlet=floor.hall, token=remote.token)
    order = []
    for _ in range(5):
        order.append(call(floor).pk)
        finish(floor)

    assert order == [others[1].pk, others[2].pk, others[3].pk, remote.pk, others[4].pk]
    assert kinds(remote)[:3] == ["issued", "checked_in", "placed_late"]
    assert Ticket.objects.get(pk=remote.pk).issued_at == remote.issued_at


def test_checking_in_is_logged_with_how(floor, clock):
    remote = take(floor, phone="13800138000")

    services.ticket_check_in_at_hall(outlet=floor.hall, token=remote.token)

    event = TicketEvent.objects.get(ticket=remote, kind="checked_in")
    assert event.detail == {"how": "kiosk"}
    assert Ticket.objects.get(pk=remote.pk).arrived_at == timezone.now()


def test_a_kiosk_checks_in_by_number_and_the_phones_last_four_digits(floor, clock):
    remote = take(floor, phone="13800138000")

    checked = services.ticket_check_in_at_hall(outlet=floor.hall, number=remote.number.lower(), phone_last4="8000")

    assert checked.pk == remote.pk and checked.awaiting_arrival is False


def test_the_wrong_last_four_digits_find_no_ticket(floor, clock):
    remote = take(floor, phone="13800138000")

    with pytest.raises(TicketNotFound):
        services.ticket_check_in_at_hall(outlet=floor.hall, number=remote.number, phone_last4="1234")
    assert Ticket.objects.get(pk=remote.pk).awaiting_arrival is True


def test_another_halls_ticket_is_not_checked_in_here(floor, clock):
    other = build_floor()
    remote = take(other, phone="13800138000")

    with pytest.raises(OtherHallTicket):
        services.ticket_check_in_at_hall(outlet=floor.hall, token=remote.token)


def test_a_ticket_no_longer_waiting_is_not_checked_in(floor, clock):
    remote = take(floor, phone="13800138000")
    services.ticket_cancel(token=remote.token)

    with pytest.raises(IllegalTransition):
        services.ticket_check_in_at_hall(outlet=floor.hall, token=remote.token)


def test_checking_in_twice_changes_nothing_more(floor, clock):
    remote = take(floor, phone="13800138000")
    services.ticket_check_in_at_hall(outlet=floor.hall, token=remote.token)
    later(clock, 1)

    services.ticket_check_in_at_hall(outlet=floor.hall, token=remote.token)

    assert kinds(remote).count("checked_in") == 1


def test_the_halls_check_in_code_checks_in_a_ticket_of_that_hall(floor, clock):
    remote = take(floor, phone="13800138000")
    key = services.hall_check_in_key(outlet=floor.hall)

    checked = services.ticket_check_in_by_hall_key(token=remote.token, hall_key=key)

    assert checked.awaiting_arrival is False
    assert TicketEvent.objects.get(ticket=remote, kind="checked_in").detail == {"how": "qr"}


def test_another_halls_check_in_code_is_refused(floor, clock):
    other = build_floor()
    remote = take(floor, phone="13800138000")

    with pytest.raises(OtherHallTicket):
        services.ticket_check_in_by_hall_key(token=remote.token, hall_key=services.hall_check_in_key(outlet=other.hall))


def test_yesterdays_check_in_code_is_refused(floor, clock):
    key = services.hall_check_in_key(outlet=floor.hall)
    later(clock, 24 * 60)
    remote = take(floor, phone="13800138000")

    with pytest.raises(HallKeyExpired):
        services.ticket_check_in_by_hall_key(token=remote.token, hall_key=key)


def test_a_forged_check_in_code_is_refused(floor, clock):
    remote = take(floor, phone="13800138000")
    key = services.hall_check_in_key(outlet=floor.hall)

    with pytest.raises(HallKeyInvalid):
        services.ticket_check_in_by_hall_key(token=remote.token, hall_key=key[:-2] + "xx")


def test_a_phone_at_the_hall_checks_in_by_its_location(floor, clock):
    remote = take(floor, phone="13800138000")  # the hall is at 34.78, 113.68

    checked = services.ticket_check_in_by_location(token=remote.token, lat=34.7805, lng=113.6805)

    assert checked.awaiting_arrival is False
    event = TicketEvent.objects.get(ticket=remote, kind="checked_in")
    assert event.detail["how"] == "location" and event.detail["metres"] < 150


def test_a_phone_far_from_the_hall_is_not_checked_in(floor, clock, settings):
    settings.QUEUE_CHECK_IN_RADIUS_METRES = 150
    remote = take(floor, phone="13800138000")

    with pytest.raises(TooFar):
        services.ticket_check_in_by_location(token=remote.token, lat=34.79, lng=113.68)  # about 1.1 km north
    assert Ticket.objects.get(pk=remote.pk).awaiting_arrival is True


# --- Places in line ---------------------------------------------------------------------


def test_places_follow_the_real_call_order_with_absent_tickets_in_the_line(floor, clock):
    first = take(floor)
    remote = take(floor, phone="13800138000")
    away = take(floor)
    last = take(floor)
    services.ticket_step_away(token=away.token, minutes=10)
    open_counter(floor)

    sql = {t.pk: ticket_position(Ticket.objects.get(pk=t.pk)) for t in (first, remote, away, last)}
    played = hall_line(outlet_id=floor.hall.pk)["positions"]
    order = []
    for _ in range(2):
        order.append(call(floor).pk)
        finish(floor)

    assert order == [first.pk, last.pk]
    assert sql == {first.pk: 1, remote.pk: 2, away.pk: 2, last.pk: 2}
    assert played == sql


def test_an_absent_ticket_counts_ahead_again_once_its_holder_is_here(floor, clock):
    away = take(floor)
    behind = take(floor)
    services.ticket_step_away(token=away.token, minutes=5)

    before = ticket_position(Ticket.objects.get(pk=behind.pk))
    later(clock, 5)
    after = ticket_position(Ticket.objects.get(pk=behind.pk))

    assert (before, after) == (1, 2)


def test_the_displays_still_count_absent_tickets_as_waiting(floor, clock):
    take(floor, phone="13800138000")
    away = take(floor)
    services.ticket_step_away(token=away.token, minutes=5)

    counts = {s["code"]: s["waiting"] for s in service_summaries(outlet_id=floor.hall.pk)}
    played = hall_line(outlet_id=floor.hall.pk)

    assert counts["payment"] == 2
    assert played["waiting"][floor.payment.pk] == 2


def test_an_away_tickets_wait_is_not_before_it_is_back(floor, clock):
    away = take(floor)
    services.ticket_step_away(token=away.token, minutes=15)
    open_counter(floor)

    estimate = hall_line(outlet_id=floor.hall.pk)["estimates"].tickets[away.pk]

    assert estimate.seconds >= 15 * 60


def test_an_absent_ticket_does_not_lengthen_a_new_tickets_wait(floor, clock):
    open_counter(floor)
    empty = hall_line(outlet_id=floor.hall.pk)["estimates"].services[floor.payment.pk].seconds
    take(floor, phone="13800138000")

    with_remote = hall_line(outlet_id=floor.hall.pk)["estimates"].services[floor.payment.pk].seconds

    assert with_remote == empty
