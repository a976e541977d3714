"""Shared queues (合并队列): services that share one number sequence and one line."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from halls.models import HallQueue, HallService
from queueing import services
from queueing.models import Ticket
from queueing.selectors import queue_snapshot, ticket_progress
from tests.halls.factories import OutletFactory, ServiceFactory, offer
from tests.queueing.factories import build_floor
from tests.threads import run_in_threads

FIXED_INSTANT = 1_800_000_000.0


def share(floor, *codes, prefix="A"):
    queue = HallQueue.objects.create(outlet=floor.hall, name="缴费咨询", prefix=prefix)
    for hall_service in HallService.objects.filter(outlet=floor.hall, service__code__in=codes):
        hall_service.queue = queue
        hall_service.full_clean()
        hall_service.save()
    return queue


def issue(floor, service, minutes_ago=0):
    ticket, _ = services.ticket_issue(outlet=floor.hall, service_code=service, channel="staff",
                                      now=timezone.now() - timedelta(minutes=minutes_ago))
    return ticket


@pytest.fixture
def frozen():
    with time_machine.travel(FIXED_INSTANT, tick=False):
        yield timezone.now()


def test_services_of_a_shared_queue_draw_from_one_number_sequence(floor):
    share(floor, "payment", "enquiry")

    numbers = [(t.number, t.service.code) for t in (issue(floor, "payment"), issue(floor, "enquiry"),
                                                     issue(floor, "payment"))]

    assert numbers == [("A001", "payment"), ("A002", "enquiry"), ("A003", "payment")]


def test_joining_a_queue_gives_the_service_the_queues_prefix(floor):
    share(floor, "payment", "enquiry", prefix="Q")

    assert set(HallService.objects.filter(outlet=floor.hall).values_list("prefix", flat=True)) == {"Q"}


def test_a_service_outside_the_queue_may_not_take_its_prefix(floor):
    share(floor, "payment", prefix="Q")
    enquiry = HallService.objects.get(outlet=floor.hall, service=floor.enquiry)
    enquiry.prefix = "Q"

    with pytest.raises(ValidationError):
        enquiry.full_clean()


def test_a_service_may_not_join_another_halls_queue(floor):
    other = OutletFactory()
    queue = HallQueue.objects.create(outlet=other, name="其他", prefix="Z")
    payment = HallService.objects.get(outlet=floor.hall, service=floor.payment)
    payment.queue = queue

    with pytest.raises(ValidationError):
        payment.full_clean()


def test_a_counter_of_one_service_calls_the_whole_shared_line_by_waiting_time(floor, frozen):
    broadband = ServiceFactory(code="broadband", prefix="K")
    offer(floor.hall, broadband)
    share(floor, "payment", "broadband")
    issue(floor, "payment", 5)
    issue(floor, "broadband", 8)
    issue(floor, "enquiry", 9)
    issue(floor, "payment", 2)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)  # payment only
    waiting = Ticket.objects.filter(outlet=floor.hall, status="waiting").select_related("outlet", "service")
    places = {t.number: ticket_progress(t)["position"] for t in waiting if t.service.code != "enquiry"}

    calls = []
    while (ticket := services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)) is not None:
        calls.append(ticket.number)
        services.ticket_start(counter_id=floor.counter2.pk, actor=floor.agent)
        services.ticket_finish(counter_id=floor.counter2.pk, actor=floor.agent)

    assert calls == ["A002", "A001", "A003"]  # broadband, payment, payment: enquiry is not in the queue
    assert sorted(places, key=places.get) == calls


def test_a_strict_counter_gives_a_shared_queue_one_turn(floor, frozen):
    broadband = ServiceFactory(code="broadband", prefix="K")
    offer(floor.hall, broadband)
    share(floor, "payment", "broadband")
    services.counter_profile_set(counter_id=floor.counter1.pk, profile="strict", actor=floor.agent,
                                 services=[{"service": "enquiry"}, {"service": "payment"}])
    issue(floor, "payment", 5)
    issue(floor, "broadband", 8)
    issue(floor, "enquiry", 1)
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)

    calls = []
    while (ticket := services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)) is not None:
        calls.append(ticket.number)
        services.ticket_start(counter_id=floor.counter1.pk, actor=floor.agent)
        services.ticket_finish(counter_id=floor.counter1.pk, actor=floor.agent)

    assert calls == ["H001", "A002", "A001"]


def test_the_displays_still_show_the_waiting_per_service(floor):
    share(floor, "payment", "enquiry")
    issue(floor, "payment")
    issue(floor, "enquiry")
    issue(floor, "enquiry")

    waiting = {s["code"]: (s["prefix"], s["waiting"]) for s in queue_snapshot(outlet=floor.hall)["services"]}

    assert waiting == {"payment": ("A", 1), "enquiry": ("A", 2)}


@pytest.mark.django_db(transaction=True)
def test_kiosks_issuing_at_once_for_shared_services_get_unique_consecutive_numbers(on_postgres):
    floor = build_floor()
    share(floor, "payment", "enquiry")

    results, errors = run_in_threads(
        24, lambda i: [issue(floor, ("payment", "enquiry")[(i + k) % 2]).number for k in range(10)])

    assert errors == []
    numbers = sorted(n for batch in results for n in batch)
    assert numbers == [f"A{i:03d}" for i in range(1, 241)]
    assert set(Ticket.objects.filter(outlet=floor.hall).values_list("service__code", flat=True)) == {
        "payment", "enquiry"}
