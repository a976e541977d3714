"""Ticket issuing under load: HTTP through Daphne on PostgreSQL, beside raw psycopg.

    .venv/bin/pip install -r requirements/bench.txt
    .venv/bin/python benchmarks/ticket_issue.py [--count 100000] [--concurrency 64]
        [--servers 2] [--halls 20] [--services 3] [--raw-count 20000]
        [--paced-rate 300] [--paced-seconds 20] [--write]

What it does, in one run:

1. Builds a fresh PostgreSQL database (qms_bench, dropped first): migrations,
   `--halls` owned halls open 24 hours every day, each offering `--services`
   services (prefixes A, B, C, ...) with four closed counters, and a superuser
   with a DRF token.
2. Starts `--servers` Daphne processes on consecutive ports from `--port`
   (DEBUG off, the local Redis for the channel layer and cache under a unique
   prefix) and waits until each answers.
3. From this process, `--concurrency` clients on keep-alive connections (spread
   evenly over the servers) POST /api/v1/halls/{code}/tickets/ with
   `{"service", "channel": "kiosk"}` and the token, cycling through the halls
   and services, until `--count` tickets have been asked for (after a short
   warm-up that is not timed). Each request's latency is measured from send to
   the last byte of the answer.
   Then, unless `--paced-rate 0`, an open loop: requests leave at
   `--paced-rate` a second (300 by default, the target) for
   `--paced-seconds`, whatever the answers do, each timed from when it was
   due: the latency at that rate, which the closed loop cannot show (its
   latency is at least clients / throughput).
   While it runs, if the server has autovacuum off, the benchmark applies
   autovacuum's rule itself (see AutovacuumStandIn; `--no-autovacuum` not).
4. Checks the database: tickets = successful answers, no duplicate
   (hall, day, prefix, sequence), numbers 1..n per (hall, prefix, day) with no
   gap, every sequence row at its highest number, one `issued` event per ticket.
5. Baseline: the same writes done with psycopg directly (the sequence upsert,
   the ticket INSERT and the event INSERT in one transaction) from the same
   number of connections, `--raw-count` times, on the next business day so its
   numbers start afresh; checked the same way.
6. Prints a Markdown report; `--write` puts it in docs/benchmarks.md (replacing
   an earlier report of this benchmark, leaving other sections alone).

`--profile DIR` samples every Daphne process with py-spy during the timed run
and writes collapsed stacks (flamegraph input) plus a summary of the hottest
functions to DIR.

Every loop is bounded; servers and samplers are stopped in `finally`, also on
errors and Ctrl-C.
"""

