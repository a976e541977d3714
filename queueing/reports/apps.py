from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Store-manager reports and the city operations dashboard: rollups of
    the queue's tickets kept current as they end, the reports that read
    them, and the live view of every hall. Depends on the queue (and reads
    planning's forecasts); neither depends on it."""

    name = "queueing.reports"
    label = "reports"
    verbose_name = "报表"
