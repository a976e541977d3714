"""Peak-flow warnings (客流高峰预警) on scripted floors, under a controlled
clock: each warning starts, rises, falls and ends at the right moment, the
displays get their line, the manager one text per level, and the suggestions
fit the floor and change it when applied."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from halls.models import CounterService, HallService, StaffRole
from queueing import events as queue_events
from queueing import services as queue
from queueing.models import CounterRequest, HallDiversion, HallNotice
from queueing.planning import services
from queueing.planning.levels import level_for
from queueing.planning.models import PeakWarning, Suggestion, WarningChange, WarningKind
from sms.models import SmsMessage
from tests.halls.factories import UserFactory, member
from tests.queueing.factories import build_floor

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_TEN = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)
MANAGER_PHONE = "13912345678"
THRESHOLDS = {"notice": 225.0, "warning": 300.0, "critical": 600.0}


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_TEN, tick=False) as traveller:
        yield traveller


@pytest.fixture
def hall(db, clock):
    """Payment (120 s a ticket, target 300 s) at counter 2 only, open; counters
    1 (payment and enquiry) and 3 (enquiry) closed; a manager with a phone."""
    floor = build_floor(code="WARN-1")
    HallService.objects.filter(outlet=floor.hall, service=floor.payment).update(target_wait_seconds=300)
    queue.counter_open(counter_id=floor.counter2.pk, user=floor.agent)
    floor.manager = UserFactory(username="manager-warn")
    membership = member(floor.manager, floor.hall, StaffRole.MANAGER)
    membership.phone = MANAGER_PHONE
    membership.save()
    return floor


def take(floor, n=1, service="payment"):
    return [queue.ticket_issue(outlet=floor.hall, service_code=service, channel="kiosk")[0] for _ in range(n)]


def evaluate(floor):
    return services.warnings_evaluate(outlet=floor.hall)


def active(floor, kind=WarningKind.WAIT):
    return PeakWarning.objects.filter(outlet=floor.hall, kind=kind, ended_at__isnull=True).first()


def serve_one(floor, counter=None):
    counter = counter or floor.counter2
    queue.ticket_call_next(counter_id=counter.pk, actor=floor.agent)
    queue.ticket_start(counter_id=counter.pk, actor=floor.agent)
    queue.ticket_finish(counter_id=counter.pk, actor=floor.agent)


# --- The rule ----------------------------------------------------------------------------


@pytest.mark.parametrize(("figure", "level"), [(200, None), (226, "notice"), (301, "warning"), (601, "critical")])
def test_a_figure_enters_the_highest_level_it_passes(figure, level):
    assert level_for(figure, THRESHOLDS, None) == level


def test_a_level_holds_until_the_figure_falls_below_four_fifths_of_its_threshold():
    assert level_for(250, THRESHOLDS, "warning") == "warning"  # 250 >= 0.8 x 300
    assert level_for(239, THRESHOLDS, "warning") == "notice"  # below 240, still above 0.8 x 225
    assert level_for(179, THRESHOLDS, "notice") is None


def test_a_figure_hovering_at_a_threshold_does_not_flap():
    levels = [level_for(figure, THRESHOLDS, "warning") for figure in (301, 299, 302, 295, 300)]

    assert levels == ["warning"] * 5


# --- A line growing and shrinking --------------------------------------------------------


def test_a_short_line_raises_nothing(hall):
    take(hall, 1)

    evaluate(hall)

    assert not PeakWarning.objects.exists()


def test_the_wait_warning_starts_at_notice_and_rises_with_the_line(hall):
    take(hall, 2)  # a new ticket waits 240 s: past 0.75 x 300
    evaluate(hall)
    assert active(hall).level == "notice"

    take(hall, 1)  # 360 s: past the target
    evaluate(hall)
    assert active(hall).level == "warning"

    take(hall, 3)  # 720 s: past twice the target
    evaluate(hall)
    warning = active(hall)
    assert (warning.level, warning.peak_level) == ("critical", "critical")
    assert list(warning.changes.values_list("kind", flat=True)) == ["started", "raised", "raised"]


def test_the_wait_warning_ends_once_the_line_is_short_again(hall):
    take(hall, 3)
    evaluate(hall)
    warning = active(hall)

    for _ in range(2):
        serve_one(hall)
    evaluate(hall)

    warning.refresh_from_db()
    assert warning.ended_at is not None
    assert warning.changes.last().kind == "ended"


def test_a_warning_lowers_before_it_ends(hall):
    HallService.objects.filter(outlet=hall.hall, service=hall.payment).update(target_wait_seconds=320)
    take(hall, 3)  # 360 s: past the target of 320 s
    evaluate(hall)

    serve_one(hall)  # 240 s: below 0.8 x 320, still above 0.8 x the notice's 240
    evaluate(hall)

    assert active(hall).level == "notice"


def test_evaluating_again_without_a_change_changes_nothing(hall):
    take(hall, 3)
    evaluate(hall)

    evaluate(hall)
    evaluate(hall)

    assert PeakWarning.objects.count() == 1
    assert WarningChange.objects.count() == 1


def test_the_longest_wait_passing_the_target_raises_its_own_warning(hall, clock):
    take(hall, 1)
    clock.shift(timedelta(minutes=6))

    evaluate(hall)

    assert active(hall, WarningKind.LONGEST_WAIT).level == "warning"


def test_arrivals_beyond_what_the_open_counters_serve_raise_a_warning(hall):
    # Counter 2 serves 7.5 payments in 15 minutes; twelve arrive.
    take(hall, 12)

    evaluate(hall)

    warning = active(hall, WarningKind.ARRIVALS)
    assert warning.level == "critical" and warning.figure == pytest.approx(12 / 7.5, abs=0.01)


def test_a_counter_paused_longer_than_the_hall_allows_raises_a_warning(hall, clock):
    queue.counter_pause(counter_id=hall.counter2.pk, actor=hall.agent)
    clock.shift(timedelta(minutes=hall.hall.pause_limit_minutes + 1))

    evaluate(hall)

    warning = active(hall, WarningKind.LONG_PAUSE)
    assert warning.level == "warning" and warning.subject == f"counter:{hall.counter2.pk}"


def test_a_display_that_stopped_sending_heartbeats_raises_a_warning(hall, clock):
    queue.display_heartbeat(outlet=hall.hall, device_id="lobby-screen-0001", kind="lobby")
    clock.shift(timedelta(minutes=5))

    evaluate(hall)

    assert active(hall, WarningKind.DEVICE_SILENT) is not None


# --- Telling people -------------------------------------------------------------------------


def test_a_new_warning_puts_a_line_on_the_wall_displays(hall, listen, django_capture_on_commit_callbacks):
    display = listen(queue_events.hall_display_group(hall.hall.code))
    take(hall, 3)

    with django_capture_on_commit_callbacks(execute=True):
        evaluate(hall)

    alert = next(m for m in display.wait_for(lambda m: any(x["type"] == "alert" for x in m)) if m["type"] == "alert")
    assert alert["level"] == "warning" and "自助终端" in alert["message"]
    assert HallNotice.objects.get(outlet=hall.hall).message == alert["message"]


def test_the_line_leaves_the_displays_when_the_warnings_end(hall):
    take(hall, 3)
    evaluate(hall)

    for _ in range(3):
        serve_one(hall)
    evaluate(hall)

    assert not HallNotice.objects.filter(outlet=hall.hall).exists()


def test_a_critical_warning_texts_the_manager_once(hall):
    take(hall, 6)
    evaluate(hall)
    take(hall, 1)

    evaluate(hall)
    evaluate(hall)

    [text] = SmsMessage.objects.filter(purpose="peak_warning", to=MANAGER_PHONE).exclude(text__contains="最久")
    assert "WARN-1" not in text.text and hall.hall.name in text.text


def test_a_warning_below_critical_texts_nobody(hall):
    take(hall, 3)

    evaluate(hall)

    assert not SmsMessage.objects.filter(purpose="peak_warning").exists()


def test_acknowledging_records_who_and_when(hall):
    take(hall, 3)
    evaluate(hall)
    warning = active(hall)

    services.warning_acknowledge(warning_id=warning.pk, actor=hall.manager)

    warning.refresh_from_db()
    assert warning.acknowledged_by == hall.manager and warning.acknowledged_at == MONDAY_TEN
    assert warning.changes.filter(kind="acknowledged", actor=hall.manager).exists()


def test_every_hall_is_evaluated_in_one_go(hall):
    other = build_floor(code="WARN-2")
    queue.counter_open(counter_id=other.counter2.pk, user=other.agent)
    take(hall, 3)
    take(other, 12)

    services.warnings_evaluate_all()

    assert set(PeakWarning.objects.values_list("outlet__code", flat=True)) == {"WARN-1", "WARN-2"}


# --- Suggestions ------------------------------------------------------------------------------


def suggestions(floor, kind=WarningKind.WAIT):
    warning = active(floor, kind)
    return {s.kind: s for s in warning.suggestions.filter(applied_at__isnull=True, withdrawn_at__isnull=True)}


def test_an_open_counter_whose_agent_has_the_skill_is_suggested_to_add_the_service(hall):
    queue.counter_open(counter_id=hall.counter3.pk, user=hall.agent2)  # enquiry only
    hall.agent2.memberships.get(outlet=hall.hall).skills.add(hall.payment)
    take(hall, 3)

    evaluate(hall)

    add = suggestions(hall)["add_service"]
    assert add.params == {"counter": hall.counter3.pk, "service": hall.payment.pk}


def test_an_agent_without_the_skill_is_not_suggested(hall):
    queue.counter_open(counter_id=hall.counter3.pk, user=hall.agent2)
    take(hall, 3)

    evaluate(hall)

    assert "add_service" not in suggestions(hall)


def test_applying_add_service_changes_the_routing_at_once(hall):
    queue.counter_open(counter_id=hall.counter3.pk, user=hall.agent2)
    hall.agent2.memberships.get(outlet=hall.hall).skills.add(hall.payment)
    tickets = take(hall, 3)
    evaluate(hall)

    changed = services.suggestion_apply(suggestion_id=suggestions(hall)["add_service"].pk, actor=hall.manager)

    assert changed["counters"][0]["services"] == ["enquiry", "payment"]
    assert CounterService.objects.filter(counter=hall.counter3, service=hall.payment).exists()
    called = queue.ticket_call_next(counter_id=hall.counter3.pk, actor=hall.agent2)
    assert called.pk == tickets[0].pk


def test_a_paused_counter_serving_the_service_is_suggested_to_resume_and_applying_resumes_it(hall):
    queue.counter_open(counter_id=hall.counter1.pk, user=hall.agent2)
    queue.counter_pause(counter_id=hall.counter1.pk, actor=hall.agent2)
    take(hall, 3)
    evaluate(hall)

    services.suggestion_apply(suggestion_id=suggestions(hall)["end_pause"].pk, actor=hall.manager)

    hall.counter1.refresh_from_db()
    assert hall.counter1.state == "open"


def test_a_closed_counter_serving_the_service_is_suggested_and_applying_asks_the_agents(hall):
    take(hall, 3)
    evaluate(hall)
    open_counter = suggestions(hall)["open_counter"]

    services.suggestion_apply(suggestion_id=open_counter.pk, actor=hall.manager)

    request = CounterRequest.objects.get()
    assert (request.counter_id, request.service_id, request.requested_by) == (
        hall.counter1.pk, hall.payment.pk, hall.manager)


def test_a_kiosk_service_is_suggested_to_use_the_kiosks(hall):
    take(hall, 3)
    evaluate(hall)

    services.suggestion_apply(suggestion_id=suggestions(hall)["use_kiosks"].pk, actor=hall.manager)

    assert "自助终端" in HallNotice.objects.get(outlet=hall.hall).message


def test_a_nearby_hall_with_a_clearly_shorter_wait_is_suggested_and_applying_points_customers_there(hall):
    near = build_floor(code="NEAR-1", lat=34.79, lng=113.69)  # about 1.4 km away
    queue.counter_open(counter_id=near.counter2.pk, user=near.agent)
    far = build_floor(code="FAR-1", lat=35.5, lng=114.5)
    queue.counter_open(counter_id=far.counter2.pk, user=far.agent)
    take(hall, 6)
    evaluate(hall)

    suggestion = suggestions(hall)["nearby_hall"]
    services.suggestion_apply(suggestion_id=suggestion.pk, actor=hall.manager)

    assert suggestion.params["to"] == near.hall.pk
    diversion = HallDiversion.objects.get(outlet=hall.hall)
    assert (diversion.to_outlet, diversion.service) == (near.hall, hall.payment)


def test_a_suggestion_applied_twice_answers_the_second_time_that_it_is_not_possible(hall):
    take(hall, 3)
    evaluate(hall)
    suggestion = suggestions(hall)["open_counter"]
    services.suggestion_apply(suggestion_id=suggestion.pk, actor=hall.manager)

    with pytest.raises(queue.NotPossibleNow):
        services.suggestion_apply(suggestion_id=suggestion.pk, actor=hall.manager)


def test_a_suggestion_the_floor_has_overtaken_is_refused_and_withdrawn(hall):
    take(hall, 3)
    evaluate(hall)
    suggestion = suggestions(hall)["open_counter"]
    queue.counter_open(counter_id=hall.counter1.pk, user=hall.agent2)  # opened meanwhile

    with pytest.raises(queue.NotPossibleNow):
        services.suggestion_apply(suggestion_id=suggestion.pk, actor=hall.manager)

    suggestion.refresh_from_db()
    assert suggestion.withdrawn_at is not None and suggestion.applied_at is None


def test_suggestions_no_longer_possible_are_withdrawn_at_the_next_evaluation(hall):
    take(hall, 6)
    evaluate(hall)
    queue.counter_open(counter_id=hall.counter1.pk, user=hall.agent2)

    evaluate(hall)

    assert "open_counter" not in suggestions(hall)


def test_a_long_pause_suggests_ending_it(hall, clock):
    queue.counter_pause(counter_id=hall.counter2.pk, actor=hall.agent)
    clock.shift(timedelta(minutes=25))
    evaluate(hall)

    end = suggestions(hall, WarningKind.LONG_PAUSE)["end_pause"]

    assert end.params == {"counter": hall.counter2.pk}


# --- Who may see and act ------------------------------------------------------------------------


def client_of(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return api


@pytest.fixture
def warned(hall):
    take(hall, 3)
    evaluate(hall)
    return hall, active(hall)


def test_the_halls_agents_see_its_warnings_in_the_contracts_shape(warned):
    hall, warning = warned

    response = client_of(hall.agent).get(f"/api/v1/halls/{hall.hall.code}/warnings/?active=true")

    assert response.status_code == 200
    [body] = [w for w in response.json() if w["kind"] == "wait"]
    assert {"id", "level", "kind", "service", "started_at", "ended_at", "acknowledged_at", "message",
            "suggestions"} <= set(body)
    assert body["service"] == "payment" and body["suggestions"][0].keys() == {"id", "kind", "text"}


def test_an_agent_may_not_acknowledge(warned):
    hall, warning = warned

    response = client_of(hall.agent).post(f"/api/v1/warnings/{warning.pk}/acknowledge/")

    assert response.status_code == 403


def test_the_manager_acknowledges_and_applies(warned):
    hall, warning = warned
    api = client_of(hall.manager)
    suggestion = warning.suggestions.filter(kind="use_kiosks").first()

    acknowledged = api.post(f"/api/v1/warnings/{warning.pk}/acknowledge/")
    applied = api.post(f"/api/v1/suggestions/{suggestion.pk}/apply/")
    again = api.post(f"/api/v1/suggestions/{suggestion.pk}/apply/")

    assert acknowledged.status_code == 200 and acknowledged.json()["acknowledged_at"]
    assert applied.status_code == 200 and applied.json()["kind"] == "use_kiosks"
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_possible"


def test_another_halls_manager_is_refused(warned):
    hall, warning = warned
    other = build_floor(code="OTHER-9")
    stranger = UserFactory(username="other-manager")
    member(stranger, other.hall, StaffRole.MANAGER)
    api = client_of(stranger)

    assert api.get(f"/api/v1/halls/{hall.hall.code}/warnings/").status_code == 403
    assert api.post(f"/api/v1/warnings/{warning.pk}/acknowledge/").status_code == 403
    assert api.post(f"/api/v1/suggestions/{Suggestion.objects.first().pk}/apply/").status_code == 403


def test_city_operations_read_but_do_not_act(warned):
    from django.contrib.auth.models import Group

    from halls.roles import CITY_OPERATIONS_GROUP

    hall, warning = warned
    ops = UserFactory(username="ops-warn", is_staff=True)
    ops.groups.add(Group.objects.get(name=CITY_OPERATIONS_GROUP))
    api = client_of(ops)

    assert api.get(f"/api/v1/halls/{hall.hall.code}/warnings/").status_code == 200
    assert api.post(f"/api/v1/warnings/{warning.pk}/acknowledge/").status_code == 403


def test_anonymous_callers_are_asked_to_sign_in(warned):
    hall, _ = warned

    assert APIClient().get(f"/api/v1/halls/{hall.hall.code}/warnings/").status_code == 401


def test_a_change_of_the_line_is_evaluated_without_waiting_for_the_minute(hall, settings, celery_eager,
                                                                          django_capture_on_commit_callbacks):
    settings.PLANNING_EVALUATE_EVERY_SECONDS = 0
    settings.PLANNING_EVALUATE_BATCH_SECONDS = 0

    with django_capture_on_commit_callbacks(execute=True):
        take(hall, 3)

    assert active(hall).level == "warning"


def test_changes_within_the_window_have_the_hall_evaluated_once(hall, settings, celery_eager,
                                                               django_capture_on_commit_callbacks):
    from queueing.planning import signals

    settings.PLANNING_EVALUATE_EVERY_SECONDS = 60
    settings.PLANNING_EVALUATE_BATCH_SECONDS = 0
    signals._last_claimed.clear()
    cache.delete(f"planning:evaluate:{hall.hall.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        take(hall, 1)
    with django_capture_on_commit_callbacks(execute=True):
        take(hall, 3)

    assert active(hall) is None


def test_halls_that_changed_together_are_evaluated_by_one_batch(hall, settings,
                                                                django_capture_on_commit_callbacks):
    from queueing.planning import signals, tasks

    other = build_floor(code="WARN-2")
    HallService.objects.filter(outlet=other.hall, service=other.payment).update(target_wait_seconds=300)
    queue.counter_open(counter_id=other.counter2.pk, user=other.agent)
    settings.PLANNING_EVALUATE_EVERY_SECONDS = 0
    settings.PLANNING_EVALUATE_BATCH_SECONDS = 1
    signals._last_claimed.clear()
    cache.delete(signals.BATCH_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        take(hall, 3)
        take(other, 3)

    tasks.warnings_evaluate_pending()

    assert (active(hall).level, active(other).level) == ("warning", "warning")


def test_a_batch_takes_its_halls_once(hall, settings, django_capture_on_commit_callbacks):
    from queueing.planning import signals, tasks

    settings.PLANNING_EVALUATE_EVERY_SECONDS = 0
    settings.PLANNING_EVALUATE_BATCH_SECONDS = 1
    signals._last_claimed.clear()
    with django_capture_on_commit_callbacks(execute=True):
        take(hall, 3)
    tasks.warnings_evaluate_pending()
    PeakWarning.objects.all().delete()

    assert tasks.warnings_evaluate_pending() == 0 and active(hall) is None


@pytest.fixture
def kept(hall, settings, django_capture_on_commit_callbacks):
    """Three payment tickets waiting (a wait warning), the hall evaluated and
    its levels kept; changes then claim an evaluation at once, in batches."""
    from queueing.planning import signals

    settings.PLANNING_EVALUATE_EVERY_SECONDS = 0
    settings.PLANNING_EVALUATE_BATCH_SECONDS = 1
    signals._last_claimed.clear()
    take(hall, 3)
    with django_capture_on_commit_callbacks(execute=True):
        evaluate(hall)
    assert active(hall).level == "warning"
    pending_halls()
    return hall


def pending_halls() -> set[int]:
    """The halls waiting for an evaluation on change (and none after)."""
    from config.cache import cache_set_take
    from queueing.planning import signals

    cache.delete(signals.BATCH_KEY)
    return {int(pk) for pk in cache_set_take(cache, signals.PENDING_KEY)}


def test_a_change_that_moves_no_wait_level_waits_for_the_minute(kept, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        take(kept, 1)  # 480 s against a target of 300: still a warning, not yet critical

    assert kept.hall.pk not in pending_halls()


def test_a_change_that_raises_a_wait_level_has_the_hall_evaluated(kept, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        take(kept, 3)  # 720 s: past twice the target

    assert kept.hall.pk in pending_halls()


def test_a_change_that_ends_a_wait_level_has_the_hall_evaluated(kept, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        serve_one(kept)
        serve_one(kept)

    assert kept.hall.pk in pending_halls()


def test_every_change_of_a_hall_whose_live_floor_is_open_is_evaluated(kept, django_capture_on_commit_callbacks):
    from queueing.planning.events import floor_watched

    floor_watched(kept.hall.pk)
    with django_capture_on_commit_callbacks(execute=True):
        take(kept, 1)

    assert kept.hall.pk in pending_halls()


def test_a_change_of_a_hall_whose_levels_are_not_kept_is_evaluated(kept, django_capture_on_commit_callbacks):
    from queueing.planning.levels import levels_key

    cache.delete(levels_key(kept.hall.pk))
    with django_capture_on_commit_callbacks(execute=True):
        take(kept, 1)

    assert kept.hall.pk in pending_halls()


def test_the_levels_kept_follow_the_evaluation(kept, django_capture_on_commit_callbacks):
    from queueing.planning.levels import levels_key

    take(kept, 3)
    with django_capture_on_commit_callbacks(execute=True):
        evaluate(kept)

    assert cache.get(levels_key(kept.hall.pk))[kept.payment.pk] == (300.0, "critical")


def test_the_minute_task_evaluates_every_hall(hall, celery_eager):
    from queueing.planning.tasks import warnings_evaluate_all

    take(hall, 3)

    warnings_evaluate_all.delay()

    assert active(hall) is not None


def test_the_task_runs_every_minute(settings):
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values()
                 if e["task"] == "queueing.planning.tasks.warnings_evaluate_all")

    assert entry["schedule"] == 60.0


def test_the_phone_page_of_a_busy_hall_offers_the_nearby_hall_its_manager_points_to(hall, client):
    near = build_floor(code="NEAR-2", lat=34.79, lng=113.69)
    queue.hall_diversion_start(outlet=hall.hall, to_outlet=near.hall, service=hall.payment, actor=hall.manager)

    page = client.get(f"/m/{hall.hall.code}/").content.decode()

    assert 'data-diversion="NEAR-2"' in page and near.hall.name in page and "/m/NEAR-2/" in page
