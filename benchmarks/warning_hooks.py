"""What the peak-flow warnings' evaluation on each change costs the issue and call-next paths.

    .venv/bin/python benchmarks/warning_hooks.py [--rounds 8] [--halls 200] [--issue-rate 100]
        [--call-rate 20] [--paced-seconds 30] [--no-beat] [--worker-nice N] [--write]

With PLANNING_EVALUATE_ON_CHANGE on (the default), each change of a hall's line
has a Celery worker evaluate the hall's warnings, at most once every
PLANNING_EVALUATE_EVERY_SECONDS per hall, the halls changed within
PLANNING_EVALUATE_BATCH_SECONDS together (queueing/planning/signals.py); off,
only the minute task evaluates. This benchmark runs the same load with the hook
on and off, in alternating rounds (ON OFF OFF ON, repeated: ABBA), so that a
drift of the machine's speed during the run falls on both alike:

1. Builds the floor once, in a template database (qms_bench_hooks_floor):
   `--halls` halls open 24 hours with `--services` services and four counters
   each (ticket_issue's floor), `--open-counters` of them open per hall, each
   with an agent of its own and a token, and `--waiting` tickets in each
   service's line with the warnings they raise (a busy city at its peak).
2. Each round: a fresh copy of the floor (qms_bench_hooks, from the template),
   `--servers` Daphne processes, one Celery worker (`celery -A config worker`,
   its default pool: a process per core) with the same environment but for
   the hook's switch, a fresh Redis prefix, `--displays-per-hall` display
   sockets per hall (display_fanout's; none by default), then, timed:
   - issue, closed loop: `--issue-count` tickets from `--concurrency` clients
     (ticket_issue's clients): the throughput;
   - issue, open loop: `--issue-rate` tickets a second for `--paced-seconds`
     (ticket_issue's paced run, each request timed from when it was due);
   - call next, closed loop: `--call-count` calls from `--call-concurrency`
     counters, each call-next followed by start and finish
     (display_fanout's call_once): the throughput;
   - call next, open loop: `--call-rate` calls a second for `--paced-seconds`,
     each call-next request timed from when it was due.
   The worker then finishes what was queued before everything stops; its log
   gives the evaluations it ran and how long each took.
3. Reports per path the latencies of each hook setting (p50 / p95 / p99 of
   the open-loop requests of all its rounds together), the ratio ON / OFF of
   p99 and of closed-loop throughput, the ratio within each ABBA block, and
   every round's figures. Target: p99 with the hook on at most 1.10 x off.

Celery beat runs in the worker (`-B`) in every round, as deployed: the
minute's evaluation of every hall and the sweeps run with the hook on and off
alike, so the comparison is the hook's own cost. With `--no-beat` nothing
evaluates with the hook off: the comparison is then with no evaluation at all.

`--write` puts the report in docs/benchmarks.md (section "warning_hooks").
Servers, worker and their logs: var/bench-logs/. The Celery broker is the Redis
of REDIS_URL (db 6 by default, BENCH_REDIS_URL to change it).
"""

import argparse
import asyncio
import collections
import contextlib
import gc
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid

from harness import (
    DOCS,
    LOG_DIR,
    ROOT,
    cpu_seconds,
    cpu_used,
    database_url,
    machine,
    machine_line,
    machine_seconds,
    now_stamp,
    percentile,
    postgres_cpu,
    prepare_database,
    psql,
    section_markers,
    server_env,
    start_servers,
    stop_processes,
    stop_servers,
    wait_up,
    write_section,
)

SECTION_START, SECTION_END = section_markers("warning_hooks")
# The target: the hook costs at most this much of either path's p99.
TARGET_RATIO = 1.10
# A batch of the halls changed within PLANNING_EVALUATE_BATCH_SECONDS (a hall a task before batching).
EVALUATE_TASKS = ("queueing.planning.tasks.warnings_evaluate_pending", "queueing.planning.tasks.warnings_evaluate_hall")
MINUTE_TASKS = ("queueing.planning.tasks.warnings_evaluate_all",)


# --- The floor -------------------------------------------------------------------


