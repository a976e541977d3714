"""A ticket's answer is built directly for speed; it must stay exactly what
its declared fields (the API schema) describe."""

import pytest
from rest_framework import serializers as drf

from queueing import services
from queueing.models import Ticket
from queueing.selectors import ticket_progress
from queueing.serializers import PublicTicketSerializer, TicketOutSerializer

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets_in_every_state(floor):
    done = services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")[0]
    called = services.ticket_issue(outlet=floor.hall, service_code="enquiry", channel="kiosk",
                                   priority="vip")[0]
    services.counter_open(counter_id=floor.counter3.pk, user=floor.agent)
    services.ticket_call_next(counter_id=floor.counter3.pk, actor=floor.agent)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent2)
    services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent2)
    services.ticket_start(counter_id=floor.counter2.pk, actor=floor.agent2)
    services.ticket_finish(counter_id=floor.counter2.pk, actor=floor.agent2)
    waiting = services.ticket_issue(outlet=floor.hall, service_code="payment", channel="mobile",
                                    phone="13800138000")[0]
    ids = [waiting.pk, done.pk, called.pk]
    return list(Ticket.objects.select_related("service", "outlet", "counter").filter(pk__in=ids).order_by("pk"))


@pytest.mark.parametrize("serializer_class", [TicketOutSerializer, PublicTicketSerializer])
def test_a_ticket_answer_is_what_its_declared_fields_give(tickets_in_every_state, serializer_class, rf):
    request = rf.get("/")
    statuses = set()
    for ticket in tickets_in_every_state:
        serializer = serializer_class(
            ticket, context={"request": request, "progress": {ticket.pk: ticket_progress(ticket)}}
        )
        statuses.add(ticket.status)
        assert serializer.data == drf.ModelSerializer.to_representation(serializer, ticket)
    assert statuses == {"waiting", "called", "done"}
