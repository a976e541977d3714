"""Another connection holding row locks, for tests of SKIP LOCKED: the rows
stay locked, in a transaction left open, until the block ends."""

from contextlib import contextmanager

import psycopg
from django.db import connection, transaction


@contextmanager
def rows_locked_elsewhere(model, **where):
    """Lock the rows of `model` matching `where` (column = value) from a
    second connection for the length of the block."""
    db = connection.settings_dict
    columns = " AND ".join(f"{column} = %s" for column in where)
    with psycopg.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None,
                         host=db["HOST"] or None, port=db["PORT"] or None) as other:
        other.execute(f"SELECT id FROM {model._meta.db_table} WHERE {columns} FOR UPDATE", list(where.values()))
        try:
            yield
        finally:
            other.rollback()


@contextmanager
def lock_timeout(seconds: float = 1.0):
    """A transaction in which waiting for a row lock fails after `seconds`
    (instead of hanging the test) : what SKIP LOCKED is there to avoid."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{int(seconds * 1000)}ms'")
        yield
