"""A hall's audit log: what its staff and admins did, for its managers and
city operations; the API and the page."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from halls.models import Counter, StaffRole
from halls.roles import CITY_OPERATIONS_GROUP
from queueing import services as queue
from queueing.planning import services as planning
from queueing.planning.models import PeakWarning, Suggestion
from queueing.services import floor as floor_services
from tests.halls.factories import UserFactory, member
from tests.queueing.factories import build_floor


@pytest.fixture
def hall(db):
    floor = build_floor(code="AUD-A")
    floor.manager = UserFactory(username="manager-aud", first_name="张丽")
    member(floor.manager, floor.hall, StaffRole.MANAGER)
    return floor


@pytest.fixture
def worked(hall):
    return work_a_morning(hall)


def work_a_morning(hall):
    """A morning: the agent opens counter 2, calls and finishes a ticket,
    calls one more that does not come; the manager reinstates it, cancels
    another, acknowledges a warning, applies its suggestion, asks for a
    counter, sets a notice and changes counter 3 in the admin."""
    a1, _ = queue.ticket_issue(outlet=hall.hall, service_code="payment", channel="kiosk")
    a2, _ = queue.ticket_issue(outlet=hall.hall, service_code="payment", channel="kiosk")
    a3, _ = queue.ticket_issue(outlet=hall.hall, service_code="payment", channel="kiosk")
    c2 = hall.counter2.pk
    queue.counter_open(counter_id=c2, user=hall.agent)
    queue.ticket_call_next(counter_id=c2, actor=hall.agent)
    queue.ticket_start(counter_id=c2, actor=hall.agent)
    queue.ticket_finish(counter_id=c2, actor=hall.agent)
    queue.ticket_call_next(counter_id=c2, actor=hall.agent)
    queue.ticket_no_show(counter_id=c2, actor=hall.agent)
    queue.ticket_reinstate(outlet=hall.hall, number=a2.number, actor=hall.manager)
    queue.ticket_cancel_by_staff(outlet=hall.hall, number=a3.number, actor=hall.manager)
    now = timezone.now()
    warning = PeakWarning.objects.create(
        outlet=hall.hall, kind="wait", service=hall.payment, subject=f"service:{hall.payment.pk}", level="warning",
        peak_level="warning", figure=900, threshold=600, message="缴费等候较长", started_at=now)
    planning.warning_acknowledge(warning_id=warning.pk, actor=hall.manager)
    Suggestion.objects.create(warning=warning, kind="use_kiosks", text="引导自助办理", created_at=now,
                              applied_at=now, applied_by=hall.manager)
    floor_services.counter_request_create(counter=hall.counter3, actor=hall.manager, service=hall.enquiry)
    floor_services.hall_notice_set(outlet=hall.hall, level="notice", message="请使用自助终端", actor=hall.manager)
    LogEntry.objects.create(
        user=hall.manager, content_type=ContentType.objects.get_for_model(Counter), object_id=str(hall.counter3.pk),
        object_repr="3号窗口", action_flag=CHANGE, change_message="改了名称")
    return hall


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def audit(user, query="", code="AUD-A"):
    return token_client(user).get(f"/api/v1/halls/{code}/audit/{query}")


def city_ops():
    ops = UserFactory(username="ops-aud", is_staff=True)
    ops.groups.add(Group.objects.get(name=CITY_OPERATIONS_GROUP))
    return ops


# --- Who reads it ----------------------------------------------------------------------------


def test_a_manager_reads_what_was_done_at_their_hall_newest_first(worked):
    body = audit(worked.manager).json()

    kinds = {row["kind"] for row in body["results"]}
    times = [row["at"] for row in body["results"]]
    assert kinds == {"ticket", "counter", "ticket_reinstated", "ticket_cancelled", "warning_acknowledged",
                     "suggestion_applied", "counter_request", "notice", "admin"}
    assert times == sorted(times, reverse=True)
    assert body["count"] == len(body["results"]) == 13


def test_each_entry_says_who_did_what_to_what(worked):
    rows = audit(worked.manager, "?kind=ticket_reinstated").json()["results"]

    assert rows == [{
        "at": rows[0]["at"], "kind": "ticket_reinstated", "action": "reinstated", "label": "过号顺延",
        "label_en": "reinstated", "actor": "manager-aud", "actor_name": "张丽", "subject": "A002", "detail": "places: 3, times: 1",
    }]


def test_city_operations_read_any_halls_log(worked):
    assert audit(city_ops()).status_code == 200


def test_another_halls_manager_is_refused(worked):
    other = build_floor(code="AUD-B")
    stranger = UserFactory(username="manager-elsewhere")
    member(stranger, other.hall, StaffRole.MANAGER)

    response = audit(stranger)

    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


def test_the_halls_agents_are_refused(worked):
    assert audit(worked.agent).status_code == 403


def test_anonymous_callers_must_sign_in(worked):
    assert APIClient().get("/api/v1/halls/AUD-A/audit/").status_code == 401


def test_an_unknown_hall_is_not_found(worked):
    assert audit(worked.manager, code="NO-SUCH").status_code == 404


# --- Filters ---------------------------------------------------------------------------------


def test_the_actor_filter_keeps_one_persons_actions(worked):
    rows = audit(worked.manager, "?actor=agent-AUD-A").json()["results"]

    assert {row["actor"] for row in rows} == {"agent-AUD-A"}
    assert [row["action"] for row in rows] == ["no_show", "called", "finished", "started", "called", "opened"]


def test_the_kind_filter_keeps_one_kind(worked):
    rows = audit(worked.manager, "?kind=admin").json()["results"]

    assert [(row["action"], row["subject"], row["detail"]) for row in rows] == [("change", "窗口 · 3号窗口", "改了名称")]


def test_the_date_range_leaves_out_other_days(worked):
    yesterday = timezone.localdate() - timedelta(days=1)

    body = audit(worked.manager, f"?from={yesterday - timedelta(days=3)}&to={yesterday}").json()

    assert body["count"] == 0 and body["results"] == []


def test_the_log_is_paginated(worked):
    first = audit(worked.manager, "?page_size=5").json()
    second = token_client(worked.manager).get(first["next"]).json()

    assert (first["count"], len(first["results"]), len(second["results"])) == (13, 5, 5)
    assert first["results"][-1]["at"] >= second["results"][0]["at"]
    assert not {r["at"] + r["action"] for r in first["results"]} & {r["at"] + r["action"] for r in second["results"]}


def test_an_unknown_kind_is_a_validation_error(worked):
    response = audit(worked.manager, "?kind=everything")

    assert response.status_code == 400 and "kind" in response.json()["error"]["fields"]


def test_from_after_to_is_a_validation_error(worked):
    response = audit(worked.manager, "?from=2030-01-02&to=2030-01-01")

    assert response.status_code == 400 and "from" in response.json()["error"]["fields"]


def test_another_halls_actions_are_not_in_the_log(worked):
    other = build_floor(code="AUD-C")
    queue.counter_open(counter_id=other.counter1.pk, user=other.agent)

    rows = audit(worked.manager, "?kind=counter").json()["results"]

    assert [row["subject"] for row in rows] == ["2号窗口"]


# --- The page --------------------------------------------------------------------------------


def page_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_lists_the_halls_actions_for_its_manager(worked):
    page = page_of(worked.manager).get("/manage/AUD-A/audit/").content.decode()

    assert page.count("<tr data-kind=") == 13 and "过号顺延" in page and "改了名称" in page


def test_the_page_filters_by_kind(worked):
    page = page_of(worked.manager).get("/manage/AUD-A/audit/?kind=notice").content.decode()

    assert page.count("<tr data-kind=") == 1 and "请使用自助终端" in page


def test_the_page_sends_anonymous_visitors_to_sign_in(worked):
    response = Client().get("/manage/AUD-A/audit/")

    assert response.status_code == 302 and response["Location"].startswith("/console/login/?next=/manage/AUD-A/audit/")


def test_the_page_refuses_agents(worked):
    assert page_of(worked.agent).get("/manage/AUD-A/audit/").status_code == 403


def test_the_floor_page_links_to_the_log_for_managers_only(worked):
    manager_page = page_of(worked.manager).get("/manage/AUD-A/").content.decode()
    agent_page = page_of(worked.agent).get("/manage/AUD-A/").content.decode()

    assert "data-audit-link" in manager_page and "data-audit-link" not in agent_page
