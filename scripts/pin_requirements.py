"""Write requirements.txt and requirements/*.txt: exact pins of what the
running interpreter has installed, for every package the matching .in file
needs, directly or not.

    .venv/bin/python scripts/pin_requirements.py

To upgrade a package: `.venv/bin/pip install -U NAME`, run the tests, then
run this again and commit the .in and .txt files together. The top-level
requirements.txt holds what the product needs (from requirements/base.in);
requirements/test.txt starts with `-r ../requirements.txt` and adds only what
the tests need beyond it; requirements/bench.txt the same for benchmarks/.
"""

import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements"
# (layer, what it is built on): each layer pins only what its parent lacks.
LAYERS = [("base", None), ("test", "base"), ("bench", "base")]


def installed() -> dict:
    return {canonicalize_name(d.metadata["Name"]): d for d in metadata.distributions()}


def read_in(name: str) -> list[Requirement]:
    lines = (REQUIREMENTS / f"{name}.in").read_text().splitlines()
    return [Requirement(line.split("#")[0].strip()) for line in lines if line.split("#")[0].strip()
            and not line.startswith("-")]


def closure(roots: list[Requirement], dists: dict) -> dict[str, set[str]]:
    """Every package the roots need in this environment -> the names that need it."""
    needed_by: dict[str, set[str]] = {}
    extras_seen: dict[str, set[str]] = {}
    stack = [(root, f"-r {name}.in") for name, root in roots]
    while stack:
        req, parent = stack.pop()
        name = canonicalize_name(req.name)
        if name not in dists:
            sys.exit(f"{req.name} is required (by {parent}) but not installed: pip install it first.")
        needed_by.setdefault(name, set()).add(parent)
        known = extras_seen.get(name)
        if known is not None and set(req.extras) <= known:
            continue
        extras_seen[name] = (known or set()) | set(req.extras)
        for dep in (Requirement(r) for r in dists[name].requires or []):
            wanted = not dep.marker or any(
                dep.marker.evaluate({**default_environment(), "extra": extra})
                for extra in extras_seen[name] | {""}
            )
            if wanted:
                stack.append((dep, dists[name].metadata["Name"]))
    return needed_by


def main() -> None:
    dists = installed()
    resolved: dict[str, dict[str, set[str]]] = {}
    for layer, parent in LAYERS:
        roots = [(layer, r) for r in read_in(layer)]
        if parent:
            roots += [(parent, r) for r in read_in(parent)]
        needed = closure(roots, dists)
        inherited = resolved.get(parent, {})
        resolved[layer] = needed
        header = [
            "# Exact pins for Python 3.11 on Linux, written by scripts/pin_requirements.py",
            f"# from requirements/{layer}.in and what the project's .venv has installed.",
        ]
        lines = header + (["-r ../requirements.txt"] if parent else [])
        for name in sorted(set(needed) - set(inherited)):
            dist = dists[name]
            lines.append(f"{dist.metadata['Name']}=={dist.version}")
            for via in sorted(needed[name], key=str.lower):
                lines.append(f"    # via {via}")
        target = ROOT / "requirements.txt" if parent is None else REQUIREMENTS / f"{layer}.txt"
        target.write_text("\n".join(lines) + "\n")
        print(f"{target.relative_to(ROOT)}: {len(set(needed) - set(inherited))} pins")


if __name__ == "__main__":
    main()