def build_floor(halls: int, services: int, open_counters: int, waiting: int = 0) -> None:
    """Runs in a child process with the servers' environment: ticket_issue's
    floor, then `open_counters` counters of each hall open, each signed in by an
    agent of its own with a token; the floor as JSON on stdout."""
    import ticket_issue

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ticket_issue.build_floor(halls, services)
    floor = json.loads(out.getvalue().strip().splitlines()[-1])

    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from halls.models import Counter, StaffMembership, StaffRole
    from queueing import services as queue_services

    User = get_user_model()
    counters = []
    for counter in Counter.objects.filter(number__lte=open_counters).select_related("outlet").order_by("number", "pk"):
        # No password: the agents use their tokens only (and hashing one costs a third of a second).
        agent = User(username=f"agent-{counter.outlet.code}-{counter.number}")
        agent.set_unusable_password()
        agent.save()
        StaffMembership.objects.create(user=agent, outlet=counter.outlet, role=StaffRole.AGENT)
        queue_services.counter_open(counter_id=counter.pk, user=agent)
        counters.append({"id": counter.pk, "hall": counter.outlet.code, "token": Token.objects.create(user=agent).key})
    # Ordered by counter number, then hall: consecutive calls go to different halls.
    floor["counters"] = counters
    if waiting:
        # A busy city at its peak: `waiting` tickets in each service's line,
        # and the warnings the minute's evaluation raises for them.
        from halls.models import HallService, Outlet
        from queueing.planning.services import warnings_evaluate_all

        offers = {}
        for outlet_id, code in HallService.objects.filter(is_active=True).values_list("outlet_id", "service__code"):
            offers.setdefault(outlet_id, []).append(code)
        for outlet in Outlet.objects.filter(pk__in=offers).order_by("pk"):
            for _ in range(waiting):
                for code in offers[outlet.pk]:
                    queue_services.ticket_issue(outlet=outlet, service_code=code, channel="kiosk")
        warnings_evaluate_all()
    print(json.dumps(floor))


def prepare_template(args, env: dict) -> dict:
    out = prepare_database(
        args.template, env,
        [sys.executable, __file__, "_build-floor", "--halls", str(args.halls), "--services", str(args.services),
         "--open-counters", str(args.open_counters), "--waiting", str(args.waiting)],
        floor_timeout=600,
    )
    # Each round's copy starts with its pages all-visible and its statistics known.
    psql("VACUUM ANALYZE", database=args.template)
    return json.loads(out.strip().splitlines()[-1])


def copy_floor(args) -> None:
    psql(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)", f"CREATE DATABASE {args.db} TEMPLATE {args.template}")


# --- The worker ------------------------------------------------------------------


def start_worker(env: dict, log_path, nice: int = 0, beat: bool = False) -> tuple[subprocess.Popen, object]:
    """The Celery worker; `nice`: its scheduling priority (docs/deploy.md: a
    worker sharing cores with the servers runs at a lower one); `beat`: with
    the product's schedule running in it (`-B`, from a fresh schedule file)."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "wb")
    schedule = LOG_DIR / f"celerybeat-schedule-{os.getpid()}"
    for old in LOG_DIR.glob(f"{schedule.name}*"):
        old.unlink()
    proc = subprocess.Popen(
        (["nice", "-n", str(nice)] if nice else []) + [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=info", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "-n", f"warning-hooks-{os.getpid()}@%h"]
        + (["-B", "-s", str(schedule)] if beat else []),
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    return proc, log


def wait_worker(proc: subprocess.Popen, log_path, deadline_seconds: float = 120) -> None:
    """Until the worker says it is consuming ("celery@host ready.")."""
    deadline = time.monotonic() + deadline_seconds
    while b" ready." not in log_path.read_bytes():
        if proc.poll() is not None:
            raise RuntimeError(f"the Celery worker exited with {proc.returncode}; see {log_path}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the Celery worker was not ready within {deadline_seconds} s; see {log_path}")
        time.sleep(0.2)


def worker_pids(proc: subprocess.Popen) -> list[int]:
    """The worker and its pool processes."""
    import psutil

    try:
        return [proc.pid] + [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
    except psutil.Error:
        return [proc.pid]


def broker_waiting(redis_url: str) -> int:
    """Messages waiting in the broker's default queue."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return int(client.llen("celery"))
    finally:
        client.close()


