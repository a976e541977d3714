"""Peak-flow warnings: evaluating every hall of the demo city in one tick.

    .venv/bin/python benchmarks/peak_warnings.py [--ticks 5] [--write]

1. Builds a fresh PostgreSQL database (qms_bench_warnings): migrations and the
   full demo city (`seed_demo`: 212 owned halls with their counters).
2. Puts each hall in a busy moment (a Monday at 11:00, the clock moved there
   by time-machine), the same every run (seeded): a third to
   all of its counters open (agents of its own), 0 to 40 waiting
   tickets per hall spread over its services, a few already at counters.
3. Times `warnings_evaluate_all()` (what Celery beat runs every minute) over
   `--ticks` ticks: the first on cold caches, then warm; reports each tick's
   total time, the halls per second, the queries it took, and the warnings
   it left active.
4. `--write` puts the report in docs/benchmarks.md (its own section).
"""

import argparse
import os
import random
import sys
import time

from harness import machine, machine_line, now_stamp, prepare_database, section_markers, server_env, write_section

DB_NAME = "qms_bench_warnings"
BUSY_MOMENT = "2026-12-07 11:00:00+08:00"


def build_busy_city(seed: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from halls.models import Counter, HallService, Outlet, StaffMembership, StaffRole
    from queueing import services

    rng = random.Random(seed)
    User = get_user_model()
    halls = list(Outlet.objects.filter(has_queue=True, is_active=True).order_by("code"))
    tickets = opened = 0
    for hall in halls:
        codes = list(HallService.objects.filter(outlet=hall, is_active=True).values_list("service__code", flat=True))
        counters = list(Counter.objects.filter(outlet=hall).order_by("number"))
        with transaction.atomic():
            for counter in counters[: max(1, int(len(counters) * rng.uniform(0.34, 1.0)))]:
                agent, _ = User.objects.get_or_create(username=f"bench-{hall.code}-{counter.number}")
                StaffMembership.objects.get_or_create(user=agent, outlet=hall, defaults={"role": StaffRole.AGENT})
                services.counter_open(counter_id=counter.pk, user=agent)
                opened += 1
            for _ in range(rng.randint(0, 40)):
                services.ticket_issue(outlet=hall, service_code=rng.choice(codes), channel="kiosk")
                tickets += 1
        for counter in counters[:2]:
            if counter.state == "open" or Counter.objects.get(pk=counter.pk).state == "open":
                services.ticket_call_next(counter_id=counter.pk, actor=None)
    return {"halls": len(halls), "counters_open": opened, "tickets": tickets}


def run_ticks(ticks: int) -> list[dict]:
    from django.db import connection, reset_queries

    from queueing.planning.models import PeakWarning
    from queueing.planning.services import warnings_evaluate_all

    results = []
    for _ in range(ticks):
        reset_queries()
        started = time.perf_counter()
        warnings_evaluate_all()
        seconds = time.perf_counter() - started
        results.append({"seconds": seconds, "queries": len(connection.queries),
                        "active": PeakWarning.objects.filter(ended_at__isnull=True).count()})
    return results


def report(args, city, ticks, m, command) -> str:
    start, end = section_markers("peak_warnings")
    warm = sorted(t["seconds"] for t in ticks[1:]) or [ticks[0]["seconds"]]
    median = warm[len(warm) // 2]
    rows = "\n".join(
        f"| {i} {'(cold)' if i == 1 else ''} | {t['seconds'] * 1000:.0f} ms | {city['halls'] / t['seconds']:.0f} | "
        f"{t['queries']:,} | {t['active']} |"
        for i, t in enumerate(ticks, start=1)
    )
    met = "yes" if median < 1.0 else "**no**"
    return f"""{start}
## Peak-flow warnings: every hall of the city in one tick

{now_stamp()}, {machine_line(m)}; load average at the start {m['load']}.

`{command}`

The full demo city ({city['halls']} owned halls), each in a busy moment: {city['counters_open']} counters open,
{city['tickets']:,} tickets waiting or at counters. Each tick is `warnings_evaluate_all()`, what Celery beat runs
every minute: every hall's floor read (its line played forward, counters, arrivals, devices), its warnings
started, raised, lowered or ended, their suggestions worked out, the displays' line and the live floor told.

| tick | time | halls / s | queries | warnings active after |
| --- | --- | --- | --- | --- |
{rows}

| figure | result | target | met |
| --- | --- | --- | --- |
| one tick, warm (median of ticks 2-{len(ticks)}) | **{median * 1000:.0f} ms** | < 1 s | {met} |
{end}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ticks", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2012)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    command = "  ".join(["`.venv/bin/python benchmarks/peak_warnings.py", *sys.argv[1:]]).replace("  ", " ") + "`"
    command = command.strip("`")

    env = server_env(DB_NAME, f"bench-warn-{os.getpid()}", extra=[
        "DEMO_PASSWORD=benchmark-demo-password", "DEMO_KIOSK_TOKEN=benchmark-demo-kiosk-token",
        "PLANNING_EVALUATE_ON_CHANGE=false", "QUEUE_LIVE_REFRESH_MS=0", "QUEUE_COUNTS_REFRESH_MS=0",
    ])
    m = machine()
    print(f"Building the demo city in {DB_NAME} ...", flush=True)
    prepare_database(DB_NAME, env, [sys.executable, "manage.py", "seed_demo"])
    os.environ.update(env)
    os.environ["DEBUG"] = "true"  # Django keeps the queries it ran only in debug mode
    sys.path.insert(0, str(__import__("harness").ROOT))
    import django

    django.setup()
    import time_machine

    # A busy weekday late morning, the same every run: every hall open.
    with time_machine.travel(BUSY_MOMENT, tick=True):
        city = build_busy_city(args.seed)
        print(f"{city}; evaluating ...", flush=True)
        ticks = run_ticks(args.ticks)
    text = report(args, city, ticks, m, command)
    print(text)
    if args.write:
        write_section(text, *section_markers("peak_warnings"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
