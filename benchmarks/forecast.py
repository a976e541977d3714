"""Arrival forecasts: accuracy on held-out weeks of generated history, and the
time to forecast the whole demo city.

    .venv/bin/python benchmarks/forecast.py [--weeks 10] [--timing-weeks 2] [--jobs 2]
        [--seed 2012] [--db qms_bench_forecast] [--no-timing] [--write]

What it does, in one run:

1. Builds a fresh PostgreSQL database (`--db`, dropped first): migrations and
   the full demo city (`seed_demo`, which also generates the demo's history).
2. Accuracy. For the demo's spread of halls (the demo hall ZZ-H001, the
   middle of the busy and of the average halls, the quietest, a 24-hour
   hall: queueing.planning.demo.history_plan), `--weeks` weeks of history up
   to yesterday (`generate_history`, seed `--seed`). For each hall the last
   two weeks are held out: the forecast is fitted on the eight weeks before
   them (PLANNING_HISTORY_WEEKS), as the nightly run would have been, and
   compared with what came, beside the seasonal naive forecast (the same
   slot a week earlier) and the Poisson floor: WAPE per hall-day, per
   hall-slot and per service-slot (selectors.forecast_accuracy).
3. Timing, unless `--no-timing`: `--timing-weeks` weeks of history up to the
   day before yesterday for every hall of the city (in `--jobs` processes),
   then the nightly forecast of every hall with a queue, one after another
   in this process (one Celery worker doing every hall's task): a first
   night with the clock a day back, then, after generating yesterday for
   every hall, tonight's (a new day of history: nearly every figure
   replaced, as every night). The wall time, per hall, and where it goes
   (reading the history from the event log, fitting, writing the rows).
   The fit does not depend on how many weeks are read; the reading does:
   the spread halls' eight-week reads of step 2 say what eight weeks cost.
4. Prints a Markdown report; `--write` puts it in docs/benchmarks.md
   (replacing an earlier report of this benchmark, leaving other sections alone).
"""

import argparse
import os
import subprocess
import sys
import time
from datetime import timedelta

from harness import ROOT, machine, machine_line, now_stamp, percentile, prepare_database, section_markers, server_env
from harness import write_section as harness_write_section

NAME = "forecast"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weeks", type=int, default=10, help="Weeks of history for the accuracy halls (default 10).")
    parser.add_argument("--timing-weeks", type=int, default=2,
                        help="Weeks of history for every hall of the city, for the timing (default 2).")
    parser.add_argument("--jobs", type=int, default=2, help="Processes generating the city's history (default 2).")
    parser.add_argument("--seed", type=int, default=2012, help="Seed of the generated history (default 2012).")
    parser.add_argument("--db", default="qms_bench_forecast", help="Database to build (dropped first).")
    parser.add_argument("--no-timing", action="store_true", help="Accuracy only.")
    parser.add_argument("--write", action="store_true", help="Write the report into docs/benchmarks.md.")
    return parser.parse_args(argv)


def manage(env, *args, timeout=3600) -> str:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True,
                          text=True, timeout=timeout).stdout