def drain(redis_url: str, deadline_seconds: float = 20) -> int:
    """Waits until the worker has taken every queued message (or the deadline); returns those left."""
    deadline = time.monotonic() + deadline_seconds
    while (left := broker_waiting(redis_url)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def drop_queued(redis_url: str) -> int:
    """Evaluations still queued once the round's worker has stopped: dropped, so
    that the next round (perhaps one with the hook off) does not run them.
    The broker's Redis DB is the benchmark's own."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        left = int(client.llen("celery"))
        client.delete("celery")
        return left
    finally:
        client.close()


def evaluations(log_path, tasks=EVALUATE_TASKS) -> list[float]:
    """The seconds each evaluation on change took in the worker, from its log."""
    pattern = re.compile("(?:" + "|".join(map(re.escape, tasks)) + r")\[[^\]]+\] succeeded in ([0-9.]+)s")
    return [float(s) for s in pattern.findall(log_path.read_text(errors="replace"))]


def forget_keys(redis_url: str, prefix: str) -> None:
    """The round's cache and channel-layer keys (its own prefix only)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            client.delete(key)
    finally:
        client.close()


# --- The load ---------------------------------------------------------------------


async def issue_closed(session, bases, floor, count: int, concurrency: int) -> dict:
    import ticket_issue

    load = ticket_issue.Load(floor, count)
    t0 = time.perf_counter()
    await asyncio.gather(*[
        ticket_issue.client(session, bases[i % len(bases)], floor["token"], load, True) for i in range(concurrency)
    ])
    elapsed = time.perf_counter() - t0
    ok = load.statuses.get(201, 0)
    return {"requests": count, "ok": ok, "seconds": elapsed, "rate": ok / elapsed}


async def issue_paced(session, bases, floor, rate: float, seconds: float) -> dict:
    import ticket_issue

    load = ticket_issue.Load(floor, int(rate * seconds))
    elapsed = await ticket_issue.paced_run(session, bases, floor["token"], load, rate)
    return {"requests": load.count, "ok": load.statuses.get(201, 0), "seconds": elapsed,
            "statuses": {str(k): v for k, v in load.statuses.items()}, "latencies": load.latencies}


async def timed_call(session, host, counter, due: float | None = None) -> tuple[bool, float]:
    """One call (call-next, start, finish: display_fanout's call_once) at a
    free counter: whether a ticket was called, and the call-next request's
    latency in ms, from `due` when given (the open loop) or from its sending."""
    import aiohttp
    from display_fanout import call_once

    answer = []
    try:
        number, sent = await call_once(session, host, counter["id"], counter["token"], answer)
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError):
        return False, float("nan")
    waited = 0.0 if due is None else (sent - due) * 1000
    return number is not None, waited + answer[0]


async def calls_closed(session, hosts, counters, count: int, concurrency: int) -> dict:
    """`concurrency` agents (each at a counter of a different hall) calling,
    starting and finishing as fast as they can, `count` calls in all."""
    state = {"next": 0, "ok": 0}

    async def agent(counter, host):
        while state["next"] < count:
            state["next"] += 1
            ok, _ = await timed_call(session, host, counter)
            state["ok"] += ok

    t0 = time.perf_counter()
    await asyncio.gather(*[agent(counters[i], hosts[i % len(hosts)]) for i in range(concurrency)])
    elapsed = time.perf_counter() - t0
    return {"requests": count, "ok": state["ok"], "seconds": elapsed, "rate": state["ok"] / elapsed}


async def calls_paced(session, hosts, counters, rate: float, seconds: float) -> dict:
    """Open loop: a call every 1/rate s whatever the answers do, round the
    counters (hall after hall); a call whose counter is still busy with its
    previous one waits for it, and that wait counts in its latency."""
    count = int(rate * seconds)
    busy = {c["id"]: asyncio.Lock() for c in counters}
    latencies, outcome = [], collections.Counter()

    async def one(i, due):
        counter = counters[i % len(counters)]
        async with busy[counter["id"]]:
            ok, ms = await timed_call(session, hosts[i % len(hosts)], counter, due)
        outcome["called" if ok else "not called"] += 1
        if ok:
            latencies.append(ms)

    tasks = []
    t0 = time.perf_counter()
    for i in range(count):
        due = t0 + i / rate
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    return {"requests": count, "ok": outcome["called"], "seconds": time.perf_counter() - t0,
            "statuses": dict(outcome), "latencies": latencies}


# --- One round -----------------------------------------------------------------------


