"""Named locks held to the end of the current transaction.

For a rule that counts rows and then writes one ("at most N a day for this
phone", "at most N holds for this holder"), where there is no row to lock yet:
two requests at once would both count N-1 and both write. The lock makes the
second wait until the first has committed, and then count again.
"""

from django.db import connection


def transaction_lock(name: str) -> None:
    """Take the lock `name` until the current transaction ends (call it inside
    `transaction.atomic()`). On PostgreSQL an advisory lock on a 64-bit hash
    of the name (a collision only makes two unrelated requests wait for each
    other); on SQLite every write transaction is already taken one at a time
    (IMMEDIATE), so there is nothing more to do."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
