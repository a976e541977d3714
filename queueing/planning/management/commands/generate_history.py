"""`manage.py generate_history`: ticket history for halls, for forecasts,
reports and benchmarks. See planning.history (what is drawn) and
planning.services.history (what is written, which days are skipped).

    manage.py generate_history --hall ZZ-H001 --weeks 8
    manage.py generate_history --halls 200 --weeks 4 --seed 7
    manage.py generate_history --hall ZZ-H001 --hall ZZ-H002 --from 2026-09-01 --to 2026-10-31
"""

import time
from datetime import date, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from halls.demo_data import SEED as DEMO_SEED
from halls.models import Outlet
from queueing.planning.services import HistoryWritten, history_analyze, history_generate


class Command(BaseCommand):
    help = (
        "Generate ticket history (tickets, their events, counter events, numbers) for halls: days before "
        "each hall's live day that hold nothing yet. Deterministic from --seed; safe to run again."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--hall", action="append", metavar="CODE", help="A hall by code (repeatable).")
        which.add_argument("--halls", type=int, metavar="N", help="The first N halls with a queue, by code.")
        parser.add_argument("--weeks", type=int, help="Weeks up to yesterday (default 8 without --from).")
        parser.add_argument("--from", dest="start", type=date.fromisoformat, help="First business day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="end", type=date.fromisoformat,
                            help="Last business day, YYYY-MM-DD (default yesterday).")
        parser.add_argument("--seed", type=int, default=DEMO_SEED, help=f"Seed of the draws (default {DEMO_SEED}).")
        parser.add_argument(
            "--force", action="store_true",
            help="Write even with DEBUG off. Generated tickets count in reports like real ones: "
                 "not for a database the halls use.",
        )

    def handle(self, *args, hall, halls, weeks, start, end, seed, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: this looks like a deployment, and generated tickets would mix with real ones. "
                "Use --force if this database is for trials or benchmarks."
            )
        outlets = Outlet.objects.filter(has_queue=True).order_by("code")
        if hall:
            found = dict(outlets.filter(code__in=hall).values_list("code", "pk"))
            missing = [code for code in hall if code not in found]
            if missing:
                raise CommandError(f"No hall with a queue: {', '.join(missing)}")
            outlet_ids = [found[code] for code in hall]
        else:
            outlet_ids = list(outlets.values_list("pk", flat=True)[:halls])
        end = end or timezone.localdate() - timedelta(days=1)
        if start is None:
            start = end - timedelta(weeks=weeks or 8, days=-1)
        elif weeks:
            raise CommandError("Give --weeks or --from, not both.")
        if start > end:
            raise CommandError("--from is after --to.")
        started = time.monotonic()
        written = HistoryWritten()
        for number, outlet_id in enumerate(outlet_ids, start=1):
            written.add(history_generate(outlet_ids=[outlet_id], start=start, end=end, seed=seed))
            if number % 10 == 0 or number == len(outlet_ids):
                self.stdout.write(f"  {number}/{len(outlet_ids)} halls, {written.tickets} tickets so far")
        if written.tickets:
            history_analyze()
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(
            f"History {start} to {end} for {len(outlet_ids)} halls in {elapsed:.1f} s: {written.days} days "
            f"written ({written.skipped} already there, {written.closed} closed), {written.tickets} tickets, "
            f"{written.events} ticket events, {written.counter_events} counter events."
        ))
