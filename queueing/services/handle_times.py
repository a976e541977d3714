"""Learning how long each service takes at each hall and hour of the day,
from the finished tickets of recent weeks (queueing.HandleTime): what wait
estimates use (queueing.selectors.handle_stats)."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..models import HandleTime
from ..selectors import handle_time_rows

LEARN_DAYS = 28


def handle_times_learn(*, now: datetime | None = None, days: int = LEARN_DAYS) -> int:
    """Replace every hall's learned handle times with those of the last `days`
    days (idempotent; run nightly). Returns how many (hall, service, hour)
    rows it wrote."""
    now = now or timezone.now()
    rows = handle_time_rows(since=now - timedelta(days=days), until=now)
    learned = [
        HandleTime(outlet_id=outlet_id, service_id=service_id, hour=int(hour), samples=n, mean_seconds=float(mean),
                   sd_seconds=float(sd) if sd and float(sd) > 0 else 0.6 * float(mean), computed_at=now)
        for outlet_id, service_id, hour, n, mean, sd in rows if mean is not None
    ]
    with transaction.atomic():
        HandleTime.objects.all().delete()
        HandleTime.objects.bulk_create(learned, batch_size=2000)
    return len(learned)
