"""Texts to ticket holders: "your turn, counter N" when called and "almost
your turn" once near the front, through the SMS outbox; a broken SMS gateway
never blocks or breaks a call."""

import pytest
from celery.signals import task_prerun

from queueing import services
from queueing.models import TicketStatus
from sms import services as sms_services
from sms.backends import SmsDeliveryError
from sms.models import SmsMessage, SmsStatus

PHONE = "13800138000"


class FailingBackend:
    """An SMS gateway that is down."""

    name = "failing"

    def send(self, *, to: str, text: str) -> None:
        raise SmsDeliveryError("gateway unreachable")


FAILING_BACKEND = f"{__name__}.FailingBackend"


@pytest.fixture
def worker(celery_eager):
    """The Celery worker, in eager mode: a task queued after commit runs in the
    test (deliveries, retries, near-turn checks), errors and all."""
    return celery_eager


def take(floor, phone="", service="payment"):
    """A ticket; one with a phone is taken by phone, and its holder has checked in."""
    channel = "mobile" if phone else "kiosk"
    ticket = services.ticket_issue(outlet=floor.hall, service_code=service, channel=channel, phone=phone)[0]
    if phone:
        ticket = services.ticket_check_in_at_hall(outlet=floor.hall, token=ticket.token)
    return ticket


def texts(purpose=None, to=PHONE):
    messages = SmsMessage.objects.filter(to=to)
    if purpose:
        messages = messages.filter(purpose=purpose)
    return list(messages.order_by("id"))


# --- "Your turn, counter N" ------------------------------------------------------


def test_a_called_ticket_with_a_phone_gets_one_your_turn_text_naming_the_counter(floor):
    ticket = take(floor, PHONE)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)

    services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)

    [text] = texts("ticket_called")
    assert ticket.number in text.text
    assert "2号窗口" in text.text


def test_recalling_a_ticket_does_not_text_it_again(floor, settings):
    settings.QUEUE_MAX_CALLS = 5
    take(floor, PHONE)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)

    services.ticket_recall(counter_id=floor.counter2.pk, actor=floor.agent)
    services.ticket_recall(counter_id=floor.counter2.pk, actor=floor.agent)

    assert len(texts("ticket_called")) == 1


def test_a_ticket_without_a_phone_gets_no_text(floor, django_capture_on_commit_callbacks, worker):
    take(floor)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)

    assert not SmsMessage.objects.exists()


def test_the_your_turn_text_is_delivered_after_the_call_commits(floor, django_capture_on_commit_callbacks, worker):
    take(floor, PHONE)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)
    assert texts("ticket_called")[0].status == SmsStatus.QUEUED  # in the outbox with the call, not yet sent
    for callback in callbacks:
        callback()

    assert texts("ticket_called")[0].status == SmsStatus.SENT


# --- "Almost your turn" --------------------------------------------------------------


def test_a_ticket_reaching_position_three_is_texted_once(floor, settings):
    settings.QUEUE_NEAR_TURN_POSITION = 3
    settings.QUEUE_NEAR_TURN_SECONDS = 0
    for _ in range(3):
        take(floor)
    ticket = take(floor, PHONE)  # position 4
    assert services.texts_near_turn_send(outlet_id=floor.hall.pk) == 0
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)  # now position 3

    first = services.texts_near_turn_send(outlet_id=floor.hall.pk)
    second = services.texts_near_turn_send(outlet_id=floor.hall.pk)

    assert (first, second) == (1, 0)
    [text] = texts("ticket_near_turn")
    assert ticket.number in text.text
    assert "前面还有 2 位" in text.text


def test_a_near_ticket_is_never_texted_twice_as_the_line_moves_on(floor, settings):
    settings.QUEUE_NEAR_TURN_POSITION = 3
    settings.QUEUE_NEAR_TURN_SECONDS = 0
    for _ in range(2):
        take(floor)
    take(floor, PHONE)  # position 3 at once
    services.texts_near_turn_send(outlet_id=floor.hall.pk)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)  # now position 2

    services.texts_near_turn_send(outlet_id=floor.hall.pk)

    assert len(texts("ticket_near_turn")) == 1


