"""The hall managers' morning summary: yesterday's figures of their halls and
what went wrong, mailed once, at the set hour."""

import smtplib
from unittest import mock

import pytest
import time_machine
from django.core.mail import EmailMultiAlternatives

from halls.models import StaffRole
from queueing.models import Ticket, TicketStatus
from queueing.planning.models import PeakWarning, WarningKind, WarningLevel
from queueing.reports import tasks
from queueing.reports.services import daily_summary_recipients, daily_summary_send
from queueing.reports.services.rollups import rollups_refresh_day
from queueing.services import ticket_rate
from tests.halls.factories import UserFactory, member
from tests.queueing.factories import build_floor
from tests.reports.conftest import DAY, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(day):
    user = UserFactory(username="summary-manager", first_name="张丽", email="zhangli@example.com")
    member(user, day.hall, StaffRole.MANAGER)
    return user


def text_of(message) -> str:
    return message.body


def test_the_manager_gets_the_days_figures(manager, day, mailoutbox):
    daily_summary_send(user=manager, day=DAY)

    body = text_of(mailoutbox[0])
    assert mailoutbox[0].to == ["zhangli@example.com"]
    assert "取号 Issued        6" in body and "办结 Served        2" in body


def test_the_summary_says_what_went_wrong(manager, day, mailoutbox):
    daily_summary_send(user=manager, day=DAY)

    body = text_of(mailoutbox[0])
    assert "服务水平 17%，低于目标 80%" in body and "营业结束时仍有 2 位顾客未办理" in body


def test_the_subject_counts_what_needs_attention(manager, day, mailoutbox):
    daily_summary_send(user=manager, day=DAY)

    assert "需关注" in mailoutbox[0].subject


def test_the_summary_comes_as_html_too(manager, day, mailoutbox):
    daily_summary_send(user=manager, day=DAY)

    html, kind = mailoutbox[0].alternatives[0]
    assert kind == "text/html" and day.hall.name in html


def test_a_low_rating_is_quoted(manager, day, mailoutbox):
    done = Ticket.objects.filter(outlet=day.hall, status=TicketStatus.DONE, rating__isnull=True).first()
    ticket_rate(token=done.token, score=1, comment="等太久了")
    rollups_refresh_day(outlet_ids=[day.hall.pk], day=DAY)

    daily_summary_send(user=manager, day=DAY)

    assert "等太久了" in text_of(mailoutbox[0])


def test_critical_warnings_of_the_day_are_counted(manager, day, mailoutbox):
    PeakWarning.objects.create(
        outlet=day.hall, kind=WarningKind.WAIT, service=day.payment, subject="payment", level=WarningLevel.NOTICE,
        peak_level=WarningLevel.CRITICAL, figure=900, threshold=600, message="缴费充值预计等候 15 分钟",
        started_at=at(10), ended_at=at(10, 25),
    )

    daily_summary_send(user=manager, day=DAY)

    assert "严重客流预警 1 次" in text_of(mailoutbox[0])


def test_the_summary_goes_once(manager, day, mailoutbox):
    daily_summary_send(user=manager, day=DAY)

    assert daily_summary_send(user=manager, day=DAY) is False and len(mailoutbox) == 1


def test_a_mail_server_that_fails_leaves_the_summary_to_send_again(manager, day, mailoutbox):
    with mock.patch.object(EmailMultiAlternatives, "send", side_effect=smtplib.SMTPServerDisconnected("gone")):
        with pytest.raises(smtplib.SMTPException):
            daily_summary_send(user=manager, day=DAY)

    assert daily_summary_send(user=manager, day=DAY) is True


def test_a_manager_without_an_email_address_gets_nothing(manager, day, mailoutbox):
    manager.email = ""
    manager.save()

    assert (daily_summary_send(user=manager, day=DAY), mailoutbox) == (False, [])


def test_agents_are_not_sent_summaries(manager, day):
    day.agent.email = "agent@example.com"
    day.agent.save()

    assert list(daily_summary_recipients()) == [manager]


def test_another_halls_manager_reads_only_their_hall(manager, day, mailoutbox):
    other = build_floor(code="RPT-9", name="另一营业厅")
    boss = UserFactory(username="other-manager", email="other@example.com")
    member(boss, other.hall, StaffRole.MANAGER)

    daily_summary_send(user=boss, day=DAY)

    assert day.hall.name not in text_of(mailoutbox[0]) and "当天没有顾客取号" in text_of(mailoutbox[0])


def test_the_morning_task_mails_yesterdays_summary(manager, day, mailoutbox, celery_eager):
    with time_machine.travel(at(7, 30, day=DAY.replace(day=DAY.day + 1)), tick=False):
        tasks.daily_summaries_send()

    assert [m.to for m in mailoutbox] == [["zhangli@example.com"]] and "2026年12月7日" in text_of(mailoutbox[0])


def test_the_summary_links_to_the_days_report(manager, day, mailoutbox, settings):
    settings.SITE_URL = "https://qms.example.com"

    daily_summary_send(user=manager, day=DAY)

    assert f"https://qms.example.com/manage/RPT-1/reports/?from={DAY}&to={DAY}" in text_of(mailoutbox[0])
