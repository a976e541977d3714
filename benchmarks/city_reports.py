"""Reports at the scale of the whole city: a month of every hall's tickets,
the rollups built from them, and the reports read from the rollups.

    .venv/bin/python benchmarks/city_reports.py [--month 2026-11] [--jobs 2]
        [--seed 2012] [--db qms_bench_reports] [--reuse] [--write]

What it does, in one run:

1. Builds a fresh PostgreSQL database (`--db`, dropped first, unless
   `--reuse` finds it built): migrations and the demo city (`seed_demo`).
2. Generates the month's history for every hall with a queue
   (`generate_history`, seed `--seed`, in `--jobs` processes): about six
   million tickets with their events.
3. Rebuilds the month's rollups from the tickets and the event log
   (`rollups_rebuild`, the halls split over `--jobs` processes): what the
   rollup task does as the days go by, all at once.
4. Times what city operations and managers open, each a median of 7 after
   one cold read: the month's city report (every district and hall, ranked)
   through the API and the selector alone; one district; one hall's report
   page data; a hall's daily and agents reports; and, as the baseline of the
   same run, the city's month worked out directly from the tickets in one
   SQL aggregate (what a report would cost without rollups, without p90).
5. Prints a Markdown report; `--write` puts it in docs/benchmarks.md.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from calendar import monthrange
from datetime import date

from harness import ROOT, machine, machine_line, now_stamp, prepare_database, psql, section_markers, server_env
from harness import write_section as harness_write_section

NAME = "city_reports"
REPEATS = 7


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--month", default="2026-11", help="The month, YYYY-MM (default 2026-11).")
    parser.add_argument("--jobs", type=int, default=2, help="Processes generating and rolling up (default 2).")
    parser.add_argument("--seed", type=int, default=2012, help="Seed of the generated history (default 2012).")
    parser.add_argument("--db", default="qms_bench_reports", help="Database to build (dropped first).")
    parser.add_argument("--reuse", action="store_true", help="Keep the database when it holds the month already.")
    parser.add_argument("--write", action="store_true", help="Write the report into docs/benchmarks.md.")
    return parser.parse_args(argv)


def in_parallel(env, commands) -> float:
    """Run manage.py `commands` (lists of arguments) at once; the wall time."""
    started = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "manage.py", *c], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for c in commands]
    for proc in procs:
        out, err = proc.communicate(timeout=4 * 3600)
        if proc.returncode:
            raise RuntimeError(f"{proc.args} failed:\n{err}")
        print(out.strip(), flush=True)
    return time.monotonic() - started


def timed(fn) -> tuple[float, float]:
    """(cold, median of REPEATS warm) seconds of fn()."""
    t0 = time.perf_counter()
    fn()
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - t0)
    return cold, statistics.median(warm)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def main(argv=None) -> int:
    args = parse_args(argv)
    year, month = map(int, args.month.split("-"))
    first, last = date(year, month, 1), date(year, month, monthrange(year, month)[1])
    m = machine()
    stamp = now_stamp()
    env = server_env(args.db, "qms-bench-reports", extra=("DEBUG=true", "LOG_LEVEL=WARNING", "ALLOWED_HOSTS=*"))
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{args.db}'") == "1"
    seed_seconds = None
    if not (args.reuse and exists):
        print(f"Building {args.db}: migrations and the demo city ...", flush=True)
        started = time.monotonic()
        prepare_database(args.db, env, [sys.executable, "manage.py", "seed_demo"], floor_timeout=1800)
        seed_seconds = time.monotonic() - started

    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Sum
    from django.test import Client

    from halls.models import Outlet
    from queueing.models import Ticket
    from queueing.planning.selectors import halls_with_a_queue
    from queueing.reports.models import HallDay, ServiceHour
    from queueing.reports.selectors import Period, agent_rows, city_report, daily_rows

    city = list(Outlet.objects.filter(pk__in=halls_with_a_queue()).order_by("code").values_list("code", flat=True))
    month_args = ["--from", first.isoformat(), "--to", last.isoformat()]
    before = Ticket.objects.filter(business_date__range=(first, last)).count()
    print(f"History of {first:%Y-%m} for {len(city)} halls in {args.jobs} processes ...", flush=True)
    generation = in_parallel(env, [["generate_history", *[a for c in city[i::args.jobs] for a in ("--hall", c)],
                                    *month_args, "--seed", str(args.seed)] for i in range(args.jobs)])
    tickets = Ticket.objects.filter(business_date__range=(first, last)).count()
    print(f"Rollups of {first:%Y-%m} ...", flush=True)
    rollup = in_parallel(env, [["rollups_rebuild", *month_args, *[a for c in city[i::args.jobs] for a in ("--hall", c)]]
                               for i in range(args.jobs)])
    hall_days = HallDay.objects.filter(date__range=(first, last)).count()
    service_hours = ServiceHour.objects.filter(date__range=(first, last)).count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
        cursor.execute("VACUUM ANALYZE")

    period = Period(first, last)
    halls = list(Outlet.objects.filter(code__in=city).only("pk", "code", "name", "district"))
    busiest_id = (HallDay.objects.filter(date__range=(first, last)).values("outlet_id")
                  .annotate(n=Sum("issued")).order_by("-n")[0]["outlet_id"])
    busiest = next(o for o in halls if o.pk == busiest_id)
    district = busiest.district
    ops = get_user_model().objects.get(username="demo_ops")
    client = Client()
    client.force_login(ops)
    query = f"from={first}&to={last}"

    def api(path):
        def call():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code, response.content[:300])
            return response
        return call

    def direct():
        # The city's month from the tickets, as one aggregate: counts, waits, handle times per hall.
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT outlet_id, count(*), count(*) FILTER (WHERE status = 'done'),
                          avg(extract(epoch FROM first_called_at - issued_at)),
                          avg(extract(epoch FROM finished_at - started_at))
                   FROM queueing_ticket WHERE business_date BETWEEN %s AND %s GROUP BY outlet_id""",
                [first, last],
            )
            return cursor.fetchall()

    rows = [
        ("the city's month through the API (`GET /api/v1/city/reports/`)", api(f"/api/v1/city/reports/?{query}")),
        ("the same, the selector alone (`city_report`)", lambda: city_report(halls, period, using="default")),
        ("one district's month through the API", api(f"/api/v1/city/reports/?{query}&district={district}")),
        (f"the busiest hall's report page data ({busiest.code}, `GET /api/v1/halls/{{code}}/reports/`)",
         api(f"/api/v1/halls/{busiest.code}/reports/?{query}")),
        ("its daily report (`/reports/daily/`), selector", lambda: daily_rows(busiest, period, using="default")),
        ("its agents report (`/reports/agents/`), selector", lambda: agent_rows(busiest, period, using="default")),
        ("baseline: the city's month straight from the tickets (one SQL aggregate, no p90)", direct),
    ]
    results = []
    for label, fn in rows:
        print(f"Timing: {label} ...", flush=True)
        results.append((label, *timed(fn)))
    city_warm = results[0][2]
    baseline_warm = results[-1][2]

    lines = [
        f"## Reports at the scale of the city ({stamp})",
        "",
        f"`.venv/bin/python benchmarks/city_reports.py --month {args.month} --jobs {args.jobs}"
        f"{' --write' if args.write else ''}` on {machine_line(m)}.",
        "",
        f"A month ({first} to {last}) of generated history for all {len(city)} halls with a queue: "
        f"**{tickets:,} tickets**, "
        + (f"generated in {generation:,.0f} s" if tickets > before else "generated by an earlier run (`--reuse`)")
        + f"; their rollups rebuilt from the tickets and the "
        f"event log in {rollup:,.0f} s ({hall_days:,} hall-days, {service_hours:,} service-hours; "
        f"{1000 * rollup * args.jobs / max(hall_days, 1):,.0f} ms of one process per hall-day); database {size}."
        + (f" The demo city took {seed_seconds:,.0f} s to build." if seed_seconds else ""),
        "",
        "| read | cold | warm (median of 7) |",
        "| --- | ---: | ---: |",
        *[f"| {label} | {ms(cold)} | {ms(warm)} |" for label, cold, warm in results],
        "",
        f"The month's city report answers in **{ms(city_warm)}** (target: under a second), "
        f"{baseline_warm / city_warm:,.0f} times faster than the one aggregate over the month's tickets it replaces, "
        "which gives no percentile and no service level.",
    ]
    start, end = section_markers(NAME)
    text = "\n".join([start, *lines, end])
    print(text)
    if args.write:
        harness_write_section(text, start, end)
    return 0


if __name__ == "__main__":
    sys.exit(main())
