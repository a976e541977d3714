"""The benchmark suite, one after another, each rewriting its section of docs/benchmarks.md.

    .venv/bin/python benchmarks/run_all.py [--full] [--only NAME] [--no-write] [--dry-run] [--summary-only]
    make bench                  (the same; make bench ARGS=--full for the long forms)

By default the short forms (a few minutes in all, on 2 cores): they show that
everything runs and roughly where the figures stand. `--full` runs the long
forms whose figures docs/benchmarks.md keeps (the 100,000-ticket issue run, 4 to
8 minutes on 2 cores by itself, the 2,000-socket live floor, and the province's
year of 11.7 million events, about 10 minutes with its other parts). Each benchmark runs in its own process with `--write`, so its section
(figures, command, machine, date) is replaced and the notes between sections
stay; a short run therefore replaces the long run's figures in the page.
`--no-write` leaves the page alone.

Then a summary: for each benchmark whether it finished, how long it took, its
headline figures (the bold ones in its table) and every target it missed.
Exits 1 when a benchmark failed or ran out of time. With `--write` (the
default) the page's own summary at its top (`<!-- benchmark:summary -->`) is
rebuilt from every section the page holds, run now or before: each
benchmark's headline figures, its command, machine and date. `--summary-only`
rebuilds it without running anything.

Each run is bounded: past its time limit the benchmark gets Ctrl-C (it stops
its servers in `finally`), and a minute later its whole process group is
killed. The output of each run is also kept in var/bench-logs/run_all-<name>.txt.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from harness import DOCS, LOG_DIR, ROOT, section_markers, write_section

SUMMARY = "summary"


@dataclass(frozen=True)
class Benchmark:
    name: str
    short: list[str]
    full: list[str]
    short_limit: float  # seconds
    full_limit: float


SUITE = [
    Benchmark(
        "ticket_issue",
        short=["--server-env", "DB_POOL_MAX_SIZE=8", "--count", "5000", "--raw-count", "2000",
               "--paced-seconds", "10"],
        full=["--server-env", "DB_POOL_MAX_SIZE=8", "--count", "100000", "--raw-count", "20000"],
        short_limit=15 * 60,
        full_limit=2 * 3600,
    ),
    Benchmark(
        "display_fanout",
        short=["--server-env", "DB_POOL_MAX_SIZE=16", "--followers", "50", "--follower-calls", "3"],
        full=["--server-env", "DB_POOL_MAX_SIZE=16"],
        short_limit=15 * 60,
        full_limit=45 * 60,
    ),
    Benchmark(
        "peak_warnings",
        short=["--ticks", "3"],
        full=["--ticks", "5"],
        short_limit=15 * 60,
        full_limit=20 * 60,
    ),
    Benchmark(
        "warning_hooks",
        short=["--rounds", "4", "--halls", "40", "--paced-seconds", "10", "--issue-count", "500",
               "--call-count", "100"],
        full=["--rounds", "8", "--halls", "200", "--paced-seconds", "20", "--issue-count", "1500",
              "--call-count", "300"],
        short_limit=15 * 60,
        full_limit=35 * 60,
    ),
    Benchmark(
        "forecast",  # accuracy on held-out weeks, and the city's nightly forecast
        short=["--timing-weeks", "1"],
        full=[],
        short_limit=20 * 60,
        full_limit=30 * 60,
    ),
    Benchmark(
        "staffing",
        short=["--runs", "1", "--sim-days", "20"],
        full=[],
        short_limit=15 * 60,
        full_limit=20 * 60,
    ),
    Benchmark(
        "wait_estimates",
        short=["--days", "2"],
        full=["--days", "7"],
        short_limit=10 * 60,
        full_limit=15 * 60,
    ),
    Benchmark(
        "planning",
        short=["--halls", "40", "--hall-runs", "1", "--sim-days", "20"],
        full=[],
        short_limit=10 * 60,
        full_limit=30 * 60,
    ),
    Benchmark(
        "city_reports",  # a month of every hall's tickets: generated, rolled up, read
        short=[],
        full=[],
        short_limit=75 * 60,
        full_limit=75 * 60,
    ),
    Benchmark(
        "province",  # storage a ticket, one PostgreSQL's writes, the event log by month, the channel layer
        short=["--halls", "100", "--processes", "1,2", "--seconds", "8", "--event-halls", "2", "--months", "3",
               "--inserts", "500", "--groups", "1000", "--channel-seconds", "4"],
        full=[],
        short_limit=15 * 60,
        full_limit=25 * 60,
    ),
]

GRACE_SECONDS = 60  # from Ctrl-C to killing the process group


@dataclass
class Outcome:
    name: str
    command: str
    returncode: int | None = None
    timed_out: bool = False
    seconds: float = 0.0
    section: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and bool(self.section)


def run(bench: Benchmark, full: bool, write: bool) -> Outcome:
    """Run one benchmark, echoing and keeping its output; its report section is
    taken from what it printed (so it is there with `--no-write` too)."""
    args = (bench.full if full else bench.short) + (["--write"] if write else [])
    limit = bench.full_limit if full else bench.short_limit
    command = f".venv/bin/python benchmarks/{bench.name}.py " + " ".join(args)
    outcome = Outcome(bench.name, command)
    print(f"\n=== {bench.name}: {command} (at most {limit / 60:.0f} min)", flush=True)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    # A session of its own: the benchmark and the servers it starts are one process group to stop.
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / f"{bench.name}.py"), *args], cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        bufsize=1, start_new_session=True,
    )

    def interrupt() -> None:
        outcome.timed_out = True
        print(f"=== {bench.name}: out of time after {limit / 60:.0f} min, interrupting", flush=True)
        signal_group(proc, signal.SIGINT)

    timer = threading.Timer(limit, interrupt)
    killer = threading.Timer(limit + GRACE_SECONDS, signal_group, (proc, signal.SIGKILL))
    output = []
    t0 = time.monotonic()
    timer.start()
    killer.start()
    try:
        with open(LOG_DIR / f"run_all-{bench.name}.txt", "w") as log:
            for line in proc.stdout:
                sys.stdout.write(line)
                log.write(line)
                output.append(line)
        outcome.returncode = proc.wait()
    except KeyboardInterrupt:
        # The terminal's Ctrl-C does not reach another session: pass it on, then stop.
        signal_group(proc, signal.SIGINT)
        try:
            proc.wait(timeout=GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            signal_group(proc, signal.SIGKILL)
        raise
    finally:
        timer.cancel()
        killer.cancel()
        outcome.seconds = time.monotonic() - t0
    start, end = section_markers(bench.name)
    text = "".join(output)
    if start in text and end in text:
        outcome.section = text[text.index(start):text.index(end)]
    return outcome


def signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def headline(section: str) -> tuple[list[str], list[str]]:
    """From a report's table: the rows whose result is in bold, and the rows
    whose target was missed (`met` is `**no**`)."""
    figures, missed = [], []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) < 2 or set(cells[0]) <= {"-", " "}:
            continue
        if "**" in cells[1] or "**" in cells[0]:
            figures.append(f"{cells[0].strip('*')}: {cells[1].replace('**', '')}")
        if cells[-1] in ("**no**", "**not met**"):
            missed.append(f"{cells[0].strip('*')} (target {cells[2]})")
    return figures, missed


def summary(outcomes: list[Outcome], full: bool, write: bool) -> str:
    lines = ["", f"=== Summary ({'full' if full else 'short'} runs)"]
    for o in outcomes:
        state = ("finished" if o.ok else "out of time" if o.timed_out
                 else f"failed (exit {o.returncode})" if o.returncode else "no report")
        lines.append(f"{o.name}: {state} in {o.seconds / 60:.1f} min")
        lines.append(f"  {o.command}")
        run_line = re.search(r"Run (\d{4}-\d\d-\d\d \d\d:\d\d [^\s.]+)", o.section)
        if run_line:
            lines.append(f"  run {run_line.group(1)}")
        figures, missed = headline(o.section)
        lines += [f"  {f}" for f in figures]
        lines += [f"  missed: {m}" for m in missed]
    if write and not full:
        lines.append("docs/benchmarks.md now holds these short runs' figures; the page keeps the long runs' "
                     "(--full): git checkout docs/benchmarks.md to put them back")
    elif write:
        lines.append("Sections rewritten in docs/benchmarks.md")
    return "\n".join(lines)


def page_summary(page: str) -> str:
    """The summary section of docs/benchmarks.md, from the sections in `page`:
    one row per benchmark with its headline figures, when and where it ran,
    and its command."""
    rows = []
    for bench in SUITE:
        start, end = section_markers(bench.name)
        if start not in page or end not in page:
            rows.append(f"| {bench.name} | not run yet | | | |")
            continue
        section = page[page.index(start):page.index(end)]
        figures, missed = headline(section)
        command = next(iter(re.findall(r"`([^`]*benchmarks/[^`]+\.py[^`]*)`", section)), "")
        when = re.search(r"(\d{4}-\d\d-\d\d \d\d:\d\d [A-Z]{2,5})", section)
        where = re.search(r"(\d+ cores \(.*?\), [\d.]+ GiB RAM), PostgreSQL ([\d.]+)", section)
        cell = "<br>".join(f.replace("|", "/") for f in figures if not f.endswith(": ")) or "(see its section)"
        if missed:
            cell += "<br>**missed:** " + "; ".join(m.replace("|", "/") for m in missed)
        rows.append(f"| {bench.name} | {cell} | {when.group(1) if when else ''} | "
                    f"{where.group(1) + ', PostgreSQL ' + where.group(2) if where else ''} | `{command}` |")
    start, end = section_markers(SUMMARY)
    return "\n".join([
        start,
        "## Summary",
        "",
        "Each benchmark's headline figures (the bold ones of its table), when and where it ran and the command that",
        "gave them; the sections below have the rest. Rebuilt by `benchmarks/run_all.py` from the sections whenever",
        "it writes (`--summary-only`: without running anything). A row is as old as its section.",
        "",
        "| benchmark | headline figures | run | machine | command |",
        "| --- | --- | --- | --- | --- |",
        *rows,
        end,
    ]) + "\n"


def write_summary() -> None:
    """Rebuild the summary, placed before the first benchmark's section when new."""
    page = DOCS.read_text()
    start, end = section_markers(SUMMARY)
    summary_text = page_summary(page)
    if start not in page:
        first = re.search(r"^<!-- benchmark:\w", page, re.M).start()
        DOCS.write_text(page[:first] + summary_text + "\n" + page[first:])
    else:
        write_section(summary_text, start, end)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="the long forms behind docs/benchmarks.md")
    parser.add_argument("--only", action="append", choices=[b.name for b in SUITE], metavar="NAME",
                        help="run only this benchmark (repeatable): " + ", ".join(b.name for b in SUITE))
    parser.add_argument("--no-write", dest="write", action="store_false", help="leave docs/benchmarks.md alone")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    parser.add_argument("--summary-only", action="store_true",
                        help="rebuild the summary at the top of docs/benchmarks.md from its sections, run nothing")
    args = parser.parse_args()
    if args.summary_only:
        write_summary()
        return 0
    suite = [b for b in SUITE if not args.only or b.name in args.only]

    if args.dry_run:
        for b in suite:
            extra = ["--write"] if args.write else []
            print(f".venv/bin/python benchmarks/{b.name}.py " + " ".join((b.full if args.full else b.short) + extra))
        return 0
    outcomes = [run(b, args.full, args.write) for b in suite]
    if args.write:
        write_summary()
    print(summary(outcomes, args.full, args.write))
    return 0 if outcomes and all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
