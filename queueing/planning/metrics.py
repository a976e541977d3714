"""Peak-flow warnings for Prometheus, read at scrape time (config.metrics_view)."""

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily

from config.cache import process_memo

from .models import PeakWarning, WarningLevel

# Scrapes within this many seconds share one reading, per process.
READ_EVERY_SECONDS = 10


def _active_by_level() -> dict:
    # Open warnings are few (one per hall, kind and subject) and indexed.
    return dict(PeakWarning.objects.filter(ended_at__isnull=True).values_list("level")
                .annotate(n=Count("id")).order_by())


class ActiveWarningsCollector:
    """Every process reports the same values: aggregate with max(), not sum()."""

    def collect(self):
        counts = process_memo("metrics:warnings-active", _active_by_level, READ_EVERY_SECONDS)
        gauge = GaugeMetricFamily("qms_peak_warnings_active", "Peak-flow warnings open now, by level.",
                                  labels=["level"])
        for level in WarningLevel.values:
            gauge.add_metric([level], counts.get(level, 0))
        yield gauge
