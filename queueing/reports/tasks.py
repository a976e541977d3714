"""Celery tasks of reports: each calls one service and is idempotent (a
hall-day's rollups are worked out whole from the log)."""

from datetime import date, timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from config.tasks import enqueue

from .services import (
    daily_summary_recipients,
    daily_summary_send,
    halls_with_tickets,
    rollups_refresh_day,
    rollups_refresh_recent,
)


@shared_task(acks_late=True)
def rollups_refresh() -> int:
    """Beat, every REPORTS_ROLLUP_EVERY_SECONDS: the halls that changed since
    a little before the last run (the overlap covers a late run). Returns the
    hall-days worked out."""
    since = timezone.now() - timedelta(seconds=2 * settings.REPORTS_ROLLUP_EVERY_SECONDS + 30)
    return rollups_refresh_recent(since=since).hall_days


@shared_task(acks_late=True)
def rollups_finalise_yesterday() -> int:
    """Nightly, after the day close: yesterday's rollups of every hall with
    tickets, one task per hall. Returns how many."""
    day = timezone.localdate() - timedelta(days=1)
    halls = halls_with_tickets(day)
    for outlet_id in halls:
        enqueue("queueing.reports.tasks.rollups_refresh_hall_day", outlet_id, day.isoformat())
    return len(halls)


@shared_task(acks_late=True)
def rollups_refresh_hall_day(outlet_id: int, day: str) -> int:
    """One hall's business day (ISO date) worked out again; returns the rows written."""
    return rollups_refresh_day(outlet_ids=[outlet_id], day=date.fromisoformat(day)).rows


@shared_task(acks_late=True)
def daily_summaries_send() -> int:
    """Beat, at REPORTS_DAILY_SUMMARY_AT: yesterday's summary for every hall
    manager, one task each. Returns how many were queued."""
    day = timezone.localdate() - timedelta(days=1)
    users = list(daily_summary_recipients().values_list("pk", flat=True))
    for user_id in users:
        enqueue("queueing.reports.tasks.daily_summary_send_one", user_id, day.isoformat())
    return len(users)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
def daily_summary_send_one(user_id: int, day: str) -> bool:
    """One manager's summary of business day `day` (ISO), once; a mail server
    that does not answer is tried again later."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    return user is not None and daily_summary_send(user=user, day=date.fromisoformat(day))
