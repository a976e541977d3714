"""How honest the wait a ticket is told is: the hall's estimator against the
naive one, replayed on the demo's generated history.

    .venv/bin/python benchmarks/wait_estimates.py [--days 7] [--write]

1. Builds a fresh PostgreSQL database (qms_bench_estimates) with the full demo
   (`seed_demo`: 8 weeks of ticket history at ZZ-H001 and 2 weeks at 11 more
   halls, busy, average and quiet, one open 24 hours).
2. Replays the last `--days` days of each of those halls
   (queueing.planning.accuracy.estimate_accuracy): at every ticket taken, the
   wait the hall's estimator would have told its holder (the line played
   forward, learned handle times) and the naive one (position / counters open
   x mean handle time), against the wait the ticket really had (its first
   call). Handle times are learned from the weeks before the replayed days.
3. Reports per hall and for all: tickets, mean absolute error, the share told
   within 2 minutes of the truth; `--write` puts it in docs/benchmarks.md.
"""

import argparse
import os
import sys
import time

from harness import machine, machine_line, now_stamp, prepare_database, section_markers, server_env, write_section

DB_NAME = "qms_bench_estimates"


def replay(days: int) -> list[dict]:
    from datetime import datetime, timedelta
    from datetime import time as clock

    from django.utils import timezone

    from halls.models import Outlet
    from queueing.models import Ticket
    from queueing.planning.accuracy import estimate_accuracy

    today = timezone.localdate()
    since = timezone.make_aware(datetime.combine(today - timedelta(days=days), clock(0)))
    until = timezone.make_aware(datetime.combine(today, clock(0)))
    halls = Outlet.objects.filter(pk__in=Ticket.objects.filter(issued_at__gte=since, issued_at__lt=until)
                                  .values("outlet_id").distinct()).order_by("code")
    rows = []
    for hall in halls:
        started = time.perf_counter()
        figures = estimate_accuracy(outlet_id=hall.pk, since=since, until=until)
        rows.append({"code": hall.code, "name": hall.name, "seconds": time.perf_counter() - started, **figures})
    return rows


def _total(rows, key):
    n = sum(r[key]["tickets"] for r in rows)
    mae = sum(r[key]["mae_seconds"] * r[key]["tickets"] for r in rows) / n
    within = sum(r[key]["within_2_minutes"] * r[key]["tickets"] for r in rows) / n
    return n, mae, within


def report(rows, days, m, command) -> str:
    start, end = section_markers("wait_estimates")
    lines = "\n".join(
        f"| {r['code']} | {r['new']['tickets']:,} | {r['new']['mae_seconds']:.0f} s / {r['naive']['mae_seconds']:.0f} s "
        f"| {r['new']['within_2_minutes']:.1%} / {r['naive']['within_2_minutes']:.1%} | {r['seconds']:.1f} s |"
        for r in rows
    )
    n, mae, within = _total(rows, "new")
    _, naive_mae, naive_within = _total(rows, "naive")
    better = "yes" if mae < naive_mae and within > naive_within else "**no**"
    return f"""{start}
## Wait estimates: what a ticket is told against what it waited

{now_stamp()}, {machine_line(m)}; load average at the start {m['load']}.

`{command}`

The demo's generated history ({len(rows)} halls, the last {days} days), replayed ticket by ticket: the hall's
estimator (the line played forward with the time left at each counter, counters of several services counted in
part, handle times learned per service and hour) against the naive one (position / counters open x mean handle
time). Error: the estimate at the moment the ticket was taken against its real wait until its first call.

| hall | tickets called | mean absolute error, hall's / naive | told within 2 minutes, hall's / naive | replay |
| --- | --- | --- | --- | --- |
{lines}

| figure | result | target | met |
| --- | --- | --- | --- |
| all halls: mean absolute error, hall's estimator / naive | **{mae:.0f} s** / {naive_mae:.0f} s ({n:,} tickets) | better than naive | {better} |
| all halls: told within 2 minutes, hall's estimator / naive | **{within:.1%}** / {naive_within:.1%} | better than naive | {better} |
{end}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=7, help="days replayed, up to yesterday")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    command = " ".join([".venv/bin/python benchmarks/wait_estimates.py", *sys.argv[1:]])
    env = server_env(DB_NAME, f"bench-estimates-{os.getpid()}", extra=[
        "DEMO_PASSWORD=benchmark-demo-password", "DEMO_KIOSK_TOKEN=benchmark-demo-kiosk-token",
    ])
    m = machine()
    print(f"Building the demo in {DB_NAME} ...", flush=True)
    prepare_database(DB_NAME, env, [sys.executable, "manage.py", "seed_demo"])
    os.environ.update(env)
    sys.path.insert(0, str(__import__("harness").ROOT))
    import django

    django.setup()
    rows = replay(args.days)
    text = report(rows, args.days, m, command)
    print(text)
    if args.write:
        write_section(text, *section_markers("wait_estimates"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
