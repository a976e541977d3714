"""The reports' figures, computed from a hall-day's tickets and events:
pure functions, shared by the rollups (services/rollups.py) and by the tests
that check them against a direct computation.

Definitions (CONTRACT.md): tickets count on the business day they were
taken; `served` is `done`; a wait runs from issue to first call; the service
level is the tickets called within their service's target wait / (tickets
called + tickets cancelled or closed unserved after waiting longer than the
target). p90 is the nearest-rank 90th percentile of the called tickets'
waits, given to WAIT_BUCKET_SECONDS (the upper edge of its bucket).
"""

import math
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .models import WAIT_BUCKET_SECONDS, WAIT_BUCKETS


def wait_bucket(seconds: float) -> int:
    """The histogram bucket of a wait: 0 for 0 s, k for (10(k-1), 10k] seconds."""
    if seconds <= 0:
        return 0
    return min(WAIT_BUCKETS - 1, math.ceil(seconds / WAIT_BUCKET_SECONDS))


def histogram_add(histogram: list[int], other: Sequence[int]) -> list[int]:
    """`histogram` + `other`, bucket by bucket (either may be shorter)."""
    n = len(other)
    if n > len(histogram):
        histogram.extend([0] * (n - len(histogram)))
    histogram[:n] = map(operator.add, histogram[:n], other)
    return histogram


def histogram_of(waits: Iterable[float]) -> list[int]:
    out: list[int] = []
    for w in waits:
        k = wait_bucket(w)
        if k >= len(out):
            out.extend([0] * (k + 1 - len(out)))
        out[k] += 1
    return out


def histogram_percentile(histogram: Sequence[int], q: float) -> int | None:
    """The nearest-rank q-th percentile (0 < q <= 100) of the waits in
    `histogram`, as its bucket's upper edge in seconds; None when empty."""
    total = sum(histogram)
    if not total:
        return None
    rank = max(1, math.ceil(q / 100 * total))
    seen = 0
    for k, n in enumerate(histogram):
        seen += n
        if seen >= rank:
            return k * WAIT_BUCKET_SECONDS
    return (len(histogram) - 1) * WAIT_BUCKET_SECONDS


def percentile_of_waits(waits: Sequence[float], q: float = 90) -> int | None:
    """The same figure computed from the waits themselves (the tests' direct computation)."""
    if not waits:
        return None
    ordered = sorted(waits)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return wait_bucket(ordered[rank - 1]) * WAIT_BUCKET_SECONDS


@dataclass
class Tally:
    """The figures of a set of tickets (a rollup row, or any sum of them)."""

    issued: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0
    cancelled_by_staff: int = 0
    closed_unserved: int = 0
    transferred: int = 0
    called: int = 0
    called_in_time: int = 0
    left_after_target: int = 0
    wait_seconds: float = 0.0
    waits: list[int] = field(default_factory=list)
    handled: int = 0
    handle_seconds: float = 0.0
    ratings: int = 0
    rating_sum: int = 0
    rating_counts: list[int] = field(default_factory=lambda: [0, 0, 0, 0, 0])

    COUNTS = ("issued", "served", "no_show", "cancelled", "cancelled_by_staff", "closed_unserved", "transferred",
              "called", "called_in_time", "left_after_target", "handled", "ratings", "rating_sum")
    SUMS = ("wait_seconds", "handle_seconds")

    def add(self, other) -> "Tally":
        """Add another tally or a rollup row (anything with the same fields)."""
        for name in self.COUNTS + self.SUMS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        histogram_add(self.waits, other.waits)
        for i, n in enumerate(other.rating_counts or ()):
            self.rating_counts[i] += n
        return self

    # --- What the reports show ----------------------------------------------------

    @property
    def avg_wait_seconds(self) -> float | None:
        return self.wait_seconds / self.called if self.called else None

    @property
    def p90_wait_seconds(self) -> int | None:
        return histogram_percentile(self.waits, 90)

    @property
    def avg_handle_seconds(self) -> float | None:
        return self.handle_seconds / self.handled if self.handled else None

    @property
    def service_level(self) -> float | None:
        counted = self.called + self.left_after_target
        return self.called_in_time / counted if counted else None

    @property
    def avg_rating(self) -> float | None:
        return self.rating_sum / self.ratings if self.ratings else None

    @property
    def no_show_rate(self) -> float | None:
        return self.no_show / self.called if self.called else None

    def as_fields(self) -> dict:
        """The rollup row's fields."""
        return {**{name: getattr(self, name) for name in self.COUNTS + self.SUMS},
                "waits": list(self.waits), "rating_counts": list(self.rating_counts)}


@dataclass(frozen=True)
class TicketFacts:
    """One ticket as the rollups need it."""

    service_id: int  # its service now (after any transfer)
    issued_service_id: int  # the service it was taken for
    hour: int  # local hour it was taken
    status: str
    cancel_reason: str | None
    wait: float | None  # issue to first call, None when never called
    waited_unserved: float | None  # issue to the end, for a ticket cancelled or closed without a call
    handle: float | None  # start to finish of a served ticket
    transfers: int
    rating: int | None


def tally_ticket(t: Tally, ticket: TicketFacts, target: float, *, issued_here: bool, ended_here: bool) -> None:
    """Count one ticket into `t`: `issued_here` for the rollup of the service
    it was taken for, `ended_here` for the rollup of its service now."""
    if issued_here:
        t.issued += 1
    if not ended_here:
        return
    t.transferred += ticket.transfers
    if ticket.status == "done":
        t.served += 1
    elif ticket.status == "no_show":
        t.no_show += 1
    elif ticket.status == "cancelled":
        if ticket.cancel_reason == "customer":
            t.cancelled += 1
        elif ticket.cancel_reason == "staff":
            t.cancelled_by_staff += 1
        else:
            t.closed_unserved += 1
    if ticket.wait is not None:
        t.called += 1
        t.called_in_time += ticket.wait <= target
        t.wait_seconds += ticket.wait
        k = wait_bucket(ticket.wait)
        if k >= len(t.waits):
            t.waits.extend([0] * (k + 1 - len(t.waits)))
        t.waits[k] += 1
    elif ticket.waited_unserved is not None and ticket.waited_unserved > target:
        t.left_after_target += 1
    if ticket.handle is not None:
        t.handled += 1
        t.handle_seconds += ticket.handle
    if ticket.rating is not None:
        t.ratings += 1
        t.rating_sum += ticket.rating
        t.rating_counts[ticket.rating - 1] += 1
