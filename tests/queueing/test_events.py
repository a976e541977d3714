"""What each change sends after commit, and that nothing is sent for a change that did not commit."""

import json

import pytest

from queueing import services
from queueing.errors import CounterBusy


@pytest.fixture
def sent(monkeypatch):
    """Every message handed to the channel layer: (group, message)."""
    messages = []
    monkeypatch.setattr("queueing.events._send", lambda group, message: messages.append((group, message)))
    return messages


def types(sent):
    return [m["type"] for _, m in sent]


def test_issuing_tells_the_displays_the_queue_changed(floor, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")

    assert types(sent) == ["queue.changed"]
    group, message = sent[0]
    assert group == f"hall-{floor.hall.code}.display"
    assert {s["code"]: s["waiting"] for s in message["services"]}["payment"] == 1


def test_a_call_sends_the_call_the_new_counts_the_positions_and_the_ticket(floor, sent,
                                                                          django_capture_on_commit_callbacks):
    ticket = services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")[0]
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)

    groups_and_types = [(g, m["type"]) for g, m in sent]
    code = floor.hall.code
    assert groups_and_types == [
        (f"hall-{code}.display", "ticket.called"),
        (f"hall-{code}.display", "queue.changed"),
        (f"hall-{code}.tickets", "positions.changed"),
        (f"ticket-{ticket.token}", "ticket"),
    ]
    assert len(callbacks) == 3  # the call; counts, positions and texts; the ticket


def test_event_payloads_survive_a_json_round_trip(floor, sent, django_capture_on_commit_callbacks):
    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)

    for _, message in sent:
        assert json.loads(json.dumps(message)) == message


def test_display_events_are_numbered_one_after_another(floor, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
        services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
        services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)

    display = [m["seq"] for g, m in sent if g.endswith(".display")]
    assert display == list(range(display[0], display[0] + len(display)))


def test_a_refused_action_sends_nothing(floor, sent, django_capture_on_commit_callbacks):
    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)
    services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(CounterBusy):
            services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)

    assert callbacks == []


def test_a_broken_channel_layer_never_fails_a_committed_call(floor, monkeypatch,
                                                             django_capture_on_commit_callbacks):
    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)

    def broken(group, message):
        raise ConnectionError("redis is down")

    monkeypatch.setattr("queueing.events._send", broken)

    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)

    ticket.refresh_from_db()
    assert ticket.status == "called"


@pytest.mark.parametrize("end", ["finish", "no_show", "transfer"])
def test_a_ticket_leaving_its_counter_clears_the_counter_screen(floor, sent, django_capture_on_commit_callbacks, end):
    services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)
    services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)
    if end == "finish":
        services.ticket_start(counter_id=floor.counter1.pk, actor=floor.agent)
    kwargs = {"service_code": "enquiry"} if end == "transfer" else {}

    with django_capture_on_commit_callbacks(execute=True):
        getattr(services, f"ticket_{end}")(counter_id=floor.counter1.pk, actor=floor.agent, **kwargs)

    changed = [m for _, m in sent if m["type"] == "counter.changed"]
    assert [(m["counter"], m["state"], m["current"]) for m in changed] == [(1, "open", None)]