async def round_load(args, floor, servers) -> dict:
    import aiohttp
    from display_fanout import Display, open_sockets
    from ticket_issue import AutovacuumStandIn

    hosts, bases = [s.host for s in servers], [s.base for s in servers]
    counters = floor["counters"]
    timeout = aiohttp.ClientTimeout(total=args.request_timeout)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout) as session:
        await wait_up(session, servers, f"/api/v1/halls/{floor['halls'][0]['code']}/")
        displays = [Display(h["code"]) for h in floor["halls"] for _ in range(args.displays_per_hall)]
        sockets = await open_sockets(session, [(d, None) for d in displays], hosts, per_batch=20)
        autovacuum = AutovacuumStandIn(database_url(args.db))
        autovacuum.start()
        # Untimed: the servers' threads, pools and caches warm, the closed loop's counters called once.
        await issue_closed(session, bases, floor, args.warmup, args.concurrency)
        await calls_closed(session, hosts, counters, min(len(counters), args.warmup // 5), args.call_concurrency)
        results = {}
        gc.collect()
        gc.disable()  # the client's collector pauses would count as the servers' latency
        try:
            results["issue_closed"] = await issue_closed(session, bases, floor, args.issue_count, args.concurrency)
            results["issue_paced"] = await issue_paced(session, bases, floor, args.issue_rate, args.paced_seconds)
            results["call_closed"] = await calls_closed(session, hosts, counters, args.call_count,
                                                        args.call_concurrency)
            results["call_paced"] = await calls_paced(session, hosts, counters, args.call_rate, args.paced_seconds)
        finally:
            gc.enable()
        await autovacuum.stop()
        for task in sockets:
            task.cancel()
        await asyncio.gather(*sockets, return_exceptions=True)
        results["displays"] = len(displays)
        results["display_frames"] = sum(len(d.seqs) for d in displays)
    return results


def run_round(args, floor, number: int, hook: bool) -> dict:
    prefix = f"bench-hooks-{uuid.uuid4().hex[:8]}-r{number}"
    env = server_env(args.db, prefix, [f"PLANNING_EVALUATE_ON_CHANGE={str(hook).lower()}", *args.server_env],
                     redis_db=args.redis_db)
    env["CELERY_BROKER_URL"] = env["REDIS_URL"]
    load_at_start = os.getloadavg()[0]
    copy_floor(args)
    log_path = LOG_DIR / f"celery-warning-hooks-{args.port}.log"
    queued_before = broker_waiting(env["REDIS_URL"])
    worker, worker_log = start_worker(env, log_path, args.worker_nice, args.beat)
    servers = start_servers(env, args.servers, args.port)
    try:
        wait_worker(worker, log_path)
        prime_levels(env)
        pids = [s.proc.pid for s in servers]
        wpids = worker_pids(worker)
        cpu0, w0, pg0, (all0, steal0) = cpu_seconds(pids), cpu_seconds(wpids), postgres_cpu(), machine_seconds()
        t0 = time.perf_counter()
        results = asyncio.run(round_load(args, floor, servers))
        elapsed = time.perf_counter() - t0
        cpu1, w1, pg1, (all1, steal1) = cpu_seconds(pids), cpu_seconds(wpids), postgres_cpu(), machine_seconds()
        left = drain(env["REDIS_URL"])
    except Exception:
        print("logs: " + ", ".join(str(s.log_path) for s in servers) + f", {log_path}", file=sys.stderr)
        raise
    finally:
        stop_servers(servers)
        stop_processes([worker], signal.SIGTERM, timeout=30)
        worker_log.close()
        dropped = drop_queued(env["REDIS_URL"])
        forget_keys(env["REDIS_URL"], prefix)
    took = evaluations(log_path)
    minute = evaluations(log_path, MINUTE_TASKS)
    results.update(
        round=number, hook=hook, load=load_at_start, seconds=elapsed, queued_before=queued_before, queued_left=left,
        dropped=dropped,
        evaluations=len(took), evaluation_ms_mean=1000 * sum(took) / len(took) if took else 0.0,
        evaluation_ms_max=1000 * max(took, default=0.0), minute_evaluations=len(minute),
        cpu_servers=cpu_used(cpu0, cpu1) / elapsed, cpu_worker=cpu_used(w0, w1) / elapsed,
        cpu_postgres=cpu_used(pg0, pg1) / elapsed, cpu_machine=(all1 - all0) / elapsed,
        cpu_stolen=(steal1 - steal0) / elapsed,
    )
    return results


def prime_levels(env: dict) -> None:
    """Untimed, in every round: the minute's evaluation of every hall, as beat
    has run it before any minute of a running system, so that the round's
    fresh cache holds each hall's wait levels (a cache that lost them has
    every hall evaluated once on its next change, the cost of one minute's
    evaluation, once)."""
    subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); "
         "from queueing.planning.services import warnings_evaluate_all; warnings_evaluate_all()"],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, timeout=300,
    )


