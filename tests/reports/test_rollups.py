"""The reports' rollups: every figure on a constructed day with known
answers, and the rollups against a direct computation from the tickets of
generated days (p90 included)."""

from datetime import date, time, timedelta

import pytest
import time_machine
from django.core.management import call_command

from halls.models import HallService
from queueing import services as queue
from queueing.models import Ticket, TicketStatus
from queueing.planning.services import history_generate
from queueing.reports.measures import histogram_percentile, percentile_of_waits
from queueing.reports.models import AgentDay, HallDay, ServiceHour
from queueing.reports.selectors import Period, tally_of
from queueing.reports.services import rollups_refresh_day, rollups_refresh_recent
from tests.halls.factories import UserFactory, member
from tests.planning.factories import build_hall
from tests.queueing.factories import build_floor
from tests.reports.conftest import DAY, at


def hall_day(floor):
    return HallDay.objects.get(outlet=floor.hall, date=DAY)


def test_tickets_are_counted_by_what_became_of_them(day):
    row = hall_day(day)

    assert (row.issued, row.served, row.no_show, row.cancelled, row.closed_unserved) == (6, 2, 1, 1, 2)


def test_the_average_wait_is_of_the_called_tickets(day):
    row = hall_day(day)

    assert row.called == 3 and row.wait_seconds / row.called == pytest.approx((120 + 600 + 720) / 3)


def test_p90_is_the_nearest_rank_wait_to_ten_seconds(day):
    assert histogram_percentile(hall_day(day).waits, 90) == 720


def test_the_service_level_counts_those_who_left_after_the_target(day):
    # Called in time: A1. Counted: 3 called + A4 (left after 40 min) + A5 and H1 (closed after hours).
    assert tally_of([hall_day(day)]).service_level == pytest.approx(1 / 6)


def test_handle_time_is_start_to_finish_of_the_served(day):
    row = hall_day(day)

    assert (row.handled, row.handle_seconds) == (2, 14 * 60)


def test_ratings_are_counted_with_their_distribution(day):
    row = hall_day(day)

    assert (row.ratings, row.rating_sum, row.rating_counts) == (1, 5, [0, 0, 0, 0, 1])


def test_each_service_and_hour_has_its_row(day):
    rows = {(r.service.code, r.hour): r.issued for r in ServiceHour.objects.filter(outlet=day.hall)}

    assert rows == {("payment", 9): 5, ("enquiry", 9): 1}


def test_the_agents_day_counts_served_busy_paused_and_signed_in_time(day):
    row = AgentDay.objects.get(outlet=day.hall, user=day.agent)

    assert (row.served, row.no_show) == (2, 1)
    assert row.busy_seconds == (8 + 2 + 8) * 60  # call to finish, call to no-show, call to finish
    assert row.paused_seconds == 15 * 60
    assert row.open_seconds == 9 * 3600


def test_working_a_day_out_again_writes_the_same_rows(day):
    before = list(HallDay.objects.filter(outlet=day.hall).values("issued", "served", "waits", "wait_seconds"))

    rollups_refresh_day(outlet_ids=[day.hall.pk], day=DAY)

    assert list(HallDay.objects.filter(outlet=day.hall).values("issued", "served", "waits", "wait_seconds")) == before
    assert ServiceHour.objects.filter(outlet=day.hall).count() == 2


def test_a_hall_day_without_tickets_keeps_no_rows(db):
    floor = build_floor(code="RPT-EMPTY")

    rollups_refresh_day(outlet_ids=[floor.hall.pk], day=DAY)

    assert not HallDay.objects.filter(outlet=floor.hall).exists()


# --- Kept current ------------------------------------------------------------------------------


def test_a_hall_whose_tickets_changed_is_worked_out_again(db):
    floor = build_floor(code="RPT-LIVE", hours=(time(9), time(18)))
    with time_machine.travel(at(10), tick=False) as clock:
        queue.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
        rollups_refresh_recent(since=at(9, 59))
        clock.move_to(at(10, 5))
        queue.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")

        rollups_refresh_recent(since=at(10, 4))

    assert hall_day(floor).issued == 2


