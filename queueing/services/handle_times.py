"""Learning how long each service takes at each hall and hour of the day,
from the finished tickets of recent weeks (queueing.HandleTime): what wait
estimates use (queueing.selectors.handle_stats)."""

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from ..models import HandleTime, Ticket, TicketStatus

LEARN_DAYS = 28
# Longer than this is not a service but a counter left open: not learned from.
LONGEST_HANDLE_SECONDS = 4 * 3600


def _rows(since: datetime, until: datetime) -> list[tuple]:
    """(outlet, service, local hour, n, mean, sd) of the tickets finished in the window."""
    table = Ticket._meta.db_table
    offset_hours = int(timezone.localtime(until).utcoffset().total_seconds() // 3600)
    if connection.vendor == "postgresql":
        seconds = "EXTRACT(EPOCH FROM (finished_at - started_at))"
        hour = "EXTRACT(HOUR FROM started_at AT TIME ZONE %s)"
        hour_params = [timezone.get_current_timezone_name()]
        sd = "COALESCE(STDDEV_SAMP({s}), 0)"
    else:
        seconds = "((julianday(finished_at) - julianday(started_at)) * 86400.0)"
        hour = "CAST(strftime('%%H', datetime(started_at, %s)) AS INTEGER)"
        hour_params = [f"{offset_hours:+d} hours"]
        sd = "0"  # SQLite has no standard deviation: the estimates fall back on a default spread
    sql = (
        f"SELECT outlet_id, service_id, {hour} AS hour, COUNT(*), AVG({seconds}), {sd.format(s=seconds)} "
        f"FROM {table} WHERE status = %s AND started_at IS NOT NULL AND finished_at IS NOT NULL "
        f"AND finished_at >= %s AND finished_at < %s AND {seconds} BETWEEN 0 AND %s "
        "GROUP BY outlet_id, service_id, hour"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*hour_params, TicketStatus.DONE, since, until, LONGEST_HANDLE_SECONDS])
        return cursor.fetchall()


def handle_times_learn(*, now: datetime | None = None, days: int = LEARN_DAYS) -> int:
    """Replace every hall's learned handle times with those of the last `days`
    days (idempotent; run nightly). Returns how many (hall, service, hour)
    rows it wrote."""
    now = now or timezone.now()
    rows = _rows(now - timedelta(days=days), now)
    learned = [
        HandleTime(outlet_id=outlet_id, service_id=service_id, hour=int(hour), samples=n, mean_seconds=float(mean),
                   sd_seconds=float(sd) if sd and float(sd) > 0 else 0.6 * float(mean), computed_at=now)
        for outlet_id, service_id, hour, n, mean, sd in rows if mean is not None
    ]
    with transaction.atomic():
        HandleTime.objects.all().delete()
        HandleTime.objects.bulk_create(learned, batch_size=2000)
    return len(learned)