def abba(rounds: int, first_on: bool) -> list[bool]:
    """ON OFF OFF ON ON OFF OFF ON ... (or starting OFF): each setting's rounds
    sit, on average, at the same point of the run."""
    pattern = [first_on, not first_on, not first_on, first_on]
    return [pattern[i % 4] for i in range(rounds)]


# --- Figures and the report ----------------------------------------------------------------


def latency_figures(rounds: list[dict], phase: str) -> dict:
    pooled = sorted(x for r in rounds for x in r[phase]["latencies"])
    return {"n": len(pooled), "p50": percentile(pooled, 50), "p95": percentile(pooled, 95),
            "p99": percentile(pooled, 99), "max": pooled[-1] if pooled else float("nan")}


def round_p99(r: dict, phase: str) -> float:
    return percentile(sorted(r[phase]["latencies"]), 99)


def throughput(rounds: list[dict], phase: str) -> float:
    return sum(r[phase]["ok"] for r in rounds) / sum(r[phase]["seconds"] for r in rounds)


def pair_ratios(rounds: list[dict], phase: str) -> list[float]:
    """Each ON round's p99 over that of the OFF round beside it in its ABBA
    block (A B B A: the first two, the last two): drift cancels within a pair."""
    ratios = []
    for start in range(0, len(rounds) - 3, 4):
        a1, b1, b2, a2 = rounds[start:start + 4]
        for x, y in ((a1, b1), (a2, b2)):
            on, off = (x, y) if x["hook"] else (y, x)
            ratios.append(round_p99(on, phase) / round_p99(off, phase))
    return ratios


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def verdict(ratio: float, pairs: list[float]) -> str:
    """Met when the ratio of the median p99s is within the target and at least
    three pairs in four are too; not met when it is over and at least three
    pairs in four are over too; otherwise the machine's noise hides the answer."""
    over = sum(r > TARGET_RATIO for r in pairs)
    if ratio <= TARGET_RATIO and 4 * (len(pairs) - over) >= 3 * len(pairs):
        return "met"
    if ratio > TARGET_RATIO and 4 * over >= 3 * len(pairs):
        return "**not met**"
    return "inconclusive"


def path_summary(rounds, paced: str, closed: str) -> dict:
    """The headline ratio is of the median of each setting's round p99s: one
    round crushed by the machine's other work moves a pooled p99 (its tail is
    the pool's whole top percent) but not a median."""
    on = [r for r in rounds if r["hook"]]
    off = [r for r in rounds if not r["hook"]]
    p99_on, p99_off = [round_p99(r, paced) for r in on], [round_p99(r, paced) for r in off]
    pairs = pair_ratios(rounds, paced)
    ratio = median(p99_on) / median(p99_off)
    return {
        "on": latency_figures(on, paced), "off": latency_figures(off, paced), "ratio": ratio, "pairs": pairs,
        "verdict": verdict(ratio, pairs), "p99_on": p99_on, "p99_off": p99_off,
        "tput_on": throughput(on, closed), "tput_off": throughput(off, closed),
        "tput_ratio": median([r[closed]["rate"] for r in on]) / median([r[closed]["rate"] for r in off]),
    }


def spread(values: list[float]) -> str:
    return f"{min(values):.1f}-{max(values):.1f}" if values else "-"


