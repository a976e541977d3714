"""Staffing on the demo city's data: what the planning page, the week's plan,
the what-if and the predictive warnings cost.

    .venv/bin/python benchmarks/staffing.py [--runs 3] [--sim-days 40] [--write]

1. Builds a fresh PostgreSQL database (qms_bench_staffing) with the full demo
   (`seed_demo`: 212 owned halls; 8 weeks of ticket history at ZZ-H001 and 2
   at 11 more halls, their forecasts for 14 days, ZZ-H001's roster).
2. Times, on that data:
   - a hall's day as the staffing API and the planning page read it
     (`hall_staffing`: forecast, Erlang C and Erlang A per half hour and
     pool, the roster's people on duty), for every hall with a forecast and
     each of its 14 days;
   - the planning page's week (`roster_week_payload`: people, shifts, and
     seven days' cover);
   - planning ZZ-H001's next week against its forecast (`roster_plan_week`,
     CP-SAT with its 4 s limit), `--runs` times;
   - the what-if of a busy day (`simulated_day` + two `simulate` runs of
     `--sim-days` days: the plan and the plan with two more counters);
   - the forecast's accuracy on the last two weeks (`forecast_accuracy`,
     uncached: once a day per hall);
   - the predictive warnings: each hall's outlook (`hall_outlook`, with each
     15-minute re-forecast) and the minute's warnings tick over the city
     with the outlooks kept against the same tick without them (ratio).
3. `--write` puts the report in docs/benchmarks.md (its own section).
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta

from harness import (
    machine,
    machine_line,
    now_stamp,
    percentile,
    prepare_database,
    section_markers,
    server_env,
    write_section,
)

DB_NAME = "qms_bench_staffing"


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    value = fn(*args, **kwargs)
    return time.perf_counter() - started, value


def measure(args) -> dict:
    from django.core.cache import cache
    from django.utils import timezone

    from halls.models import Outlet
    from queueing.planning import services, simulation
    from queueing.planning.models import ArrivalForecast
    from queueing.planning.payloads import roster_week_payload
    from queueing.planning.selectors import forecast_accuracy, hall_live_day
    from queueing.planning.staffing import hall_outlook, hall_staffing, outlook_keep, simulated_day

    out = {}
    halls = list(Outlet.objects.filter(pk__in=ArrivalForecast.objects.values("outlet_id").distinct()).order_by("code"))
    out["halls"] = len(halls)
    days = []
    for hall in halls:
        live = hall_live_day(outlet_id=hall.pk)
        for i in range(14):
            seconds, staffing = timed(hall_staffing, outlet=hall, day=live + timedelta(days=i), with_actual=False)
            days.append(seconds)
    days.sort()
    out["staffing"] = {"n": len(days), "p50": percentile(days, 50), "p95": percentile(days, 95), "max": days[-1]}

    demo = Outlet.objects.get(code="ZZ-H001")
    live = hall_live_day(outlet_id=demo.pk)
    next_monday = live + timedelta(days=7 - live.weekday())
    week = sorted(timed(roster_week_payload, demo, next_monday)[0] for _ in range(3))
    out["week_payload"] = statistics.median(week)

    plans = []
    for _ in range(args.runs):
        seconds, generated = timed(services.roster_plan_week, outlet=demo, week_start=next_monday)
        plans.append((seconds, generated.roster.status, len(generated.shifts), len(generated.roster.short_slots)))
    out["plans"] = plans

    staffing = hall_staffing(outlet=demo, day=next_monday, with_actual=False)
    seconds_day, sim = timed(simulated_day, staffing)
    extra = [simulation.AddCounters(2, tuple(sim.day.services), sim.day.opens)]
    seconds_base, base = timed(simulation.simulate, sim.day, days=args.sim_days, seed=1)
    seconds_what, what = timed(simulation.simulate, sim.day, days=args.sim_days, seed=1, changes=extra)
    out["what_if"] = {
        "customers": base.day.arrivals, "people": sim.people, "plan": sim.plan, "build": seconds_day,
        "baseline": seconds_base, "what_if": seconds_what,
        "sl_base": base.day.service_level.mean, "sl_what": what.day.service_level.mean,
    }

    accuracy = sorted(timed(forecast_accuracy, hall.pk)[0] for hall in halls)
    out["accuracy"] = {"p50": percentile(accuracy, 50), "max": accuracy[-1]}

    outlooks = []
    for hall in halls:
        seconds, outlook = timed(hall_outlook, outlet=hall)
        outlook_keep(hall.pk, outlook)
        outlooks.append(seconds)
    outlooks.sort()
    out["outlook"] = {"p50": percentile(outlooks, 50), "max": outlooks[-1], "total": sum(outlooks)}

    ticks = {}
    for label in ("without", "with", "without", "with"):
        if label == "without":
            cache.delete_many([f"planning:outlook:{h.pk}" for h in halls])
        else:
            for hall in halls:
                outlook_keep(hall.pk, hall_outlook(outlet=hall))
        seconds, _ = timed(services.warnings_evaluate_all)
        ticks.setdefault(label, []).append(seconds)
    out["ticks"] = {k: min(v) for k, v in ticks.items()}
    out["now"] = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    return out


def report(r: dict, m: dict, command: str) -> str:
    start, end = section_markers("staffing")
    s = r["staffing"]
    plans = "; ".join(f"**{p[0]:.2f} s**, {p[1]}, {p[2]} shifts, {p[3]} counter-slots short" for p in r["plans"])
    worst_plan = max(p[0] for p in r["plans"])
    w = r["what_if"]
    o = r["outlook"]
    t = r["ticks"]
    return f"""{start}
