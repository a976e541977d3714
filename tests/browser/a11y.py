"""Accessibility checks for the browser tests: axe-core (the engine behind the
browsers' own audits) run on the page as it stands, and a page's layout
checked for the kiosk's large-text mode.

axe-core is vendored under tests/browser/vendor/axe-core/ for the tests only:
it is injected into the page under test, never served to users."""

from pathlib import Path

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")

_RUN = """async () => {
    const results = await axe.run(document, {resultTypes: ["violations"]});
    return results.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary || ""})),
    }));
}"""


def axe_violations(page) -> list[dict]:
    """Every axe-core violation on the page now (all impacts)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(_RUN)


def assert_accessible(page, name: str) -> None:
    """Fail listing each serious or critical axe-core violation on `page`
    (`name` says which page and state, for the message)."""
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    if not blocking:
        return
    lines = [f"{name}: {len(blocking)} serious or critical accessibility violation(s)"]
    for violation in blocking:
        for node in violation["nodes"][:5]:
            summary = " ".join(node["summary"].split())[:300]
            lines.append(f"  {violation['id']} ({violation['impact']}) at {node['target']}: {violation['help']}"
                         f" -- {summary}")
        if len(violation["nodes"]) > 5:
            lines.append(f"  {violation['id']}: and {len(violation['nodes']) - 5} more")
    raise AssertionError("\n".join(lines))


_OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const out = [];
    if (document.documentElement.scrollWidth > width + 1) {
        out.push(`the page scrolls sideways (${document.documentElement.scrollWidth} > ${width})`);
    }
    for (const el of document.body.querySelectorAll("*")) {
        const style = getComputedStyle(el);
        if (style.display === "none" || style.visibility === "hidden") continue;
        const box = el.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) continue;
        if (box.right > width + 1 || box.left < -1) {
            // Something clipped by a scrolling or hidden-overflow ancestor inside the viewport is no overflow.
            let clipped = false;
            for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
                const s = getComputedStyle(up);
                if (s.overflowX !== "visible") {
                    const b = up.getBoundingClientRect();
                    if (b.right <= width + 1 && b.left >= -1) { clipped = true; break; }
                }
            }
            if (!clipped) {
                const id = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
                    + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "");
                out.push(`${id} spans ${Math.round(box.left)}..${Math.round(box.right)} of ${width}`);
            }
        }
    }
    return out;
}"""

_COVERED = """(selector) => {
    const out = [];
    const buttons = [...document.querySelectorAll(selector)].filter(b => {
        const s = getComputedStyle(b);
        return b.getClientRects().length && s.visibility !== "hidden";
    });
    for (const b of buttons) {
        b.scrollIntoView({block: "center", inline: "center"});
        const r = b.getBoundingClientRect();
        const name = (b.innerText || b.getAttribute("aria-label") || b.outerHTML).trim().split("\\n")[0].slice(0, 60);
        if (r.left < 0 || r.right > document.documentElement.clientWidth) {
            out.push(`"${name}" is cut off at the side (${Math.round(r.left)}..${Math.round(r.right)})`);
            continue;
        }
        if (b.scrollWidth > b.clientWidth + 1 || b.scrollHeight > b.clientHeight + 1) {
            const s = getComputedStyle(b);
            if (s.overflowX !== "visible" || s.overflowY !== "visible") {
                out.push(`"${name}" cuts its own text off (${b.scrollWidth}x${b.scrollHeight} in ${b.clientWidth}x${b.clientHeight})`);
            }
        }
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        if (!hit || !(hit === b || b.contains(hit))) {
            const what = hit ? hit.tagName.toLowerCase() + (hit.className ? "." + String(hit.className).trim().split(/\\s+/).join(".") : "") : "nothing";
            out.push(`"${name}" is covered by ${what}`);
        }
    }
    return {count: buttons.length, problems: out};
}"""


def assert_fits(page, name: str, buttons: str = "button, a[href], [role=button]") -> None:
    """Nothing on `page` overflows the viewport sideways, and every visible
    button matching `buttons` can be reached: scrolled to, its centre is the
    button itself (or inside it), not something lying over it, and a button
    that hides its overflow shows all of its text."""
    overflow = page.evaluate(_OVERFLOW)
    covered = page.evaluate(_COVERED, buttons)
    page.evaluate("window.scrollTo(0, 0)")
    problems = overflow[:10] + covered["problems"]
    assert covered["count"] > 0, f"{name}: no visible button matches {buttons!r}"
    assert not problems, f"{name}: the layout does not fit:\n  " + "\n  ".join(problems)