def report(args, command, m, started, floor, rounds, issue, call) -> str:
    def path_rows(name, unit, s):
        return (
            f"| {name}: p50 / p95 / p99 / max, all ON rounds pooled | {s['on']['p50']:.1f} / {s['on']['p95']:.1f} / "
            f"{s['on']['p99']:.1f} / {s['on']['max']:.0f} ms ({s['on']['n']:,} requests) | | |\n"
            f"| {name}: p50 / p95 / p99 / max, all OFF rounds pooled | {s['off']['p50']:.1f} / "
            f"{s['off']['p95']:.1f} / {s['off']['p99']:.1f} / {s['off']['max']:.0f} ms ({s['off']['n']:,} requests) "
            f"| | |\n"
            f"| {name}: each round's p99, ON / OFF | {spread(s['p99_on'])} / {spread(s['p99_off'])} ms | | |\n"
            f"| {name}: median of the rounds' p99, ON / OFF | **{median(s['p99_on']):.1f}** / "
            f"**{median(s['p99_off']):.1f}** ms | | |\n"
            f"| {name}: **p99 ON / OFF** (medians; each ABBA pair) | **{s['ratio']:.2f}** "
            f"({', '.join(f'{b:.2f}' for b in s['pairs'])}) | ≤ {TARGET_RATIO:.2f} | {s['verdict']} |\n"
            f"| {name}: closed-loop throughput ON / OFF (all rounds; ratio of the medians) | "
            f"{s['tput_on']:.0f} / {s['tput_off']:.0f} {unit}, **{s['tput_ratio']:.2f}** | | |\n"
        )

    raw = "\n".join(
        f"| {r['round']} | {'ON' if r['hook'] else 'OFF'} | {r['load']:.2f} | {r['issue_closed']['rate']:.0f} | "
        f"{fmt_paced(r['issue_paced'])} | {r['call_closed']['rate']:.1f} | {fmt_paced(r['call_paced'])} | "
        f"{r['evaluations']} ({r['evaluation_ms_mean']:.0f} / {r['evaluation_ms_max']:.0f} ms), {r['dropped']}"
        f"{'; minute: %d' % r['minute_evaluations'] if r.get('minute_evaluations') else ''} | "
        f"{r['cpu_worker']:.2f} | {r['cpu_servers']:.2f} | {r['cpu_postgres']:.2f} | {r['cpu_machine']:.2f} | "
        f"{r['cpu_stolen']:.2f} |"
        for r in rounds
    )
    extra = "".join(f", `{item}`" for item in args.server_env)
    order = " ".join("ON" if r["hook"] else "OFF" for r in rounds)
    overall = ("met" if issue["verdict"] == call["verdict"] == "met"
               else "**not met**" if "not met" in issue["verdict"] + call["verdict"] else "inconclusive")
    return f"""{SECTION_START}
## Peak-flow warnings evaluated on each change: what the issue and call-next paths pay

Command: `{command}`

Machine: {machine_line(m)}; load average {m['load']} at the start. Run {started}. Everything on one
machine: {args.servers} Daphne processes, one Celery worker (its default pool, a process per core{
    f"; at nice {args.worker_nice}, below the servers, in ON and OFF rounds alike" if args.worker_nice else ""}),
PostgreSQL, Redis and the load client share the cores, as do whatever else the machine runs (the load
average at each round's start is in the rounds' table).

Floor: {len(floor['halls'])} halls open 24 hours, {len(floor['services'])} services and four counters each,
{len(floor['counters'])} counters open (an agent and a token each), {args.displays_per_hall} display socket(s)
per hall (with none, the evaluations' broadcasts reach no socket); {WAITING_ON.format(n=args.waiting) if getattr(args, 'waiting', 0)
    else WAITING_OFF} Every round starts from the same copy of it. Servers and worker: DEBUG off, Redis channel layer,
cache and broker{extra}; `PLANNING_EVALUATE_EVERY_SECONDS` at its default (10 s) unless set above. The hook
ON is `PLANNING_EVALUATE_ON_CHANGE=true` (the default): each change of a hall's line is checked against the
wait levels the hall's last evaluation kept, and a change that moves one (or any change of a hall whose live floor
is open, none here) has the worker evaluate the hall, at most once per hall in that interval, the halls changed
within `PLANNING_EVALUATE_BATCH_SECONDS` (1 s) in one task; OFF is `false`. {BEAT_ON if getattr(args, 'beat', False) else BEAT_OFF}

Rounds, in this order: {order}. Each: issue, closed loop ({args.issue_count:,} tickets, {args.concurrency}
clients); issue, open loop ({args.issue_rate:g} tickets/s for {args.paced_seconds:g} s); call next, closed
loop ({args.call_count:,} calls, {args.call_concurrency} agents, each call-next followed by start and
finish); call next, open loop ({args.call_rate:g} calls/s for {args.paced_seconds:g} s; display_fanout
calls at 20/s one call at a time). Open-loop latency is from when the request was due to the last byte of its
answer (call next: the call-next request only). The ratio ON / OFF is of the median of each setting's
round p99s (a round crushed by the machine's other work moves a pooled p99, whose top percent may all
come from that round, but not a median), and is also given for each ON round against the OFF round
beside it (ABBA pairs: drift cancels within a pair). The pooled figures are there for the shape.

| figure | result | target | met |
| --- | --- | --- | --- |
{path_rows(f"issue at {args.issue_rate:g}/s", "tickets/s", issue)}{path_rows(f"call next at {args.call_rate:g}/s", "calls/s", call)}| **both paths within {TARGET_RATIO:.2f} × at p99** | | | {overall} |

Rounds (throughput: closed loop; latency: open loop, p50 / p95 / p99 ms; evaluations: the tasks (batches
of halls) run on change by the worker during the round, mean / max wall time each, and those still queued 20 s after the load
stopped, dropped before the next round; CPU in cores over the round):

| round | hook | load (1 min) | issue /s | issue p50 / p95 / p99 | calls /s | call-next p50 / p95 / p99 | evaluations run, still queued at the end | CPU worker | CPU servers | CPU PostgreSQL | CPU machine | steal |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
{raw}

Verdict rule: met when the ratio of the median p99s is at most {TARGET_RATIO:.2f} and at least three pairs in
four are too; not met when it is over and at least three pairs in four are over too; inconclusive
otherwise (the pairs disagree: the machine's noise is larger than the difference).
{SECTION_END}
"""


