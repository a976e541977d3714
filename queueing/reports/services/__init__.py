"""Every write of reports (the rollups, the managers' daily summary). Import services from here: `from queueing.reports import services`."""

from .rollups import RollupWritten, halls_with_tickets, rollups_refresh_day, rollups_refresh_recent
from .summaries import daily_summary_recipients, daily_summary_send

__all__ = [
    "RollupWritten",
    "daily_summary_recipients",
    "daily_summary_send",
    "halls_with_tickets",
    "rollups_refresh_day",
    "rollups_refresh_recent",
]