import argparse
import asyncio
import collections
import datetime
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from harness import (
    DOCS,
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

# BENCH_DB_NAME: another database name when others share the machine (BENCH_REDIS_URL: see harness.server_env).
DB_NAME = os.environ.get("BENCH_DB_NAME", "qms_bench")
SECTION_START, SECTION_END = section_markers("ticket_issue")
# The target: this many tickets a second, answered within this p99.
TARGET_RATE = 300
TARGET_P99_MS = 150

SERVICES = [
    ("payment", "缴费充值", "Payment", "A"),
    ("new-sim", "办卡选号", "New SIM and numbers", "B"),
    ("business", "业务办理", "Plan changes", "C"),
    ("broadband", "宽带业务", "Broadband", "D"),
    ("enquiry", "综合咨询", "Enquiries", "E"),
    ("handset", "终端售后", "Handset service", "F"),
]


# --- The floor -----------------------------------------------------------------


def prepare_floor(env: dict, halls: int, services: int) -> dict:
    out = prepare_database(
        DB_NAME, env, [sys.executable, __file__, "_build-floor", "--halls", str(halls), "--services", str(services)],
        floor_timeout=300,
    )
    return json.loads(out.strip().splitlines()[-1])


def build_floor(halls: int, services: int) -> None:
    """Runs in a child process with the servers' environment: the benchmark floor, as JSON on stdout."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from datetime import time as clock

    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from halls.models import Counter, CounterService, HallService, OpeningHours, Outlet, OutletKind, Service

    offered = [
        Service.objects.create(code=code, name_zh=zh, name_en=en, prefix=prefix, default_handle_seconds=180)
        for code, zh, en, prefix in SERVICES[:services]
    ]
    outlets = Outlet.objects.bulk_create(
        [
            Outlet(code=f"BENCH-{i:03d}", name=f"基准营业厅{i}", kind=OutletKind.OWNED_HALL, district="金水区",
                   has_queue=True)
            for i in range(1, halls + 1)
        ]
    )
    # 00:00-00:00 every weekday: open around the clock, so the run may cross any hour.
    OpeningHours.objects.bulk_create(
        [OpeningHours(outlet=o, weekday=d, opens=clock(0), closes=clock(0)) for o in outlets for d in range(7)]
    )
    HallService.objects.bulk_create(
        [HallService(outlet=o, service=s, prefix=s.prefix, sort_order=k) for o in outlets
         for k, s in enumerate(offered)]
    )
    counters = Counter.objects.bulk_create([Counter(outlet=o, number=n) for o in outlets for n in range(1, 5)])
    CounterService.objects.bulk_create(
        [CounterService(counter=c, service=s, position=k) for c in counters for k, s in enumerate(offered)]
    )
    user = get_user_model().objects.create_superuser("bench_admin", "bench@example.com", secrets.token_hex(16))
    token = Token.objects.create(user=user)
    print(json.dumps({
        "token": token.key,
        "user_id": user.pk,
        "halls": [{"code": o.code, "id": o.pk} for o in outlets],
        "services": [{"code": s.code, "id": s.pk, "prefix": s.prefix} for s in offered],
    }))


class AutovacuumStandIn:
    """What PostgreSQL's autovacuum would do, for a server that has it off.

    A production server runs autovacuum (the default); without it, a table
    that only grows never has its pages marked all-visible, so counting a
    waiting line (an index-only scan) visits every ticket's row as well, and
    the run measures a server nobody would run. When `SHOW autovacuum` is off,
    this applies autovacuum's own rule, with the server's own thresholds, once
    per `autovacuum_naptime`: VACUUM a table when its dead rows, or its rows
    inserted since the last vacuum, pass threshold + scale factor x rows, and
    ANALYZE it when its changed rows pass the analyze threshold. Its work is
    PostgreSQL's and is counted as such."""

    RULE = """
        SELECT s.relname,
               s.n_dead_tup > current_setting('autovacuum_vacuum_threshold')::float
                   + current_setting('autovacuum_vacuum_scale_factor')::float * greatest(c.reltuples, 0)
               OR s.n_ins_since_vacuum > current_setting('autovacuum_vacuum_insert_threshold')::float
                   + current_setting('autovacuum_vacuum_insert_scale_factor')::float * greatest(c.reltuples, 0),
               s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float
                   + current_setting('autovacuum_analyze_scale_factor')::float * greatest(c.reltuples, 0)
        FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
        WHERE s.schemaname = 'public'
    """

    def __init__(self, dsn: str):
        self.dsn = dsn
        self.needed = psql("SHOW autovacuum") != "on"
        self.vacuums = self.analyzes = 0
        self._task = None

    async def _loop(self) -> None:
        import psycopg

        async with await psycopg.AsyncConnection.connect(self.dsn, autocommit=True) as conn:
            naptime = (await (await conn.execute(
                "SELECT setting::float FROM pg_settings WHERE name = 'autovacuum_naptime'")).fetchone())[0]
            while True:
                await asyncio.sleep(naptime)
                for table, vacuum, analyze in await (await conn.execute(self.RULE)).fetchall():
                    if vacuum or analyze:
                        options = "(ANALYZE) " if vacuum and analyze else ""
                        verb = "VACUUM" if vacuum else "ANALYZE"
                        await conn.execute(f'{verb} {options}"{table}"')
                        self.vacuums += bool(vacuum)
                        self.analyzes += bool(analyze)

    def start(self) -> None:
        if self.needed:
            self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    def describe(self) -> str:
        if not self.needed:
            return "autovacuum on (the server's own)"
        if self._task is None:
            return "autovacuum off on this server, and not stood in for (`--no-autovacuum`)"
        return (f"autovacuum off on this server, so the benchmark applied its rule itself: "
                f"{self.vacuums} VACUUM and {self.analyzes} ANALYZE during the HTTP runs")


# --- The HTTP load -------------------------------------------------------------


class Load:
    """The shared state of the clients: the next request number, results, timings."""

    def __init__(self, floor, count):
        self.floor = floor
        self.count = count
        self.next = 0
        self.latencies = []
        self.done_at = []  # completion times, for throughput over the run
        self.statuses = collections.Counter()
        self.numbers = collections.Counter()  # (hall, number) -> times answered

    def take(self):
        if self.next >= self.count:
            return None
        i = self.next
        self.next += 1
        halls, services = self.floor["halls"], self.floor["services"]
        # Hall first, then service: consecutive requests hit different sequence rows.
        return halls[i % len(halls)]["code"], services[(i // len(halls)) % len(services)]["code"]


async def issue_one(session, base, headers, job, load: Load, record: bool, start=None) -> None:
    """POST one ticket and record the answer; latency from `start` (default: now)."""
    import aiohttp

    hall, service = job
    body = json.dumps({"service": service, "channel": "kiosk"})
    start = time.perf_counter() if start is None else start
    try:
        async with session.post(f"{base}/api/v1/halls/{hall}/tickets/", data=body, headers=headers) as r:
            payload = await r.read()
            status = r.status
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
        payload, status = b"", f"error:{type(exc).__name__}"
    end = time.perf_counter()
    load.statuses[status] += 1
    if status == 201:
        load.numbers[(hall, json.loads(payload)["number"])] += 1
    if record:
        load.latencies.append((end - start) * 1000)
        load.done_at.append(end)


def auth_headers(token) -> dict:
    return {"Authorization": f"Token {token}", "Content-Type": "application/json"}


async def client(session, base, token, load: Load, record: bool) -> None:
    headers = auth_headers(token)
    while (job := load.take()) is not None:
        await issue_one(session, base, headers, job, load, record)


async def paced_run(session, bases, token, load: Load, rate: float) -> float:
    """Open loop: requests leave at `rate` per second whatever the answers do,
    each timed from the moment it was due (a slow server cannot hide its
    delay by slowing the client down). Returns the elapsed seconds."""
    headers = auth_headers(token)
    tasks = []
    t0 = time.perf_counter()
    i = 0
    while (job := load.take()) is not None:
        due = t0 + i / rate
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(issue_one(session, bases[i % len(bases)], headers, job, load, True, due)))
        i += 1
    await asyncio.gather(*tasks)
    return time.perf_counter() - t0


async def http_phase(args, floor, servers) -> dict:
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=args.request_timeout)
    results = {}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout) as session:
        await wait_up(session, servers, f"/api/v1/halls/{floor['halls'][0]['code']}/")
        bases = [s.base for s in servers]
        autovacuum = AutovacuumStandIn(database_url(DB_NAME))
        if args.autovacuum:
            autovacuum.start()

        async def run(load, record):
            await asyncio.gather(*[
                client(session, bases[i % len(bases)], floor["token"], load, record)
                for i in range(args.concurrency)
            ])

        warm = Load(floor, args.warmup)
        await run(warm, record=False)

        load = Load(floor, args.count)
        server_pids = [s.proc.pid for s in servers]
        cpu0, pg0, me0, (all0, steal0) = cpu_seconds(server_pids), postgres_cpu(), time.process_time(), machine_seconds()
        samplers = start_samplers(args, servers)
        t0 = time.perf_counter()
        try:
            await run(load, record=True)
        finally:
            elapsed = time.perf_counter() - t0
            stop_processes(samplers, signal.SIGINT, timeout=60)
        cpu1, pg1, me1, (all1, steal1) = cpu_seconds(server_pids), postgres_cpu(), time.process_time(), machine_seconds()

        paced = None
        if args.paced_rate > 0:
            paced = Load(floor, int(args.paced_rate * args.paced_seconds))
            paced_elapsed = await paced_run(session, bases, floor["token"], paced, args.paced_rate)
        await autovacuum.stop()
    results["autovacuum"] = autovacuum.describe()

    if paced is not None:
        plat = sorted(paced.latencies)
        results.update(
            paced_requests=paced.count,
            paced_ok=paced.statuses.get(201, 0),
            paced_rate=paced.count / paced_elapsed,
            paced_scheduled_rate=args.paced_rate,
            paced_seconds=paced_elapsed,
            paced_p50=percentile(plat, 50), paced_p95=percentile(plat, 95), paced_p99=percentile(plat, 99),
            paced_max=plat[-1] if plat else 0,
            paced_statuses={str(k): v for k, v in sorted(paced.statuses.items(), key=lambda kv: str(kv[0]))},
        )
    paced_ok = paced.statuses.get(201, 0) if paced is not None else 0
    paced_numbers = paced.numbers if paced is not None else collections.Counter()
    lat = sorted(load.latencies)
    ok = load.statuses.get(201, 0)
    decile = max(1, len(load.done_at) // 10)
    done = sorted(load.done_at)
    first_rate = decile / (done[decile - 1] - t0) if done else float("nan")
    last_rate = decile / (done[-1] - done[-decile - 1]) if len(done) > decile else float("nan")
    results.update(
        requests=args.count,
        warmup=args.warmup,
        warm_statuses=dict(warm.statuses),
        ok=ok,
        ok_total=ok + warm.statuses.get(201, 0) + paced_ok,
        statuses={str(k): v for k, v in sorted(load.statuses.items(), key=lambda kv: str(kv[0]))},
        seconds=elapsed,
        rate=ok / elapsed,
        p50=percentile(lat, 50), p95=percentile(lat, 95), p99=percentile(lat, 99), max=lat[-1] if lat else 0,
        mean=sum(lat) / len(lat) if lat else 0,
        first_rate=first_rate,
        last_rate=last_rate,
        client_duplicates=sum(n - 1 for n in (load.numbers + warm.numbers + paced_numbers).values() if n > 1),
        cpu_servers=cpu_used(cpu0, cpu1) / elapsed,
        cpu_postgres=cpu_used(pg0, pg1) / elapsed,
        cpu_client=(me1 - me0) / elapsed,
        cpu_machine=(all1 - all0) / elapsed,
        cpu_stolen=(steal1 - steal0) / elapsed,
    )
    return results


def start_samplers(args, servers) -> list:
    if not args.profile:
        return []
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    outdir = Path(args.profile)
    outdir.mkdir(parents=True, exist_ok=True)
    samplers = []
    for s in servers:
        samplers.append(subprocess.Popen(
            [py_spy, "record", "--pid", str(s.proc.pid), "--rate", str(args.profile_rate), "--format", "raw",
             "--nonblocking", *(["--gil"] if args.profile_gil else []), "--output", str(outdir / f"daphne-{s.port}.folded")],
            stdout=subprocess.DEVNULL, stderr=open(outdir / f"py-spy-{s.port}.log", "wb"),
        ))
    time.sleep(1)  # let py-spy attach before the clock starts
    return samplers


# --- Checks in the database ----------------------------------------------------------


def verify(dsn: str, business_dates: list | None = None) -> dict:
    """Counts, duplicates and gaps of the tickets (of the given business dates, default all)."""
    import psycopg

    where = "business_date = ANY(%(dates)s)" if business_dates else "TRUE"
    params = {"dates": business_dates}
    with psycopg.connect(dsn) as conn:
        one = lambda sql: int(conn.execute(sql, params).fetchone()[0])  # noqa: E731
        tickets = one(f"SELECT count(*) FROM queueing_ticket WHERE {where}")
        duplicates = one(
            f"SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM queueing_ticket WHERE {where} "
            "GROUP BY outlet_id, business_date, prefix, sequence HAVING count(*) > 1) d"
        )
        duplicate_numbers = one(
            f"SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM queueing_ticket WHERE {where} "
            "GROUP BY outlet_id, business_date, number HAVING count(*) > 1) d"
        )
        # Consecutive: per (hall, prefix, day) the numbers are exactly 1..n.
        lines, gappy = conn.execute(
            f"SELECT count(*), count(*) FILTER (WHERE n <> hi OR lo <> 1) FROM ("
            f"SELECT count(DISTINCT sequence) AS n, min(sequence) AS lo, max(sequence) AS hi "
            f"FROM queueing_ticket WHERE {where} GROUP BY outlet_id, prefix, business_date) g",
            params,
        ).fetchone()
        # The sequence row ends at the highest number handed out: nothing taken and lost.
        sequence_mismatch = one(
            f"SELECT count(*) FROM queueing_ticketsequence s JOIN (SELECT outlet_id, prefix, business_date, "
            f"max(sequence) AS hi FROM queueing_ticket WHERE {where} GROUP BY 1, 2, 3) t "
            "USING (outlet_id, prefix, business_date) WHERE s.last_number <> t.hi"
        )
        bad_format = one(
            f"SELECT count(*) FROM queueing_ticket WHERE {where} AND number <> prefix || lpad(sequence::text, "
            "greatest(3, length(sequence::text)), '0')"
        )
        events = one(
            "SELECT count(*) FROM queueing_ticketevent e JOIN queueing_ticket t ON t.id = e.ticket_id "
            f"WHERE e.kind = 'issued' AND {where.replace('business_date', 't.business_date')}"
        )
        # The kept waiting counts agree with the waiting tickets, line by line and day by day.
        line_mismatch = one(
            "SELECT count(*) FROM queueing_waitingline l FULL JOIN (SELECT outlet_id, business_date, service_id, "
            "priority_rank, count(*) AS n FROM queueing_ticket WHERE status = 'waiting' GROUP BY 1, 2, 3, 4) t "
            "USING (outlet_id, business_date, service_id, priority_rank) "
            "WHERE coalesce(l.waiting, 0) <> coalesce(t.n, 0)"
        )
    return {
        "tickets": tickets, "duplicates": duplicates, "duplicate_numbers": duplicate_numbers, "lines": lines,
        "lines_with_gaps": gappy, "sequence_mismatch": sequence_mismatch, "bad_format": bad_format,
        "issued_events": events, "line_mismatch": line_mismatch,
    }


# --- The raw baseline ------------------------------------------------------------

SEQUENCE_SQL = (
    "INSERT INTO queueing_ticketsequence (outlet_id, prefix, business_date, last_number) VALUES (%s, %s, %s, 1) "
    "ON CONFLICT (outlet_id, prefix, business_date) "
    "DO UPDATE SET last_number = queueing_ticketsequence.last_number + 1 RETURNING last_number"
)
TICKET_SQL = (
    "INSERT INTO queueing_ticket (outlet_id, service_id, prefix, sequence, number, business_date, token, status, "
    "priority, priority_rank, channel, phone, counter_id, call_count, issued_at, first_called_at, called_at, "
    "started_at, finished_at, idempotency_key, issued_by_id, cancel_reason) VALUES "
    "(%s, %s, %s, %s, %s, %s, %s, 'waiting', 'normal', 1, %s, '', NULL, 0, %s, NULL, NULL, NULL, NULL, NULL, %s, "
    "NULL) "
    "RETURNING id"
)
LINE_SQL = (
    "INSERT INTO queueing_waitingline (outlet_id, business_date, service_id, priority_rank, waiting) "
    "VALUES (%s, %s, %s, 1, 1) ON CONFLICT (outlet_id, business_date, service_id, priority_rank) "
    "DO UPDATE SET waiting = queueing_waitingline.waiting + 1"
)
EVENT_SQL = (
    "INSERT INTO queueing_ticketevent (ticket_id, outlet_id, kind, from_status, to_status, service_id, counter_id, "
    "actor_id, at, detail, request_key) VALUES (%s, %s, 'issued', '', 'waiting', %s, NULL, %s, %s, %s, NULL) "
    "RETURNING id"
)


async def raw_phase(args, floor, dsn: str, business_date: datetime.date) -> dict:
    """The issuing transaction without Django: upsert, ticket, line count, event, commit."""
    import psycopg
    from psycopg.types.json import Jsonb

    halls, services = floor["halls"], floor["services"]
    state = {"next": 0}
    latencies, errors = [], collections.Counter()
    detail = Jsonb({"channel": "kiosk", "priority": "normal"})

    async def worker(conn):
        while state["next"] < args.raw_count:
            i = state["next"]
            state["next"] += 1
            hall, service = halls[i % len(halls)], services[(i // len(halls)) % len(services)]
            start = time.perf_counter()
            try:
                async with conn.transaction():
                    cur = await conn.execute(SEQUENCE_SQL, (hall["id"], service["prefix"], business_date))
                    (sequence,) = await cur.fetchone()
                    now = datetime.datetime.now(datetime.timezone.utc)
                    cur = await conn.execute(TICKET_SQL, (
                        hall["id"], service["id"], service["prefix"], sequence, f"{service['prefix']}{sequence:03d}",
                        business_date, secrets.token_urlsafe(32), "kiosk", now, floor["user_id"],
                    ))
                    (ticket_id,) = await cur.fetchone()
                    await conn.execute(LINE_SQL, (hall["id"], business_date, service["id"]))
                    await conn.execute(EVENT_SQL, (ticket_id, hall["id"], service["id"], floor["user_id"], now,
                                                   detail))
            except psycopg.Error as exc:
                errors[type(exc).__name__] += 1
                continue
            latencies.append((time.perf_counter() - start) * 1000)

    conns = [await psycopg.AsyncConnection.connect(dsn, autocommit=True) for _ in range(args.concurrency)]
    try:
        pg0, me0, (all0, _) = postgres_cpu(), time.process_time(), machine_seconds()
        t0 = time.perf_counter()
        await asyncio.gather(*[worker(c) for c in conns])
        elapsed = time.perf_counter() - t0
        pg1, me1, (all1, _) = postgres_cpu(), time.process_time(), machine_seconds()
    finally:
        for c in conns:
            await c.close()
    lat = sorted(latencies)
    return {
        "count": args.raw_count, "ok": len(lat), "errors": dict(errors), "seconds": elapsed,
        "rate": len(lat) / elapsed, "p50": percentile(lat, 50), "p99": percentile(lat, 99),
        "cpu_postgres": cpu_used(pg0, pg1) / elapsed, "cpu_client": (me1 - me0) / elapsed,
        "cpu_machine": (all1 - all0) / elapsed,
    }


# --- Profile summary -------------------------------------------------------------

# Where a sampled stack belongs: the first phase with a matching frame wins, so
# the more specific phases come first. Frames are "function (file)".
PHASES = [
    ("database: connect", ["BaseDatabaseWrapper.connect (", "ConnectionPool.getconn ("]),
    ("database: close / return", ["BaseDatabaseWrapper.close (", "close_old_connections ("]),
    ("redis: connect", ["AbstractConnection.connect (", "Connection._connect (redis"]),
    ("after commit: hall seq (cache add + incr)", ["hall_seq_next ("]),
    ("after commit: group_send", ["_send (queueing/events.py)"]),
    ("after commit: service_summaries", ["service_summaries ("]),
    ("after commit: other", ["run_and_clear_commit_hooks ("]),
    ("auth: token lookup", ["TokenAuthentication.authenticate ("]),
    ("view: hall lookup", ["_get_hall ("]),
    ("issue: outlet_is_open", ["outlet_is_open ("]),
    ("issue: sequence upsert", ["_next_sequence ("]),
    ("issue: event insert", ["_ticket_event ("]),
    ("issue: commit", ["Atomic.__exit__ ("]),
    ("issue: ticket insert", ["QuerySet.create ("]),
    ("issue: hall service lookup, checks", ["ticket_issue ("]),
    ("response: ticket_progress", ["ticket_progress ("]),
    ("response: serializer", ["Serializer.data (", "_ticket_data ("]),
    ("view: input, rest", ["TicketIssueApi.post ("]),
    ("DRF dispatch, render", ["APIView.dispatch (", "Response.rendered_content ("]),
    ("middleware, Django handler", ["convert_exception_to_response.<locals>.inner (", "SyncToAsync.thread_handler ("]),
    ("event loop: new threads per request", ["Thread.start ("]),
    ("event loop: Django ASGI handler", ["ASGIHandler"]),
    ("event loop: Twisted, Daphne (HTTP)", ["twisted", "daphne"]),
    ("event loop: channel layer", ["channels_redis", "redis/asyncio"]),
    ("other", [""]),
]


def summarize_profile(outdir: Path, top: int = 25) -> str:
    """Samples of all servers by phase of the request, plus the hottest functions."""
    phases, own = collections.Counter(), collections.Counter()
    total = 0
    for path in sorted(outdir.glob("*.folded")):
        for line in path.read_text(errors="replace").splitlines():
            stack, _, n = line.rpartition(" ")
            if not stack or not n.isdigit():
                continue
            n, stack = int(n), re.sub(r":\d+\)", ")", stack)
            frames = stack.split(";")
            # Idle pool threads waiting for work are not the server's time.
            if "_worker (concurrent/futures/thread.py)" in stack and "_WorkItem.run" not in stack:
                continue
            total += n
            phases[next(name for name, pats in PHASES if any(p in stack for p in pats))] += n
            own[frames[-1]] += n
    lines = [f"samples (all server threads, py-spy): {total}", "", "| phase | share |", "| --- | --- |"]
    lines += [f"| {name} | {100 * n / max(1, total):.1f}% |" for name, n in phases.most_common()]
    lines += ["", "hottest functions (self):"]
    lines += [f"{100 * n / max(1, total):5.1f}%  {name}" for name, n in own.most_common(top)]
    text = "\n".join(lines)
    (outdir / "summary.txt").write_text(text)
    return text


# --- Report -------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "yes" if ok else "**no**"


def report(args, command, m, http, db, raw, rawdb, started) -> str:
    statuses = ", ".join(f"{k}: {v}" for k, v in http["statuses"].items())
    errors = sum(v for k, v in http["statuses"].items() if k != "201")
    clean = (db["duplicates"] == 0 and db["duplicate_numbers"] == 0 and db["lines_with_gaps"] == 0
             and db["sequence_mismatch"] == 0 and db["bad_format"] == 0 and http["client_duplicates"] == 0
             and db["tickets"] == http["ok_total"] and db["issued_events"] == db["tickets"]
             and db["line_mismatch"] == 0)
    raw_clean = (rawdb["duplicates"] == 0 and rawdb["lines_with_gaps"] == 0 and rawdb["tickets"] == raw["ok"]
                 and rawdb["line_mismatch"] == 0)
    ratio = http["rate"] / raw["rate"] if raw["rate"] else float("nan")
    extra = "".join(f", `{item}`" for item in args.server_env) or ", nothing else set"
    return f"""{SECTION_START}
## Issuing tickets over HTTP (Daphne, PostgreSQL) beside raw psycopg

Command: `{command}`

Machine: {machine_line(m)};
load average {m['load']} at the start. Run {started}. Everything on one machine: {args.servers} Daphne
processes, PostgreSQL, Redis and the load client (one asyncio process, aiohttp) share the cores.
Servers: DEBUG off, Redis channel layer and cache{extra}. PostgreSQL: {http['autovacuum']}.

Load: {args.concurrency} concurrent clients on keep-alive connections, spread evenly over the servers;
`POST /api/v1/halls/{{code}}/tickets/` with `{{"service", "channel": "kiosk"}}` and a staff token
(a superuser), cycling through {args.halls} halls open 24 hours and {args.services} services each
({args.halls * args.services} number sequences). {http['warmup']:,} untimed warm-up requests first.
Latency is from sending the request to the last byte of the answer. The closed loop (each client
sends its next request as soon as it has its answer) shows the most the machine gives; its latency
is at least clients / throughput ({1000 * args.concurrency / max(http['rate'], 1e-9):.0f} ms here) whatever the server does. The target's latency is
therefore measured at the target's rate: an open loop (`--paced-rate`) sends requests on schedule
whatever the answers do, and times each from when it was due, so a slow server cannot hide its delay
by slowing the client down.

| figure | result | target | met |
| --- | --- | --- | --- |
| tickets issued over HTTP (timed) | {http['ok']:,} of {http['requests']:,} in {http['seconds']:.1f} s | 100,000 | {verdict(http['ok'] == http['requests'])} |
| throughput, closed loop | **{http['rate']:.0f} tickets/s** | ≥ {TARGET_RATE}/s | {verdict(http['rate'] >= TARGET_RATE)} |
{paced_rows(http)}| latency in the closed loop: p50 / p95 / p99 / max | {http['p50']:.1f} / {http['p95']:.1f} / {http['p99']:.1f} / {http['max']:.0f} ms | | |
| answers by status | {statuses} | all 201 | {verdict(errors == 0)} |
| throughput, first / last tenth of the run | {http['first_rate']:.0f} / {http['last_rate']:.0f} tickets/s | | |
| tickets in the database / 201 answers (incl. warm-up) | {db['tickets']:,} / {http['ok_total']:,} | equal | {verdict(db['tickets'] == http['ok_total'])} |
| duplicate (hall, day, prefix, sequence) / duplicate numbers | {db['duplicates']} / {db['duplicate_numbers']} (answers: {http['client_duplicates']}) | 0 | {verdict(clean)} |
| number lines with a gap / sequence rows off their highest number | {db['lines_with_gaps']} of {db['lines']} / {db['sequence_mismatch']} | 0 | {verdict(db['lines_with_gaps'] == 0 and db['sequence_mismatch'] == 0)} |
| `issued` events / tickets | {db['issued_events']:,} / {db['tickets']:,} | equal | {verdict(db['issued_events'] == db['tickets'])} |
| kept waiting-line counts that differ from the waiting tickets | {db['line_mismatch']} | 0 | {verdict(db['line_mismatch'] == 0)} |
| CPU during the HTTP run: servers / PostgreSQL / client / whole machine / taken by the host (steal) | {http['cpu_servers']:.2f} / {http['cpu_postgres']:.2f} / {http['cpu_client']:.2f} / {http['cpu_machine']:.2f} / {http['cpu_stolen']:.2f} of {m['nproc']} cores | | |
| server CPU per ticket (all Daphne processes) | {1000 * http['cpu_servers'] / max(http['rate'], 1e-9):.1f} ms | | |
| raw psycopg: the same four writes in one transaction | {raw['ok']:,} in {raw['seconds']:.1f} s, **{raw['rate']:.0f} tx/s**, p50 {raw['p50']:.1f} / p99 {raw['p99']:.1f} ms | | {verdict(raw_clean)} (0 duplicates, 0 gaps) |
| CPU during the raw run: PostgreSQL / client / whole machine | {raw['cpu_postgres']:.2f} / {raw['cpu_client']:.2f} / {raw['cpu_machine']:.2f} cores | | |
| **HTTP / raw** | **{ratio:.2f}** | | |

The raw baseline runs after the HTTP run, from {args.concurrency} psycopg `AsyncConnection`s in one process,
on the next business day (so its numbers start at 1 and are checked the same way): the sequence upsert
(`INSERT ... ON CONFLICT ... DO UPDATE ... RETURNING`), the ticket `INSERT ... RETURNING id`, the
waiting line's count (another upsert) and the `issued` event `INSERT`, then `COMMIT`: what `ticket_issue` writes, without Django, DRF, HTTP, the reads
around it (hall, opening hours, service, position) or the broadcast after commit.
{SECTION_END}
"""


def paced_rows(http) -> str:
    """The open-loop row: the latency target, met when the run kept to at
    least the target's rate and every request got its ticket in time."""
    if "paced_rate" not in http:
        return ""
    statuses = ", ".join(f"{k}: {v}" for k, v in http["paced_statuses"].items())
    met = (http["paced_scheduled_rate"] >= TARGET_RATE and http["paced_p99"] < TARGET_P99_MS
           and http["paced_ok"] == http["paced_requests"])
    return (
        f"| latency at a steady {http['paced_scheduled_rate']:.0f} tickets/s, open loop: {http['paced_requests']:,} "
        f"requests in {http['paced_seconds']:.1f} s (answers {statuses}): p50 / p95 / p99 / max | "
        f"{http['paced_p50']:.1f} / {http['paced_p95']:.1f} / **{http['paced_p99']:.1f}** / {http['paced_max']:.0f} ms "
        f"| p99 < {TARGET_P99_MS} ms at ≥ {TARGET_RATE}/s | {verdict(met)} |\n"
    )


# --- Main --------------------------------------------------------------------------------


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "_build-floor":
        sub = argparse.ArgumentParser()
        sub.add_argument("_cmd")
        sub.add_argument("--halls", type=int, required=True)
        sub.add_argument("--services", type=int, required=True)
        a = sub.parse_args()
        build_floor(a.halls, a.services)
        return 0

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="timed ticket requests (default 100,000)")
    parser.add_argument("--concurrency", type=int, default=64, help="concurrent clients and raw connections")
    parser.add_argument("--servers", type=int, default=2, help="Daphne processes")
    parser.add_argument("--halls", type=int, default=20)
    parser.add_argument("--services", type=int, default=3, choices=range(1, len(SERVICES) + 1))
    parser.add_argument("--warmup", type=int, default=500, help="untimed requests before the run")
    parser.add_argument("--raw-count", type=int, default=20_000, help="raw psycopg transactions")
    parser.add_argument("--paced-rate", type=float, default=float(TARGET_RATE),
                        help="after the timed run, issue at this steady rate (tickets/s, open loop); 0 skips it")
    parser.add_argument("--paced-seconds", type=float, default=20.0, help="how long the paced run lasts")
    parser.add_argument("--no-autovacuum", dest="autovacuum", action="store_false",
                        help="when the server has autovacuum off, do not apply its rule from here")
    parser.add_argument("--port", type=int, default=18700, help="first server port")
    parser.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for the servers, e.g. DB_POOL_MAX_SIZE=16 (repeatable)")
    parser.add_argument("--request-timeout", type=float, default=60.0)
    parser.add_argument("--profile", metavar="DIR", help="sample the servers with py-spy into DIR")
    parser.add_argument("--profile-rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--profile-wall", dest="profile_gil", action="store_false",
                        help="sample every busy thread, not only the one holding the GIL")
    parser.add_argument("--write", action="store_true", help="put the report in docs/benchmarks.md")
    args = parser.parse_args()
    command = ".venv/bin/python benchmarks/ticket_issue.py " + " ".join(sys.argv[1:])
    if args.count < 1 or args.concurrency < 1 or args.servers < 1 or args.halls < 1:
        parser.error("--count, --concurrency, --servers and --halls must be at least 1")

    started = now_stamp()
    m = machine()
    env = server_env(DB_NAME, f"bench-issue-{uuid.uuid4().hex[:8]}", args.server_env)
    dsn = database_url(DB_NAME)

    print(f"preparing {DB_NAME}: {args.halls} halls x {args.services} services ...", flush=True)
    floor = prepare_floor(env, args.halls, args.services)
    servers = start_servers(env, args.servers, args.port)
    try:
        print(f"HTTP: {args.count:,} issues, {args.concurrency} clients, {args.servers} servers ...", flush=True)
        http = asyncio.run(http_phase(args, floor, servers))
    finally:
        stop_servers(servers)
    print(json.dumps(http, indent=1), flush=True)
    # Before the raw run, the database holds the HTTP tickets only.
    db = verify(dsn)
    print(json.dumps(db, indent=1), flush=True)

    import psycopg

    with psycopg.connect(dsn) as conn:
        last_day = conn.execute("SELECT max(business_date) FROM queueing_ticket").fetchone()[0]
    raw_day = (last_day or datetime.date.today()) + datetime.timedelta(days=1)
    print(f"raw psycopg: {args.raw_count:,} transactions on {raw_day} ...", flush=True)
    raw = asyncio.run(raw_phase(args, floor, dsn, raw_day))
    rawdb = verify(dsn, [raw_day])
    print(json.dumps({**raw, **{f"db_{k}": v for k, v in rawdb.items()}}, indent=1), flush=True)

    if args.profile:
        print(summarize_profile(Path(args.profile)), flush=True)
    text = report(args, command, m, http, db, raw, rawdb, started)
    print(text)
    if args.write:
        write_section(text, SECTION_START, SECTION_END)
        print(f"written to {DOCS.relative_to(ROOT)}")
    failed = db["duplicates"] or db["lines_with_gaps"] or db["tickets"] != http["ok_total"] or db["line_mismatch"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
