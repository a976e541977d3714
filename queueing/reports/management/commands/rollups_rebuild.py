"""Rebuild the reports' rollups from the tickets and the event log for any
range of business days (after an import, a fix, or to check them)."""

import time
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from halls.models import Outlet
from queueing.models import Ticket
from queueing.reports.services import rollups_refresh_day


class Command(BaseCommand):
    help = "Rebuild the reports' rollups of a range of business days (every hall with tickets, or some)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, type=date.fromisoformat, help="YYYY-MM-DD, inclusive")
        parser.add_argument("--hall", action="append", default=[], help="a hall's code (repeatable); default: all")

    def handle(self, *args, start, end, hall, **options):
        if end < start:
            raise CommandError("--to comes before --from.")
        if (end - start).days > 400:
            raise CommandError("At most 400 days at a time.")
        only = None
        if hall:
            found = dict(Outlet.objects.filter(code__in=hall).values_list("code", "pk"))
            missing = sorted(set(hall) - set(found))
            if missing:
                raise CommandError(f"No such hall: {', '.join(missing)}")
            only = set(found.values())
        started = time.monotonic()
        days = halls = rows = 0
        day = start
        while day <= end:
            ids = set(Ticket.objects.filter(business_date=day).values_list("outlet_id", flat=True).distinct()
                      .order_by())
            if only is not None:
                ids &= only
            if ids:
                written = rollups_refresh_day(outlet_ids=sorted(ids), day=day)
                halls += written.hall_days
                rows += written.rows
            days += 1
            day += timedelta(days=1)
        self.stdout.write(f"{days} days, {halls} hall-days, {rows} rows in {time.monotonic() - started:.1f} s")
