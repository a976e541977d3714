"""Inserting many rows at once, for generated history and forecasts.

On PostgreSQL one COPY per table and call, elsewhere bulk_create in batches
of BATCH_SIZE: the same rows either way (tests check it), COPY about ten
times faster, which is what lets a benchmark fill a city with history and
the nightly forecast write the city's slots in seconds. The caller holds
the transaction.
"""

import json

from django.db import connection

BATCH_SIZE = 2000


def rows_insert(model, rows: list[dict], *, copy: bool | None = None, ids: bool = False) -> list[int]:
    """Insert `rows` (field name -> value, every row the same fields) into
    `model`'s table; with `ids`, return the new rows' ids in order. `copy`:
    COPY (the default on PostgreSQL) or bulk_create."""
    if not rows:
        return []
    copy = connection.vendor == "postgresql" if copy is None else copy
    if not copy:
        objs = model.objects.bulk_create([model(**row) for row in rows], batch_size=BATCH_SIZE)
        return [obj.pk for obj in objs] if ids else []
    meta = model._meta
    names = list(rows[0])
    # Fields the rows leave out take their model default, as bulk_create
    # would give them (COPY would leave them to the table, which has none).
    defaults = {f.name: f.get_default() for f in meta.concrete_fields
                if f.name not in names and not f.primary_key and f.has_default()}
    if defaults:
        rows = [{**row, **defaults} for row in rows]
        names += list(defaults)
    new_ids = []
    with connection.cursor() as cursor:
        if ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            new_ids = [row[0] for row in cursor.fetchall()]
        columns = ([meta.pk.column] if ids else []) + [meta.get_field(name).column for name in names]
        json_fields = {name for name in names if meta.get_field(name).get_internal_type() == "JSONField"}
        statement = f"COPY {connection.ops.quote_name(meta.db_table)} ({', '.join(columns)}) FROM STDIN"
        dumped: dict[tuple, str] = {}  # the few distinct event details, each dumped once

        def value(row, name):
            if name not in json_fields:
                return row[name]
            key = tuple(row[name].items())
            if key not in dumped:
                dumped[key] = json.dumps(row[name], ensure_ascii=False)
            return dumped[key]

        with cursor.cursor.copy(statement) as out:
            for i, row in enumerate(rows):
                out.write_row(([new_ids[i]] if ids else []) + [value(row, name) for name in names])
    return new_ids