def test_the_near_turn_position_comes_from_settings(floor, settings):
    settings.QUEUE_NEAR_TURN_POSITION = 1
    settings.QUEUE_NEAR_TURN_SECONDS = 0
    take(floor)
    take(floor, PHONE)  # position 2: near by the default of 3, not by this setting

    assert services.texts_near_turn_send(outlet_id=floor.hall.pk) == 0

    settings.QUEUE_NEAR_TURN_POSITION = 2
    assert services.texts_near_turn_send(outlet_id=floor.hall.pk) == 1


def test_the_near_turn_wait_comes_from_settings(floor, settings):
    # Payment takes 120 s per ticket by default and no counter is open (one is assumed):
    # the tenth in line waits 1,200 s.
    settings.QUEUE_NEAR_TURN_POSITION = 0
    for _ in range(9):
        take(floor)
    take(floor, PHONE)
    settings.QUEUE_NEAR_TURN_SECONDS = 1200
    assert services.texts_near_turn_send(outlet_id=floor.hall.pk) == 0

    settings.QUEUE_NEAR_TURN_SECONDS = 1201
    assert services.texts_near_turn_send(outlet_id=floor.hall.pk) == 1


def test_a_ticket_without_a_phone_is_never_texted_near_its_turn(floor, settings):
    settings.QUEUE_NEAR_TURN_POSITION = 3
    take(floor)

    assert services.texts_near_turn_send(outlet_id=floor.hall.pk) == 0
    assert not SmsMessage.objects.exists()


def test_a_call_queues_the_near_turn_texts_for_those_now_near(floor, settings, django_capture_on_commit_callbacks,
                                                             worker):
    settings.QUEUE_NEAR_TURN_POSITION = 3
    settings.QUEUE_NEAR_TURN_SECONDS = 0
    for _ in range(3):
        take(floor)
    take(floor, PHONE)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)

    assert len(texts("ticket_near_turn")) == 1


# --- A broken gateway ------------------------------------------------------------------


def test_a_failing_sms_backend_never_breaks_a_call(floor, settings, django_capture_on_commit_callbacks, worker):
    settings.SMS_BACKEND = FAILING_BACKEND
    ticket = take(floor, PHONE)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)

    with django_capture_on_commit_callbacks(execute=True):
        called = services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)

    ticket.refresh_from_db()
    assert called.pk == ticket.pk
    assert ticket.status == TicketStatus.CALLED and ticket.counter_id == floor.counter2.pk
    [text] = texts("ticket_called")
    assert text.status != SmsStatus.SENT
    assert text.last_error == "gateway unreachable"


def test_delivering_through_a_failing_backend_raises_and_keeps_the_text_queued(floor, settings):
    settings.SMS_BACKEND = FAILING_BACKEND
    take(floor, PHONE)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)
    [text] = texts("ticket_called")

    with pytest.raises(SmsDeliveryError):
        sms_services.sms_deliver_now(message_id=text.pk)

    text.refresh_from_db()
    assert (text.status, text.last_error, text.backend) == (SmsStatus.QUEUED, "gateway unreachable", "failing")


def test_the_agent_can_go_on_working_after_a_failed_text(floor, settings, django_capture_on_commit_callbacks,
                                                          worker):
    settings.SMS_BACKEND = FAILING_BACKEND
    take(floor, PHONE)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_recall(counter_id=floor.counter2.pk, actor=floor.agent)
        services.ticket_start(counter_id=floor.counter2.pk, actor=floor.agent)
        done = services.ticket_finish(counter_id=floor.counter2.pk, actor=floor.agent)

    assert done.status == TicketStatus.DONE


# --- A new wait or a new call after a transfer -------------------------------------


def test_a_transferred_ticket_called_again_at_the_same_counter_gets_a_second_your_turn_text(floor):
    ticket = take(floor, PHONE)
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)  # payment and enquiry
    services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)
    services.ticket_transfer(counter_id=floor.counter1.pk, service_code="enquiry", actor=floor.agent)

    called = services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)

    assert called.pk == ticket.pk
    _, second = texts("ticket_called")
    assert ticket.number in second.text and "1号窗口" in second.text


def test_a_ticket_transferred_to_another_service_is_texted_near_its_turn_once_more(floor, settings):
    settings.QUEUE_NEAR_TURN_POSITION = 3
    settings.QUEUE_NEAR_TURN_SECONDS = 0
    ticket = take(floor, PHONE)
    services.texts_near_turn_send(outlet_id=floor.hall.pk)  # near at once: the first wait's text
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)
    services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)
    services.ticket_transfer(counter_id=floor.counter1.pk, service_code="enquiry", actor=floor.agent)

    first = services.texts_near_turn_send(outlet_id=floor.hall.pk)
    second = services.texts_near_turn_send(outlet_id=floor.hall.pk)

    assert (first, second) == (1, 0)
    assert len(texts("ticket_near_turn")) == 2
    assert ticket.number in texts("ticket_near_turn")[-1].text


