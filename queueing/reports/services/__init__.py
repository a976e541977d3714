"""Every write of reports (the rollups). Import services from here: `from queueing.reports import services`."""

__all__: list[str] = []
