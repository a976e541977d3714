"""Every write of reports (the rollups). Import services from here: `from queueing.reports import services`."""

from .rollups import RollupWritten, halls_with_tickets, rollups_refresh_day, rollups_refresh_recent

__all__ = ["RollupWritten", "halls_with_tickets", "rollups_refresh_day", "rollups_refresh_recent"]
