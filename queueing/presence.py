"""Who among the waiting can be called now: the holder is here.

A waiting ticket keeps its place in its line (`queued_at`) whatever its
holder does; it is *callable now* unless
- it was taken by phone at a hall with remote check-in and its holder has not
  checked in yet (`awaiting_arrival`), or
- its holder has stepped away (暂离) until a time still to come (`away_until`).

Call-next passes over a ticket that is not callable; places in line and wait
estimates do not count it ahead of anyone (its own place is the one it would
have if it were callable). The waiting counts on the displays still count it:
it is in the line. This module holds the rule in its three forms (a Q object
for the ORM, an SQL condition, a Python test) so that every reader agrees.
"""

from datetime import datetime

from django.db.models import Q

from .models import Ticket


def callable_now(now: datetime) -> Q:
    """The waiting tickets a counter may call at `now` (add it to the filter of
    the waiting line; the line's index still orders the scan)."""
    return Q(awaiting_arrival=False) & (Q(away_until__isnull=True) | Q(away_until__lte=now))


def absent_now(now: datetime) -> Q:
    """The waiting tickets passed over at `now`: the complement of callable_now.
    The partial index ticket_waiting_absent holds every such ticket."""
    return Q(awaiting_arrival=True) | Q(away_until__gt=now)


# The same in SQL, for the hand-written counts (ticket_position); one parameter: now.
ABSENT_SQL = "(awaiting_arrival OR away_until > %s)"
# What narrows a scan to the partial index ticket_waiting_absent (its condition).
ABSENT_INDEX_SQL = "(awaiting_arrival OR away_until IS NOT NULL)"


def is_callable(awaiting_arrival: bool, away_until: datetime | None, now: datetime) -> bool:
    return not awaiting_arrival and (away_until is None or away_until <= now)


def ticket_is_callable(ticket: Ticket, now: datetime) -> bool:
    return is_callable(ticket.awaiting_arrival, ticket.away_until, now)


def away_now(ticket: Ticket, now: datetime) -> datetime | None:
    """Until when the holder is away, or None when they are not away now."""
    return ticket.away_until if ticket.away_until is not None and ticket.away_until > now else None