## Staffing on the demo's data: the planning page, a week's plan, the what-if, the predictive warnings

{now_stamp()}, {machine_line(m)}; load average at the start {m['load']}.

`{command}`

The full demo ({r['halls']} halls with history and forecasts; ZZ-H001 with 8 weeks of history and a staff of 16),
measured in one process on its own database at {r['now']}.

| figure | result | target | met |
| --- | --- | --- | --- |
| a hall's day, read for the staffing API and the page ({s['n']} hall-days): p50 / p95 / max | **{s['p50'] * 1000:.0f}** / {s['p95'] * 1000:.0f} / {s['max'] * 1000:.0f} ms | < 500 ms | {'yes' if s['p95'] < 0.5 else '**no**'} |
| the planning page's week (people, shifts, 7 days of cover) | {r['week_payload'] * 1000:.0f} ms | | |
| planning ZZ-H001's week against its forecast | {plans} | < 5 s | {'yes' if worst_plan < 5 else '**no**'} |
| the what-if of ZZ-H001's Monday ({w['customers']:.0f} customers, {w['people']} people, from the {w['plan']}): building the day / {r['sim_days']} days as planned / {r['sim_days']} days with 2 more counters | {w['build'] * 1000:.0f} ms / {w['baseline']:.2f} s / {w['what_if']:.2f} s (service level {w['sl_base']:.3f} then {w['sl_what']:.3f}) | one simulated day < 1 s | {'yes' if w['baseline'] / r['sim_days'] < 1 else '**no**'} |
| the forecast's accuracy on a hall's last two weeks (once a day per hall, then cached): p50 / max | {r['accuracy']['p50'] * 1000:.0f} / {r['accuracy']['max'] * 1000:.0f} ms | | |
| a hall's outlook for the predictive warnings (with each 15-minute re-forecast): p50 / max; all {r['halls']} | {o['p50'] * 1000:.0f} / {o['max'] * 1000:.0f} ms; {o['total']:.1f} s | | |
| the minute's warnings tick over the city, with the outlooks kept / without (best of two) | {t['with'] * 1000:.0f} / {t['without'] * 1000:.0f} ms (**x{t['with'] / t['without']:.2f}**) | < 1 s | {'yes' if t['with'] < 1 else '**no**'} |

The outlook is worked out in the worker that re-forecasts the hall (every 15 minutes while it is open) and kept
in the cache; the minute's tick only reads it, so predictive warnings add little to it.
{end}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="week plans of ZZ-H001")
    parser.add_argument("--sim-days", type=int, default=40, help="simulated days of the what-if")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    command = " ".join([".venv/bin/python benchmarks/staffing.py", *sys.argv[1:]])
    env = server_env(DB_NAME, f"bench-staffing-{os.getpid()}", extra=[
        "DEMO_PASSWORD=benchmark-demo-password", "DEMO_KIOSK_TOKEN=benchmark-demo-kiosk-token",
    ])
    m = machine()
    print(f"Building the demo in {DB_NAME} ...", flush=True)
    prepare_database(DB_NAME, env, [sys.executable, "manage.py", "seed_demo"])
    os.environ.update(env)
    sys.path.insert(0, str(__import__("harness").ROOT))
    import django

    django.setup()
    results = measure(args)
    results["sim_days"] = args.sim_days
    text = report(results, m, command)
    print(text)
    if args.write:
        write_section(text, *section_markers("staffing"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
