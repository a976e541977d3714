"""Celery tasks of reports: each calls one service and is idempotent (a
hall-day's rollups are worked out whole from the log)."""

from datetime import date, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from config.tasks import enqueue

from .services import halls_with_tickets, rollups_refresh_day, rollups_refresh_recent


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