WAITING_ON = """each service's line holds {n} waiting tickets and the
wait warnings they raise when a round starts: a busy city at its peak, where every change of every line goes
through the hook and the warnings hold their levels (`--waiting`)."""
WAITING_OFF = """every line is empty when a round starts, so in the
first minute every hall's warnings start and rise together, a storm of writes (`--waiting 0`)."""
BEAT_ON = """Celery beat runs in the worker (`-B`) in
every round, with the product's whole schedule, as deployed: the minute's evaluation of every hall and the
sweeps run with the hook on and off alike, so the comparison is the hook's cost, what evaluating on change
adds to the system as it runs without it. Before its load, each round runs the minute's evaluation once, untimed,
as beat has before any minute of a running system: the round's fresh cache then holds every hall's wait levels."""
BEAT_OFF = """Celery beat does not run,
so with the hook off nothing evaluates: the comparison is with no evaluation at all (`--no-beat`)."""


def fmt_paced(p: dict) -> str:
    lat = sorted(p["latencies"])
    bad = p["requests"] - p["ok"]
    note = f" ({bad} failed)" if bad else ""
    return f"{percentile(lat, 50):.1f} / {percentile(lat, 95):.1f} / {percentile(lat, 99):.1f}{note}"


# --- Main ----------------------------------------------------------------------------------


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "_build-floor":
        sub = argparse.ArgumentParser()
        sub.add_argument("_cmd")
        sub.add_argument("--halls", type=int, required=True)
        sub.add_argument("--services", type=int, required=True)
        sub.add_argument("--open-counters", type=int, required=True)
        sub.add_argument("--waiting", type=int, default=0)
        a = sub.parse_args()
        build_floor(a.halls, a.services, a.open_counters, a.waiting)
        return 0

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=8, help="rounds, a multiple of 4 (ABBA blocks)")
    parser.add_argument("--first", choices=["on", "off"], default="on", help="the hook's setting in round 1")
    parser.add_argument("--halls", type=int, default=200, help="halls (the city has 212)")
    parser.add_argument("--services", type=int, default=3)
    parser.add_argument("--open-counters", type=int, default=2, choices=range(1, 5), help="open counters per hall")
    parser.add_argument("--waiting", type=int, default=6,
                        help="tickets waiting in each service's line when a round starts, their warnings raised "
                             "(a busy city at its peak); 0: every round starts from empty lines")
    parser.add_argument("--displays-per-hall", type=int, default=0,
                        help="display sockets per hall, opened 20 at a time (the evaluations' broadcasts reach them)")
    parser.add_argument("--servers", type=int, default=2, help="Daphne processes")
    parser.add_argument("--beat", action=argparse.BooleanOptionalAction, default=True,
                        help="run Celery beat in the worker in every round (the product as deployed); "
                             "--no-beat: nothing evaluates with the hook off")
    parser.add_argument("--worker-nice", type=int, default=0,
                        help="the worker's nice value (0: the servers' priority; 10: below them, as deployed on shared cores)")
    parser.add_argument("--warmup", type=int, default=500, help="untimed tickets per round before the timed load")
    parser.add_argument("--issue-count", type=int, default=2000, help="tickets in the closed loop")
    parser.add_argument("--concurrency", type=int, default=32, help="issuing clients in the closed loop")
    parser.add_argument("--issue-rate", type=float, default=100.0, help="tickets/s in the open loop")
    parser.add_argument("--call-count", type=int, default=600, help="calls in the closed loop")
    parser.add_argument("--call-concurrency", type=int, default=16, help="agents calling in the closed loop")
    parser.add_argument("--call-rate", type=float, default=10.0, help="calls/s in the open loop")
    parser.add_argument("--paced-seconds", type=float, default=30.0, help="each open loop's length")
    parser.add_argument("--db", default="qms_bench_hooks", help="each round's database")
    parser.add_argument("--template", default="qms_bench_hooks_floor", help="the floor's database")
    parser.add_argument("--redis-db", type=int, default=6, help="Redis DB (channel layer, cache, broker)")
    parser.add_argument("--port", type=int, default=19100, help="first server port")
    parser.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for the servers and the worker (repeatable)")
    parser.add_argument("--request-timeout", type=float, default=60.0)
    parser.add_argument("--write", action="store_true", help="put the report in docs/benchmarks.md")
    parser.add_argument("--from-json", metavar="FILE", help="run nothing: report the rounds a run saved in FILE")
    args = parser.parse_args()
    command = ".venv/bin/python benchmarks/warning_hooks.py " + " ".join(sys.argv[1:])
    if args.from_json:
        with open(args.from_json) as f:
            saved = json.load(f)
        return finish(argparse.Namespace(**{**saved["args"], "write": args.write}), saved["command"],
                      saved["machine"], saved["started"], saved["floor"], saved["rounds"])
    if args.rounds < 4 or args.rounds % 4:
        parser.error("--rounds must be a multiple of 4")
    if args.halls * args.open_counters < args.call_concurrency:
        parser.error("--call-concurrency needs that many open counters (--halls x --open-counters)")

    started = now_stamp()
    m = machine()
    print(f"building the floor in {args.template}: {args.halls} halls ...", flush=True)
    floor_env = server_env(args.template, f"bench-hooks-floor-{uuid.uuid4().hex[:8]}", [
        # Nothing queued for the first round's worker, no refresher thread.
        "PLANNING_EVALUATE_ON_CHANGE=false", "QUEUE_LIVE_REFRESH_MS=0", "QUEUE_COUNTS_REFRESH_MS=0",
        *args.server_env,
    ], redis_db=args.redis_db)
    floor = prepare_template(args, floor_env)
    forget_keys(floor_env["REDIS_URL"], floor_env["REDIS_PREFIX"])

    rounds = []
    try:
        for number, hook in enumerate(abba(args.rounds, args.first == "on"), start=1):
            print(f"round {number}/{args.rounds}: hook {'ON' if hook else 'OFF'} ...", flush=True)
            r = run_round(args, floor, number, hook)
            rounds.append(r)
            print(f"  issue {r['issue_closed']['rate']:.0f}/s, at {args.issue_rate:g}/s {fmt_paced(r['issue_paced'])}"
                  f" ms; calls {r['call_closed']['rate']:.1f}/s, at {args.call_rate:g}/s "
                  f"{fmt_paced(r['call_paced'])} ms; {r['evaluations']} evaluations, worker "
                  f"{r['cpu_worker']:.2f} cores; {r['seconds']:.0f} s", flush=True)
    finally:
        psql(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)", f"DROP DATABASE IF EXISTS {args.template} WITH (FORCE)")

    saved = LOG_DIR / "warning_hooks-rounds.json"
    saved.write_text(json.dumps({"args": vars(args), "command": command, "machine": m, "started": started,
                                 "floor": floor, "rounds": rounds}))
    print(f"rounds saved in {saved.relative_to(ROOT)} (--from-json to report them again)")
    return finish(args, command, m, started, floor, rounds)


def finish(args, command, m, started, floor, rounds) -> int:
    issue = path_summary(rounds, "issue_paced", "issue_closed")
    call = path_summary(rounds, "call_paced", "call_closed")
    text = report(args, command, m, started, floor, rounds, issue, call)
    print(text)
    if args.write:
        write_section(text, SECTION_START, SECTION_END)
        print(f"written to {DOCS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
