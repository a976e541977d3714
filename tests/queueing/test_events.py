"""What each change sends after commit, through the real channel layer, and
that nothing is sent for a change that did not commit."""

import json
from datetime import datetime, timezone

import pytest
import time_machine
from django.core.cache import cache

from queueing import events, services
from queueing.errors import CounterBusy


@pytest.fixture
def hall_groups(floor, listen):
    """A listener on the hall's display group, one on its followers' group."""
    code = floor.hall.code
    return listen(events.hall_display_group(code)), listen(events.hall_tickets_group(code))


def queue_events(messages):
    """The queue's own display events (peak-flow warnings' alerts are another matter)."""
    return [m for m in messages if m["type"] != "alert"]


def test_issuing_tells_the_displays_the_queue_changed(floor, hall_groups, django_capture_on_commit_callbacks):
    display, _ = hall_groups

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")

    [message] = queue_events(display.wait_for(lambda m: len(queue_events(m)) >= 1))
    assert message["type"] == "queue.changed"
    assert {s["code"]: s["waiting"] for s in message["services"]}["payment"] == 1
    assert queue_events(display.settle()) == [message]


def test_a_call_sends_the_call_the_new_counts_the_positions_and_the_ticket(
        floor, hall_groups, listen, django_capture_on_commit_callbacks):
    display, followers = hall_groups
    ticket = services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")[0]
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)
    holder = listen(events.ticket_group(ticket.token))

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)

    received = queue_events(display.wait_for(lambda m: len(queue_events(m)) >= 2))
    assert [m["type"] for m in received] == ["ticket.called", "queue.changed"]
    assert [m["type"] for m in followers.wait_for(lambda m: len(m) >= 1)] == ["positions.changed"]
    [state] = holder.wait_for(lambda m: len(m) >= 1)
    assert (state["type"], state["status"], state["counter"]) == ("ticket", "called", 1)


def test_event_payloads_survive_a_json_round_trip(floor, hall_groups, django_capture_on_commit_callbacks):
    display, followers = hall_groups
    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)

    messages = display.wait_for(lambda m: len(m) >= 2) + followers.wait_for(lambda m: len(m) >= 1)
    for message in messages:
        assert json.loads(json.dumps(message)) == message


def test_display_events_are_numbered_one_after_another(floor, hall_groups, django_capture_on_commit_callbacks):
    display, _ = hall_groups

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
        services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
        services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)

    seqs = [m["seq"] for m in display.settle()]
    assert len(seqs) >= 4 and seqs == list(range(seqs[0], seqs[0] + len(seqs)))


def test_a_refused_action_sends_nothing(floor, django_capture_on_commit_callbacks):
    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)
    services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(CounterBusy):
            services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)

    assert callbacks == []


def test_a_channel_layer_that_is_down_never_fails_a_committed_call(floor, settings,
                                                                   django_capture_on_commit_callbacks):
    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)
    # Nothing listens on port 9 (discard): every send to Redis fails.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": settings.CHANNEL_LAYERS["default"]["BACKEND"],
                                           "CONFIG": {"hosts": ["redis://127.0.0.1:9/0"]}}}

    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)

    ticket.refresh_from_db()
    assert ticket.status == "called"


@pytest.mark.parametrize("end", ["finish", "no_show", "transfer"])
def test_a_ticket_leaving_its_counter_clears_the_counter_screen(floor, hall_groups, django_capture_on_commit_callbacks,
                                                               end):
    display, _ = hall_groups
    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)
    services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)
    if end == "finish":
        services.ticket_start(counter_id=floor.counter1.pk, actor=floor.agent)
    kwargs = {"service_code": "enquiry"} if end == "transfer" else {}

    with django_capture_on_commit_callbacks(execute=True):
        getattr(services, f"ticket_{end}")(counter_id=floor.counter1.pk, actor=floor.agent, **kwargs)

    messages = display.wait_for(lambda m: any(x["type"] == "counter.changed" for x in m))
    changed = [m for m in messages if m["type"] == "counter.changed"]
    assert [(m["counter"], m["state"], m["current"]) for m in changed] == [(1, "open", None)]


def test_a_lost_sequence_starts_again_above_every_number_given_before(floor):
    with time_machine.travel(datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc), tick=False):
        given = [events.hall_seq_next(floor.hall.code) for _ in range(50)]
    # A second later Redis has restarted without persistence: the sequence is gone.
    cache.delete(f"hall-seq:{floor.hall.code}")

    with time_machine.travel(datetime(2026, 12, 7, 9, 0, 1, tzinfo=timezone.utc), tick=False):
        after = events.hall_seq_next(floor.hall.code)

    assert given == list(range(given[0], given[0] + 50))
    assert after > given[-1]


def test_a_worker_process_sends_every_message_from_the_event_loop_it_keeps(listen):
    """A Celery pool process keeps one event loop (config/celery.py): its
    messages reach the groups, one after another, however many it sends."""
    import threading

    listener = listen("hall-LOOP.display")
    sent = []

    def worker():
        events.keep_event_loop()
        sent.append(events.thread_state.runner)
        for n in range(3):
            events.send_to_group("hall-LOOP.display", {"type": "alert", "n": n})
        sent.append(events.thread_state.runner)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(10)
    sent[0].close()

    assert sent[0] is sent[1] and [m["n"] for m in listener.wait_for(lambda m: len(m) >= 3)] == [0, 1, 2]
