"""Number patterns (号型) and the price tiers of special numbers (靓号).

A number's patterns are read from its digits once, when it is stocked, and
stored with it; a search then asks for a tag. The tier, and with it the
deposit and the minimum monthly spend, follows from the patterns.
"""

from dataclasses import dataclass

# Named patterns a customer can browse by, with their Chinese names.
PATTERNS = {
    "aabb": "AABB",
    "abab": "ABAB",
    "abcd": "ABCD 顺子",
    "tail3": "尾号三连 (如888)",
    "tail4": "尾号四连 (如8888)",
    "no4": "不含4",
}


@dataclass(frozen=True)
class TierPrice:
    deposit_fen: int
    min_monthly_fen: int


# Deposit (预存话费, credited to the new line) and the minimum monthly spend it commits to.
TIER_PRICES = {
    "normal": TierPrice(deposit_fen=0, min_monthly_fen=0),
    "silver": TierPrice(deposit_fen=10_000, min_monthly_fen=5_800),
    "gold": TierPrice(deposit_fen=50_000, min_monthly_fen=12_800),
    "diamond": TierPrice(deposit_fen=200_000, min_monthly_fen=28_800),
}


def _same_tail(digits: str) -> int:
    """How many digits at the end are the same as the last one."""
    run = 1
    while run < len(digits) and digits[-run - 1] == digits[-1]:
        run += 1
    return run


def number_patterns(msisdn: str) -> set[str]:
    """The named patterns of an 11-digit number, read from its last four digits
    (and, for no4, from all of them)."""
    a, b, c, d = msisdn[-4:]
    found = set()
    if a == b and c == d and b != c:
        found.add("aabb")
    if a == c and b == d and a != b:
        found.add("abab")
    if all(int(y) - int(x) == 1 for x, y in zip(msisdn[-4:], msisdn[-3:], strict=False)):
        found.add("abcd")
    tail = _same_tail(msisdn)
    if tail >= 3:
        found.add("tail3")
    if tail >= 4:
        found.add("tail4")
    if "4" not in msisdn:
        found.add("no4")
    return found


def number_tier(msisdn: str) -> str:
    """normal, silver (AAA tails, AABB, ABAB, ABCD), gold (AAAA tails), diamond (five alike or more)."""
    tail = _same_tail(msisdn)
    if tail >= 5:
        return "diamond"
    if tail == 4:
        return "gold"
    if number_patterns(msisdn) & {"tail3", "aabb", "abab", "abcd"}:
        return "silver"
    return "normal"


def patterns_field(msisdn: str) -> str:
    """The stored form: tags between commas, so `contains=",aabb,"` matches a whole tag."""
    return "," + "".join(f"{tag}," for tag in sorted(number_patterns(msisdn)))
