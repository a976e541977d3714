"""What every benchmark needs around its own load: a fresh PostgreSQL database,
Daphne servers with their logs, CPU and memory samples, the machine's
description, percentiles, and its section of docs/benchmarks.md.

The benchmarks are scripts run from the repository root
(`.venv/bin/python benchmarks/<name>.py`), so this module is imported by its
plain name (`from harness import ...`): Python puts the script's folder first
on the path. Heavy imports (psutil, aiohttp) happen inside the functions that
use them, so that `--help` works without them.
"""

import asyncio
import datetime
import math
import os
import platform
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
LOG_DIR = ROOT / "var" / "bench-logs"
PG = "postgres://postgres@127.0.0.1:5432"


# --- Percentiles -----------------------------------------------------------------


def percentile(sorted_values, q):
    """Nearest-rank percentile of an already sorted list: the smallest value
    with at least q % of the values at or below it."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def percentile_rounded(values, q):
    """The value at the rounded position q % of the way from the smallest to
    the largest (any order). The live-floor benchmark has always reported
    this one; kept so that its figures stay comparable with its earlier runs."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


# --- The servers' environment and database ------------------------------------------


def database_url(db_name: str) -> str:
    return f"{PG}/{db_name}"


def server_env(db_name: str, redis_prefix: str, extra=(), redis_db: int = 5) -> dict:
    """The environment the servers (and migrations, and the floor) run with:
    DEBUG off on `db_name`, the local Redis under `redis_prefix`, then each
    `KEY=VALUE` of `extra` (the benchmarks' `--server-env`).

    BENCH_REDIS_URL: another Redis server or DB when others share the machine."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(db_name),
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", f"redis://127.0.0.1:6379/{redis_db}"),
        REDIS_PREFIX=redis_prefix,
        DEBUG="false",
        SECRET_KEY="benchmark-only-secret-key-not-for-production-" + "0123456789" * 3,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        # With DEBUG off the sandbox payments refuse their published secret.
        PAYMENT_SANDBOX_SECRET="benchmark-only-sandbox-secret",
        # Plain HTTP on loopback: no redirect to https.
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONUNBUFFERED="1",
    )
    for item in extra:
        key, _, value = item.partition("=")
        env[key] = value
    return env


def psql(*sql: str, database: str = "postgres") -> str:
    cmd = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-qAt"]
    for statement in sql:
        cmd += ["-c", statement]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120).stdout.strip()


def prepare_database(db_name: str, env: dict, floor_command: list[str], floor_timeout: float = 900) -> str:
    """Drop and create `db_name`, migrate it, then build the benchmark's floor
    by running `floor_command` with the servers' environment; returns what the
    floor command printed."""
    psql(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)", f"CREATE DATABASE {db_name}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    return subprocess.run(
        floor_command, cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=floor_timeout,
    ).stdout


# --- Servers ---------------------------------------------------------------------------


@dataclass
class Server:
    """One Daphne process on 127.0.0.1, its output in `log_path`."""

    proc: subprocess.Popen
    port: int
    log_path: Path
    log: IO[bytes]

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base(self) -> str:
        return f"http://{self.host}"


def start_servers(env: dict, count: int, base_port: int, logdir: Path = LOG_DIR) -> list[Server]:
    """`count` Daphne processes on consecutive ports from `base_port`; each
    one's stdout and stderr in logdir/daphne-<port>.log."""
    logdir.mkdir(parents=True, exist_ok=True)
    servers = []
    for i in range(count):
        port = base_port + i
        log_path = logdir / f"daphne-{port}.log"
        log = open(log_path, "wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        servers.append(Server(proc=proc, port=port, log_path=log_path, log=log))
    return servers


def stop_processes(procs, sig=signal.SIGTERM, timeout=10) -> None:
    """Signal every process still running, wait for them all together until
    `timeout`, then kill those still there."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(sig)
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def stop_servers(servers: list[Server]) -> None:
    stop_processes([s.proc for s in servers])
    for s in servers:
        s.log.close()


async def wait_up(session, servers: list[Server], path: str, deadline_seconds: float = 90) -> None:
    """Until each server answers GET `path` with 200; fails at once if one has
    exited, and after `deadline_seconds` in all."""
    import aiohttp

    deadline = time.monotonic() + deadline_seconds
    for server in servers:
        while True:
            if server.proc.poll() is not None:
                raise RuntimeError(f"Daphne on {server.port} exited with {server.proc.returncode}; "
                                   f"see {server.log_path}")
            try:
                async with session.get(f"{server.base}{path}") as r:
                    await r.read()
                    if r.status == 200:
                        break
            except (aiohttp.ClientError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"Daphne on {server.port} did not answer within {deadline_seconds} s; "
                                   f"see {server.log_path}")
            await asyncio.sleep(0.2)


# --- CPU and memory ----------------------------------------------------------------------


def cpu_seconds(pids) -> dict:
    """CPU seconds (user + system) so far of each of `pids` still running."""
    import psutil

    out = {}
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            out[pid] = t.user + t.system
        except psutil.Error:
            pass
    return out


def postgres_cpu() -> dict:
    """CPU seconds so far of every PostgreSQL process (postmaster, backends, workers).

    The postmaster's count includes its children that have ended (the kernel
    adds a child's times to its parent's when the parent reaps it): without a
    connection pool each request's backend starts and ends between two samples,
    and would otherwise not be counted at all. A backend running at the first
    sample that ends before the second counts with its whole life; with kept
    connections that is a rare autovacuum worker."""
    import psutil

    out = {}
    for p in psutil.process_iter(["name"]):
        if p.info["name"] and p.info["name"].startswith("postgres"):
            try:
                t = p.cpu_times()
                out[p.pid] = t.user + t.system + t.children_user + t.children_system
            except psutil.Error:
                pass
    return out


def machine_seconds() -> tuple[float, float]:
    """CPU seconds of the whole machine (all cores, anyone's processes), from one sample:
    spent busy, and taken by the host (steal: the cores were ready to run but the host
    ran something else)."""
    import psutil

    t = psutil.cpu_times()
    busy = t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)
    return busy, getattr(t, "steal", 0.0)


def cpu_used(before: dict, after: dict) -> float:
    """CPU seconds between two samples; processes born in between count from zero."""
    return sum(v - before.get(pid, 0.0) for pid, v in after.items())


def rss_mb(pids) -> float:
    """The resident memory of `pids` together, in MiB."""
    import psutil

    return sum(psutil.Process(pid).memory_info().rss for pid in pids) / 2**20


# --- The machine and the report ----------------------------------------------------------


def machine() -> dict:
    """The machine as the reports describe it, with its load average now."""
    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor(),
    )
    mem_kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram": f"{mem_kb / 2**20:.0f} GiB",
        "postgres": psql("SHOW server_version"),
        "python": platform.python_version(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def machine_line(m: dict) -> str:
    """`2 cores (AMD EPYC), 24 GiB RAM, PostgreSQL 15.20 (...), Python 3.11.7`"""
    return f"{m['nproc']} cores ({m['cpu']}), {m['ram']} RAM, PostgreSQL {m['postgres']}, Python {m['python']}"


def now_stamp() -> str:
    """The local time as the reports give it: `2026-12-03 06:51 UTC`."""
    return datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")


def section_markers(name: str) -> tuple[str, str]:
    """The comments around benchmark `name`'s section of docs/benchmarks.md."""
    return f"<!-- benchmark:{name} -->", f"<!-- /benchmark:{name} -->"


def write_section(text: str, start: str, end: str) -> None:
    """Replace the part of docs/benchmarks.md between the `start` and `end`
    markers with `text` (which carries the markers), or add it at the end.
    Everything outside the markers (the notes kept under a section) stays."""
    DOCS.parent.mkdir(exist_ok=True)
    current = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n\nFigures and the commands that reproduce them.\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.S)
    section = text.strip("\n") + "\n"
    if pattern.search(current):
        updated = pattern.sub(lambda _: section, current, count=1)
    else:
        updated = current.rstrip("\n") + "\n\n" + section
    DOCS.write_text(updated)