# --- Which changes look for newly near tickets ------------------------------------------


def near_turn_checks(callbacks):
    """Run captured on-commit callbacks with the worker in eager mode; return
    the halls a near-turn check ran for (Celery's task_prerun signal)."""
    ran = []

    def record(sender=None, args=(), **kwargs):
        if sender is not None and sender.name == "queueing.tasks.texts_near_turn":
            ran.extend(args)

    task_prerun.connect(record, weak=False)
    try:
        for callback in callbacks:
            callback()
    finally:
        task_prerun.disconnect(record)
    return ran


def test_issuing_a_ticket_already_near_the_front_texts_it(floor, settings, django_capture_on_commit_callbacks,
                                                          worker):
    settings.QUEUE_NEAR_TURN_POSITION = 3
    settings.QUEUE_NEAR_TURN_SECONDS = 0
    take(floor)

    with django_capture_on_commit_callbacks(execute=True):
        ticket = take(floor, PHONE)  # position 2

    [text] = texts("ticket_near_turn")
    assert ticket.number in text.text


def test_issuing_a_ticket_without_a_phone_queues_no_near_turn_check(floor, django_capture_on_commit_callbacks,
                                                                    worker):
    with django_capture_on_commit_callbacks() as callbacks:
        take(floor)

    assert near_turn_checks(callbacks) == []


def test_opening_a_counter_texts_the_tickets_its_shorter_wait_brings_near(floor, settings,
                                                                          django_capture_on_commit_callbacks, worker):
    # Payment takes 120 s: the fourth in line waits 480 s with one payment
    # counter open and 240 s with two.
    settings.QUEUE_NEAR_TURN_POSITION = 0
    settings.QUEUE_NEAR_TURN_SECONDS = 300
    for _ in range(3):
        take(floor)
    ticket = take(floor, PHONE)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    assert services.texts_near_turn_send(outlet_id=floor.hall.pk) == 0

    with django_capture_on_commit_callbacks(execute=True):
        services.counter_open(counter_id=floor.counter1.pk, user=floor.agent2)

    [text] = texts("ticket_near_turn")
    assert ticket.number in text.text


def test_resuming_a_counter_texts_the_tickets_its_shorter_wait_brings_near(floor, settings,
                                                                           django_capture_on_commit_callbacks, worker):
    settings.QUEUE_NEAR_TURN_POSITION = 0
    settings.QUEUE_NEAR_TURN_SECONDS = 300
    for _ in range(3):
        take(floor)
    ticket = take(floor, PHONE)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent2)
    services.counter_pause(counter_id=floor.counter1.pk, actor=floor.agent2)
    assert services.texts_near_turn_send(outlet_id=floor.hall.pk) == 0

    with django_capture_on_commit_callbacks(execute=True):
        services.counter_resume(counter_id=floor.counter1.pk, actor=floor.agent2)

    [text] = texts("ticket_near_turn")
    assert ticket.number in text.text


def test_a_counter_opening_queues_one_near_turn_check_for_the_hall_however_long_the_line(
        floor, django_capture_on_commit_callbacks, worker):
    for _ in range(5):
        take(floor, PHONE)

    with django_capture_on_commit_callbacks() as callbacks:
        services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)

    assert near_turn_checks(callbacks) == [floor.hall.pk]



# --- A phone given without proof --------------------------------------------------------


def test_a_phone_given_with_a_mobile_ticket_gets_only_that_tickets_texts(floor, settings):
    # Anyone may type anyone's number into a mobile ticket: it must not become
    # a way to send that phone anything but the ticket's own texts.
    settings.QUEUE_NEAR_TURN_POSITION = 3
    ticket = take(floor, PHONE)
    services.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    services.texts_near_turn_send(outlet_id=floor.hall.pk)
    services.ticket_call_next(counter_id=floor.counter2.pk, actor=floor.agent)

    sent = texts()

    assert {t.purpose for t in sent} <= {"ticket_near_turn", "ticket_called", "ticket_day_closed"}
    assert sent and all(ticket.number in t.text for t in sent)
