"""benchmarks/run_all.py: one command for every benchmark behind docs/benchmarks.md."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import run_all  # noqa: E402


def test_the_suite_runs_every_benchmark_script_and_every_section_of_the_page():
    scripts = {p.stem for p in (ROOT / "benchmarks").glob("*.py")} - {"harness", "run_all"}
    sections = set(re.findall(r"^<!-- benchmark:(\w+) -->", (ROOT / "docs" / "benchmarks.md").read_text(), re.M))

    assert {b.name for b in run_all.SUITE} == scripts == sections - {run_all.SUMMARY}


def test_the_summary_gives_each_benchmarks_figures_command_machine_and_date():
    page = "\n".join([
        "<!-- benchmark:forecast -->",
        "Command: `.venv/bin/python benchmarks/forecast.py --write`",
        "Machine: 2 cores (AMD EPYC), 24 GiB RAM, PostgreSQL 15.20 (Debian), Python 3.11.7. Run 2026-12-05 00:16 UTC.",
        "| figure | result | target | met |",
        "| --- | --- | --- | --- |",
        "| the city's nightly forecast | **39.5 s** | a few minutes | yes |",
        "| accuracy | **15 %** | 10 % | **no** |",
        "<!-- /benchmark:forecast -->",
    ])

    [row] = [line for line in run_all.page_summary(page).splitlines() if line.startswith("| forecast |")]

    assert "the city's nightly forecast: 39.5 s" in row and "**missed:** accuracy (target 10 %)" in row
    assert "2026-12-05 00:16 UTC" in row and "2 cores (AMD EPYC), 24 GiB RAM, PostgreSQL 15.20" in row
    assert "`.venv/bin/python benchmarks/forecast.py --write`" in row
