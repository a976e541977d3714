"""How honest the wait estimates were, replayed from the event log: on a
constructed history the hall's estimator is exact where the naive one is not."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from queueing import services as queue
from queueing.planning.accuracy import estimate_accuracy
from tests.queueing.factories import build_floor

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)


def served_one_after_another(floor, start, count, seconds):
    """`count` payment tickets taken at `start`, served at counter 2 one after
    another for `seconds` each (the counter opened at `start`)."""
    queue.counter_open(counter_id=floor.counter2.pk, user=floor.agent, now=start)
    tickets = [queue.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk", now=start)[0]
               for _ in range(count)]
    at = start
    for _ in tickets:
        queue.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent, now=at)
        queue.ticket_start(counter_id=floor.counter2.pk, actor=floor.agent, now=at)
        at += timedelta(seconds=seconds)
        queue.ticket_finish(counter_id=floor.counter2.pk, actor=floor.agent, now=at)
    queue.counter_close(counter_id=floor.counter2.pk, actor=floor.agent, now=at)
    return tickets


@pytest.fixture
def history(db):
    floor = build_floor(code="ACC-1")
    # Last week payment took 300 s at ten o'clock (its default says 120 s).
    for day in range(1, 4):
        served_one_after_another(floor, DAY - timedelta(days=day), 10, 300)
    served_one_after_another(floor, DAY, 5, 300)
    return floor


def test_the_halls_estimator_told_the_waits_that_came(history):
    figures = estimate_accuracy(outlet_id=history.hall.pk, since=DAY - timedelta(hours=1), until=DAY + timedelta(
        hours=3))

    assert figures["new"]["tickets"] == 5
    assert figures["new"]["mae_seconds"] == 0 and figures["new"]["within_2_minutes"] == 1.0


def test_the_naive_estimator_missed_them(history):
    figures = estimate_accuracy(outlet_id=history.hall.pk, since=DAY - timedelta(hours=1), until=DAY + timedelta(
        hours=3))

    # 120, 240, ... 600 s told against 0, 300, ... 1200 s waited: off by 120, 60, 240, 420 and 600 s.
    assert figures["naive"]["mae_seconds"] == 288
    assert figures["naive"]["within_2_minutes"] == 0.4