def test_the_look_back_reads_each_changed_hall_once_not_every_event(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    floor = build_floor(code="RPT-ONCE", hours=(time(9), time(18)))
    with time_machine.travel(at(10), tick=False):
        for _ in range(5):
            queue.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
        with CaptureQueriesContext(connection) as queries:
            rollups_refresh_recent(since=at(9, 59))

    lookups = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT DISTINCT")]
    assert lookups and not any("ORDER BY" in sql for sql in lookups)


def test_a_hall_without_changes_is_left_alone(db):
    floor = build_floor(code="RPT-QUIET", hours=(time(9), time(18)))
    with time_machine.travel(at(10), tick=False) as clock:
        queue.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
        clock.move_to(at(11))

        written = rollups_refresh_recent(since=at(10, 58))

    assert written.hall_days == 0 and not HallDay.objects.exists()


def test_the_day_close_is_counted_in_the_day_it_closed(db):
    floor = build_floor(code="RPT-CLOSE", hours=(time(9), time(18)))
    with time_machine.travel(at(17), tick=False) as clock:
        queue.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
        rollups_refresh_recent(since=at(16, 59))
        clock.move_to(at(18, 30))
        queue.business_day_close_hall(outlet=floor.hall, day=DAY)

        rollups_refresh_recent(since=at(18, 29))

    assert hall_day(floor).closed_unserved == 1


def test_the_rebuild_command_rebuilds_a_range(day):
    HallDay.objects.all().delete()
    ServiceHour.objects.all().delete()

    call_command("rollups_rebuild", "--from", str(DAY), "--to", str(DAY), "--hall", day.hall.code)

    assert hall_day(day).issued == 6


def test_the_rollups_are_worked_out_on_a_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"queueing.reports.tasks.rollups_refresh", "queueing.reports.tasks.rollups_finalise_yesterday"} <= tasks


# --- Against a direct computation from the tickets -------------------------------------------------


@pytest.fixture
def generated(db):
    hall = build_hall("RPT-GEN")
    for i in range(3):
        member(UserFactory(username=f"gen-agent-{i}"), hall)
    start, end = date(2026, 11, 30), date(2026, 12, 2)
    with time_machine.travel(at(12, day=date(2026, 12, 3)), tick=False):
        history_generate(outlet_ids=[hall.pk], start=start, end=end, seed=7)
        for d in (start, start + timedelta(days=1), end):
            rollups_refresh_day(outlet_ids=[hall.pk], day=d)
    return hall, Period(start, end)


def direct(hall, period, **filters):
    """The figures computed from the tickets themselves."""
    tickets = Ticket.objects.filter(outlet=hall, business_date__range=(period.start, period.end), **filters)
    targets = {hs.service_id: hs.target_wait for hs in HallService.objects.filter(outlet=hall)
               .select_related("service")}
    waits = [(t.first_called_at - t.issued_at).total_seconds() for t in tickets if t.first_called_at]
    left = sum(1 for t in tickets if t.first_called_at is None and t.status == TicketStatus.CANCELLED
               and (t.finished_at - t.issued_at).total_seconds() > targets[t.service_id])
    in_time = sum(1 for t in tickets if t.first_called_at
                  and (t.first_called_at - t.issued_at).total_seconds() <= targets[t.service_id])
    return {
        "issued": tickets.count(),
        "served": tickets.filter(status=TicketStatus.DONE).count(),
        "no_show": tickets.filter(status=TicketStatus.NO_SHOW).count(),
        "p90": percentile_of_waits(waits),
        "avg_wait": sum(waits) / len(waits),
        "service_level": in_time / (len(waits) + left),
    }


def rolled(rows):
    t = tally_of(rows)
    return {"issued": t.issued, "served": t.served, "no_show": t.no_show, "p90": t.p90_wait_seconds,
            "avg_wait": t.avg_wait_seconds, "service_level": t.service_level}


def test_the_hall_days_equal_the_tickets(generated):
    hall, period = generated

    assert rolled(HallDay.objects.filter(outlet=hall)) == pytest.approx(direct(hall, period))


def test_the_service_hours_of_a_service_equal_its_tickets(generated):
    hall, period = generated
    service = HallService.objects.filter(outlet=hall).order_by("sort_order").first().service

    assert rolled(ServiceHour.objects.filter(outlet=hall, service=service)) == pytest.approx(
        direct(hall, period, service=service))


def test_one_day_equals_its_tickets(generated):
    hall, period = generated
    one = Period(period.start, period.start)

    assert rolled(HallDay.objects.filter(outlet=hall, date=one.start)) == pytest.approx(direct(hall, one))


def test_the_agents_served_add_up_to_the_halls(generated):
    hall, _ = generated

    assert sum(AgentDay.objects.filter(outlet=hall).values_list("served", flat=True)) == \
        Ticket.objects.filter(outlet=hall, status=TicketStatus.DONE).count()
