"""`manage.py forecast`: run the forecasts on demand, what the schedule runs
nightly and through the day (queueing.planning.tasks), here and now.

    manage.py forecast                      # every hall with a queue, the next PLANNING_FORECAST_DAYS days
    manage.py forecast --hall ZZ-H001       # one hall (repeatable)
    manage.py forecast --reforecast         # the rest of today, for the halls open now
    manage.py forecast --hall ZZ-H001 --accuracy   # and how it did on the last two weeks
"""

import time

from django.core.management.base import BaseCommand, CommandError

from halls.models import Outlet
from queueing.planning.selectors import forecast_accuracy, halls_open_now, halls_with_a_queue
from queueing.planning.services import arrivals_forecast_hall, arrivals_reforecast_hall


class Command(BaseCommand):
    help = "Forecast arrivals per hall, service and half hour (nightly), or re-forecast the rest of today."

    def add_arguments(self, parser):
        parser.add_argument("--hall", action="append", metavar="CODE", help="A hall by code (repeatable).")
        parser.add_argument("--reforecast", action="store_true",
                            help="Re-forecast the rest of today from today's arrivals (halls open now, by default).")
        parser.add_argument("--accuracy", action="store_true",
                            help="Also print each hall's WAPE on its last two weeks against seasonal naive.")

    def handle(self, *args, hall, reforecast, accuracy, **options):
        if hall:
            found = dict(Outlet.objects.filter(has_queue=True, code__in=hall).values_list("code", "pk"))
            missing = [code for code in hall if code not in found]
            if missing:
                raise CommandError(f"No hall with a queue: {', '.join(missing)}")
            outlet_ids = [found[code] for code in hall]
        else:
            outlet_ids = halls_open_now() if reforecast else halls_with_a_queue()
        codes = dict(Outlet.objects.filter(pk__in=outlet_ids).values_list("pk", "code"))
        started = time.monotonic()
        changed = 0
        for outlet_id in outlet_ids:
            if reforecast:
                changed += arrivals_reforecast_hall(outlet_id=outlet_id)
                continue
            written = arrivals_forecast_hall(outlet_id=outlet_id)
            changed += written.changed
            if hall or options["verbosity"] > 1:
                self.stdout.write(
                    f"  {codes[outlet_id]}: {written.history_days} days of history; {written.created} slot rows "
                    f"created, {written.updated} updated, {written.deleted} deleted"
                    + "".join(f"; {note}" for note in written.notes)
                )
            if accuracy:
                self._accuracy(codes[outlet_id], outlet_id)
        elapsed = time.monotonic() - started
        what = "Re-forecast today" if reforecast else "Forecast"
        self.stdout.write(self.style.SUCCESS(
            f"{what}: {len(outlet_ids)} halls in {elapsed:.1f} s, {changed} slot rows changed."
        ))

    def _accuracy(self, code: str, outlet_id: int) -> None:
        result = forecast_accuracy(outlet_id)
        if result is None:
            self.stdout.write(f"  {code}: too little history to measure")
            return
        self.stdout.write(
            f"  {code}: WAPE per day {result.wape_day:.1%} (seasonal naive {result.naive_wape_day:.1%}), "
            f"per slot {result.wape_slot:.1%} (naive {result.naive_wape_slot:.1%}, Poisson floor "
            f"{result.floor_slot:.1%}), over {result.days} days and {result.arrivals} tickets"
        )
