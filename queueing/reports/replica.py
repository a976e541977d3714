"""Where the reports read: the streaming replica when one is configured
(DATABASE_REPLICA_URL) and fresh enough, else the primary.

The choice is made here and nowhere else, and handed down to the reports'
selectors as a database alias (`using=`): a database router would choose by
model, and the reports read the same models as the live floor, which must
see its own writes at once. Only reads go to the replica; the rollups are
written (and read before writing) on the primary by the workers.

A replica that cannot be reached, or is more than
REPORTS_REPLICA_MAX_LAG_SECONDS behind, is passed over for the primary with
a warning in the log: a manager gets the report from the primary, never an
error because the replica is away.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

from config.cache import process_memo

log = logging.getLogger(__name__)

REPLICA = "replica"
# The replica's lag is measured at most this often per process (a report
# shows it as "about N seconds").
CHECK_SECONDS = 5
# A replica found away is tried again after this long, not at every report:
# each try may wait for its connection timeout.
AWAY_SECONDS = 30
_CHECKED = "reports-replica:checked"
_AWAY = "reports-replica:away"

# Seconds the replica is behind: how long ago the last transaction it
# replayed committed on the primary; 0 on a server that is not a standby,
# and when it has replayed nothing yet (NULL).
LAG_SQL = (
    "SELECT CASE WHEN pg_is_in_recovery() "
    "THEN COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) ELSE 0 END"
)

T = TypeVar("T")


@dataclass(frozen=True)
class ReportsDb:
    """The database the reports read now, and how far behind it is."""

    alias: str
    lag_seconds: int | None = None  # None: the primary, whose figures are current

    @property
    def on_replica(self) -> bool:
        return self.lag_seconds is not None


PRIMARY = ReportsDb(DEFAULT_DB_ALIAS)


def replica_lag_seconds(alias: str = REPLICA) -> float:
    """How many seconds the database `alias` is behind its primary (a query
    on it; raises the database's error when it cannot be reached)."""
    with connections[alias].cursor() as cursor:
        if connections[alias].vendor != "postgresql":
            cursor.execute("SELECT 1")  # reached; only PostgreSQL replays a primary
            return 0.0
        cursor.execute(LAG_SQL)
        (lag,) = cursor.fetchone()
    return max(0.0, float(lag or 0))


def reports_db() -> ReportsDb:
    """The replica with its lag when it is configured, reachable and no more
    than REPORTS_REPLICA_MAX_LAG_SECONDS behind; else the primary. Checked
    at most every CHECK_SECONDS (AWAY_SECONDS after a failed try)."""
    if not settings.REPORTS_FROM_REPLICA:
        return PRIMARY
    # A peek: process_memo keeps no None, so this is True only while a
    # failure is remembered.
    if process_memo(_AWAY, lambda: None, AWAY_SECONDS):
        return PRIMARY
    return process_memo(_CHECKED, _check, CHECK_SECONDS)


def _check() -> ReportsDb:
    try:
        lag = replica_lag_seconds(REPLICA)
    except (OperationalError, InterfaceError) as exc:
        replica_away(exc)
        return PRIMARY
    limit = settings.REPORTS_REPLICA_MAX_LAG_SECONDS
    if lag > limit:
        log.warning("Reports read the primary: the replica is %.0f s behind (more than %d s).", lag, limit)
        return PRIMARY
    return ReportsDb(REPLICA, round(lag))


def replica_away(exc: Exception) -> None:
    """Remember for AWAY_SECONDS that the replica failed, and give its connection back."""
    log.warning("Reports read the primary: the replica cannot be reached (%s: %s).",
                type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc).strip() else "")
    process_memo(_AWAY, lambda: True, AWAY_SECONDS)
    try:
        connections[REPLICA].close()
    except Exception:  # noqa: BLE001 - a connection already gone
        pass


def reports_read(read: Callable[[str], T]) -> tuple[T, ReportsDb]:
    """`read(alias)` on the database reports_db() chooses, and that choice.
    A replica that fails during the read (a restart, a query cancelled by
    replay) is remembered as away and the read is done again on the primary."""
    db = reports_db()
    if not db.on_replica:
        return read(db.alias), db
    try:
        return read(db.alias), db
    except (OperationalError, InterfaceError) as exc:
        replica_away(exc)
        return read(PRIMARY.alias), PRIMARY


def lag_header(response, db: ReportsDb):
    """`X-Replica-Lag: <seconds>` on a report read from the replica."""
    if db.on_replica:
        response["X-Replica-Lag"] = str(db.lag_seconds)
    return response
