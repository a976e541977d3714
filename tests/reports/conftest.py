"""Fixtures of the reports tests: a constructed day with known answers."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from halls.models import HallService
from halls.roles import CITY_OPERATIONS_GROUP
from queueing import services as queue
from queueing.reports.services import rollups_refresh_day
from queueing.services import ticket_rate
from tests.halls.factories import UserFactory
from tests.queueing.factories import build_floor

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 7)


def at(hour, minute=0, second=0, day=DAY):
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=SHANGHAI)


def build_day(day=DAY, code="RPT-1", **hall_kwargs):
    """A hall open 9:00-18:00 (payment: target 300 s) and one agent's day at counter 2:

    - 09:00 counter 2 opens; tickets A1-A5 (payment) and H1 (enquiries) are taken
    - 09:02 A1 called (wait 120 s), 09:03 started, 09:10 finished; rated 5
    - 09:10 A2 called (wait 600 s: past the target), no-show at 09:12
    - 09:12 A3 called (wait 720 s), 09:13 started, 09:20 finished
    - 09:15 counter 2 paused; 09:30 resumed
    - 09:40 A4 cancelled by its holder, after 2,400 s: past the target
    - A5 and H1 still wait when the day closes at 18:00 (H1's target: 600 s)
    - 18:00 counter 2 closed
    """

    def at_(hour, minute=0, second=0):
        return at(hour, minute, second, day=day)

    floor = build_floor(code=code, hours=(time(9), time(18)), **hall_kwargs)
    HallService.objects.filter(outlet=floor.hall, service=floor.payment).update(target_wait_seconds=300)
    counter = floor.counter2.pk
    with time_machine.travel(at_(9), tick=False) as clock:
        queue.counter_open(counter_id=counter, user=floor.agent)
        tickets = [queue.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")[0]
                   for _ in range(5)]
        queue.ticket_issue(outlet=floor.hall, service_code="enquiry", channel="kiosk")

        def step(moment, action):
            clock.move_to(moment)
            action(counter_id=counter, actor=floor.agent)

        step(at_(9, 2), queue.ticket_call_next)
        step(at_(9, 3), queue.ticket_start)
        step(at_(9, 10), queue.ticket_finish)
        step(at_(9, 10), queue.ticket_call_next)
        step(at_(9, 12), queue.ticket_no_show)
        step(at_(9, 12), queue.ticket_call_next)
        step(at_(9, 13), queue.ticket_start)
        step(at_(9, 20), queue.ticket_finish)
        step(at_(9, 15), queue.counter_pause)
        step(at_(9, 30), queue.counter_resume)
        clock.move_to(at_(9, 40))
        queue.ticket_cancel(token=tickets[3].token)
        ticket_rate(token=tickets[0].token, score=5, comment="很快")
        step(at_(18), queue.counter_close)
        clock.move_to(at_(18, 30))
        queue.business_day_close_hall(outlet=floor.hall, day=day)
        rollups_refresh_day(outlet_ids=[floor.hall.pk], day=day)
    return floor


@pytest.fixture
def day(db):
    """The constructed day (build_day)."""
    return build_day()


def client_of(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def ops(db):
    """A member of city operations."""
    user = UserFactory(username="rpt-ops", is_staff=True)
    user.groups.add(Group.objects.get(name=CITY_OPERATIONS_GROUP))
    return user