def generate(env, codes, days, seed, jobs) -> float:
    """generate_history for `codes` in `jobs` processes, `days` being
    ["--weeks", "10"] or ["--from", ..., "--to", ...]; returns the wall time."""
    started = time.monotonic()
    chunks = [codes[i::jobs] for i in range(jobs)]
    procs = []
    for chunk in chunks:
        if not chunk:
            continue
        args = [a for code in chunk for a in ("--hall", code)]
        procs.append(subprocess.Popen(
            [sys.executable, "manage.py", "generate_history", *args, *days, "--seed", str(seed)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        ))
    for proc in procs:
        _, err = proc.communicate(timeout=4 * 3600)
        if proc.returncode:
            raise RuntimeError(f"generate_history failed:\n{err}")
    return time.monotonic() - started


def pct(x) -> str:
    return f"{100 * x:.1f} %"


def main(argv=None) -> int:
    args = parse_args(argv)
    m = machine()
    stamp = now_stamp()
    env = server_env(args.db, "qms-bench-forecast", extra=("DEBUG=true", "LOG_LEVEL=WARNING"))
    print(f"Building {args.db}: migrations and the demo city ...", flush=True)
    seeded = time.monotonic()
    prepare_database(args.db, env, [sys.executable, "manage.py", "seed_demo"], floor_timeout=1800)
    seed_seconds = time.monotonic() - seeded

    # This process reads and forecasts the same database.
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import numpy as np
    from django.db import connection
    from django.utils import timezone

    from halls.models import Outlet
    from queueing.models import Ticket
    from queueing.planning import demo as planning_demo
    from queueing.planning import forecast
    from queueing.planning.history import hall_profile
    from queueing.planning.models import ArrivalForecast
    from queueing.planning.selectors import (
        arrival_counts,
        event_multipliers,
        forecast_accuracy,
        forecast_events,
        hall_live_day,
        hall_setup,
        halls_with_a_queue,
    )
    from queueing.planning.services import arrivals_forecast_hall
    from queueing.planning.slots import exposure

    # --- Accuracy --------------------------------------------------------------------------
    plan = planning_demo.history_plan(small=False)
    codes = [code for code, _ in plan]
    print(f"Accuracy: {args.weeks} weeks of history for {len(codes)} halls ...", flush=True)
    accuracy_generation = generate(env, codes, ["--weeks", str(args.weeks)], args.seed, args.jobs)
    ids = dict(Outlet.objects.filter(code__in=codes).values_list("code", "pk"))
    rows, results, read_seconds_8w = [], [], []
    for code in codes:
        setup = hall_setup(outlet_id=ids[code])
        tier = hall_profile(setup, args.seed).tier
        result = forecast_accuracy(ids[code], holdout_days=14)
        live = hall_live_day(outlet_id=ids[code])
        started = time.perf_counter()
        arrival_counts(setup=setup, start=live - timedelta(weeks=8), end=live - timedelta(days=1))
        read_seconds_8w.append(time.perf_counter() - started)
        results.append(result)
        rows.append((code, tier, len(setup.counters), result))
    pooled = {
        name: sum(getattr(r, name) * r.arrivals for r in results) / sum(r.arrivals for r in results)
        for name in ("wape_day", "naive_wape_day", "wape_slot", "naive_wape_slot", "floor_slot",
                     "wape_service_slot", "naive_wape_service_slot", "floor_service_slot")
    }
    beats = sum(r.beats_naive for r in results)

    # --- Timing ---------------------------------------------------------------------------------
    timing = None
    if not args.no_timing:
        city = list(Outlet.objects.filter(pk__in=halls_with_a_queue()).order_by("code").values_list("code", flat=True))
        now = timezone.now()
        today = timezone.localdate(now)
        # Up to the day before yesterday; yesterday comes between the two nights.
        last = today - timedelta(days=2)
        first = last - timedelta(weeks=args.timing_weeks, days=-1)
        print(f"Timing: {args.timing_weeks} weeks of history for {len(city)} halls in {args.jobs} processes ...",
              flush=True)
        city_generation = generate(env, city, ["--from", first.isoformat(), "--to", last.isoformat()], args.seed,
                                   args.jobs)
        halls = halls_with_a_queue()
        nights = []
        for night, when in (("first", now - timedelta(days=1)), ("next", now)):
            if night == "next":
                print("Timing: yesterday's history for every hall ...", flush=True)
                day = today - timedelta(days=1)
                one_day = generate(env, city, ["--from", day.isoformat(), "--to", day.isoformat()], args.seed,
                                   args.jobs)
            print(f"Timing: the {night} night's forecast of {len(halls)} halls ...", flush=True)
            per_hall, changed = [], 0
            started = time.monotonic()
            for outlet_id in halls:
                t0 = time.perf_counter()
                changed += arrivals_forecast_hall(outlet_id=outlet_id, now=when).changed
                per_hall.append(time.perf_counter() - t0)
            nights.append((time.monotonic() - started, sorted(per_hall), changed))
        tickets = Ticket.objects.count()
        # Where it goes: the same reads and fits again, timed apart.
        read, fit = [], []
        weeks = args.timing_weeks
        for outlet_id in halls:
            t0 = time.perf_counter()
            setup = hall_setup(outlet_id=outlet_id)
            live = hall_live_day(outlet_id=outlet_id, now=now)
            counts = arrival_counts(setup=setup, start=live - timedelta(weeks=8), end=live - timedelta(days=1))
            events = forecast_events(outlet_id=outlet_id, start=live - timedelta(weeks=8), end=live + timedelta(14))
            t1 = time.perf_counter()
            model = forecast.fit(counts, event_multipliers(events, counts.days, counts.service_ids))
            if model is not None:
                days = [live + timedelta(days=i) for i in range(14)]
                model.predict(days, np.array([exposure(setup.window(d)) for d in days]))
            t2 = time.perf_counter()
            read.append(t1 - t0)
            fit.append(t2 - t1)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            size = cursor.fetchone()[0]
        timing = {
            "halls": len(halls), "weeks": weeks, "generation": city_generation, "one_day": one_day,
            "tickets": tickets, "nights": nights, "rows": ArrivalForecast.objects.count(), "read": sum(read),
            "fit": sum(fit), "size": size,
        }

    report = render(args, m, stamp, seed_seconds, accuracy_generation, rows, pooled, beats, read_seconds_8w, timing)
    print(report)
    if args.write:
        harness_write_section(report, *section_markers(NAME))
        print("Written to docs/benchmarks.md")
    return 0


def render(args, m, stamp, seed_seconds, accuracy_generation, rows, pooled, beats, read_8w, timing) -> str:
    start, end = section_markers(NAME)
    command = "`.venv/bin/python benchmarks/forecast.py" + (
        f" --weeks {args.weeks}" if args.weeks != 10 else "") + (
        f" --timing-weeks {args.timing_weeks}" if args.timing_weeks != 2 else "") + (
        " --no-timing" if args.no_timing else "") + " --write`"
    lines = [
        start,
        "## Arrival forecasts: accuracy on held-out weeks, and the city's nightly forecast",
        "",
        f"Command: {command}",
        "",
        f"Machine: {machine_line(m)}; load average {m['load']} at the start. Run {stamp}.",
        f"The demo city (`seed_demo`, with its own history) took {seed_seconds:.0f} s to build with its migrations; "
        f"{args.weeks} weeks of history for the accuracy halls then {accuracy_generation:.0f} s "
        f"(`generate_history`, seed {args.seed}, {args.jobs} processes).",
        "",
        "Accuracy: for each hall, the forecast fitted on the 8 weeks before its last 2 weeks (as the nightly run "
        "would have been, forecasting 1 to 14 days ahead) against what came in those 2 weeks, beside the seasonal "
        "naive forecast (the same slot one week earlier, from actual arrivals, so never more than a week ahead). "
        "WAPE = sum |forecast - actual| / sum actual; per hall-day (daily totals), per slot (the hall's half "
        "hours) and per service-slot. The floor is what Poisson chance alone leaves, sqrt(2 / (pi x)) at x "
        "arrivals expected in a slot, weighted by arrivals.",
        "",
        "| hall | kind | counters | tickets/day | WAPE per day: forecast / naive | per slot: forecast / naive "
        "/ floor | per service-slot: forecast / naive / floor |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for code, tier, counters, r in rows:
        lines.append(
            f"| {code} | {tier} | {counters} | {r.arrivals / r.days:.0f} | {pct(r.wape_day)} / {pct(r.naive_wape_day)} "
            f"| {pct(r.wape_slot)} / {pct(r.naive_wape_slot)} / {pct(r.floor_slot)} "
            f"| {pct(r.wape_service_slot)} / {pct(r.naive_wape_service_slot)} / {pct(r.floor_service_slot)} |"
        )
    p = pooled
    lines += [
        f"| **all {len(rows)} halls** | | | {sum(r.arrivals for *_, r in rows) / 14:.0f} | "
        f"**{pct(p['wape_day'])}** / {pct(p['naive_wape_day'])} | **{pct(p['wape_slot'])}** / "
        f"{pct(p['naive_wape_slot'])} / {pct(p['floor_slot'])} | {pct(p['wape_service_slot'])} / "
        f"{pct(p['naive_wape_service_slot'])} / {pct(p['floor_service_slot'])} |",
        "",
        f"The forecast beats seasonal naive per hall-day and per slot in {beats} of {len(rows)} halls, and over all "
        f"of them together (target: beat it). Reading a hall's 8 weeks of arrivals from the event log took "
        f"{1000 * sum(read_8w) / len(read_8w):.0f} ms on average (at most {1000 * max(read_8w):.0f} ms).",
    ]
    if timing:
        t = timing
        (first, first_per, first_changed), (following, per, changed) = t["nights"]
        lines += [
            "",
            f"City: {t['weeks']} weeks of history up to the day before yesterday for all {t['halls']} halls with "
            f"a queue took {t['generation']:.0f} s to generate. Then the nightly forecast of every hall, 14 days "
            "each, one hall after another in one process (what one Celery worker does with every hall's task; more "
            "workers share them): a first night with the clock a day back and no forecast yet; then yesterday's "
            f"history for every hall ({t['one_day']:.0f} s to generate; {t['tickets']:,} tickets in the database, "
            f"{t['size']}), and tonight's forecast, which finds a new day of history and so replaces nearly every "
            "figure of the days ahead, as each night does.",
            "",
            "| figure | result | target | met |",
            "| --- | --- | --- | --- |",
            f"| the city's nightly forecast, {t['halls']} halls | **{following:.1f} s** (first night "
            f"{first:.1f} s; {changed:,} and {first_changed:,} slot rows changed) | a few minutes | "
            f"{'yes' if max(first, following) < 300 else 'no'} |",
            f"| per hall, the next night: mean / p95 / max | {1000 * sum(per) / len(per):.0f} / "
            f"{1000 * percentile(per, 95):.0f} / {1000 * max(per):.0f} ms | | |",
            f"| of which reading the history (event log, {t['weeks']} weeks) | {t['read']:.1f} s | | |",
            f"| of which fitting and predicting (statsmodels) | {t['fit']:.1f} s | | |",
            f"| of which writing the rows (the rest) | {max(0.0, following - t['read'] - t['fit']):.1f} s | | |",
            "",
            "The fit works on each hall's counts per day, service and half hour, whatever the weeks; the "
            "reading grows with them (the accuracy halls' eight-week reads above). With eight weeks for every "
            f"hall the nightly run is therefore about {following - t['read'] + t['halls'] * sum(read_8w) / len(read_8w):.0f} s "
            "on this machine.",
        ]
    lines.append(end)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
