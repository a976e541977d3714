"""Putting a benchmark's report in docs/benchmarks.md."""

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def write_section(text: str, start: str, end: str) -> None:
    """Replace the part of docs/benchmarks.md between the `start` and `end`
    markers with `text` (which carries the markers), or add it at the end."""
    DOCS.parent.mkdir(exist_ok=True)
    current = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n\nFigures and the commands that reproduce them.\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.S)
    section = text.strip("\n") + "\n"
    if pattern.search(current):
        updated = pattern.sub(lambda _: section, current, count=1)
    else:
        updated = current.rstrip("\n") + "\n\n" + section
    DOCS.write_text(updated)
