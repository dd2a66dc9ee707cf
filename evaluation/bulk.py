"""Inserting many rows at once, faster than ``bulk_create``.

``bulk_create`` compiles one parameter at a time through each field (for 10,000 metric values
and their 10,000 history rows that is 270,000 parameters and ~85% of an import). Here every
distinct value of a column is prepared once, by the field's own ``get_db_prep_save``, and the
rows go to the database in one ``COPY`` (PostgreSQL) or one ``executemany`` (SQLite). Database
constraints apply as usual.
"""

from __future__ import annotations

import gc
import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models

# Fields whose preparation gives back a value of this type as it is (text as text, a whole
# number as the same number: the driver writes it the same): such values skip it, which matters
# for columns where every value differs (a ledger's digests, numbers and states).
PLAIN: dict[type[models.Field[Any, Any]], type] = {
    models.CharField: str,
    models.TextField: str,
    models.SmallIntegerField: int,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.AutoField: int,
    models.BigAutoField: int,
}


def left_out_defaults(model: type[models.Model], given: Iterable[str]) -> dict[str, Any]:
    """The default of each column rows giving ``given`` (attnames) leave out, as with save();
    an auto-incremented primary key is left to the database."""
    given = set(given)
    return {
        field.attname: field.get_default()
        for field in model._meta.concrete_fields
        if field.attname not in given and not isinstance(field, models.AutoField)
    }


def insert_rows(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT ``rows`` (dicts of field attname to Python value, all with the same keys); a
    column the rows leave out gets its field's default."""
    if not rows:
        return
    given = list(rows[0])
    columns_by_name = {field.attname: field for field in model._meta.concrete_fields}
    unknown = [name for name in given if name not in columns_by_name]
    if unknown:
        raise ValueError(f"{model.__name__} has no column {', '.join(unknown)}")
    defaults = left_out_defaults(model, given)
    names = given + list(defaults)
    fields = [columns_by_name[name] for name in names]
    # The connection itself, not ``django.db.connection``, which looks it up again (a
    # context-local read) on every use: once per distinct value of every column below.
    connection = connections[DEFAULT_DB_ALIAS]
    # Column by column: each distinct value prepared once; a column the rows leave out is one
    # value for all of them. (A JSON column's lists and dicts cannot key a cache: prepared
    # one by one.)
    columns: list[Iterable[Any]] = []
    for name, field in zip(names, fields, strict=True):
        prepare = field.get_db_prep_save
        if name in defaults:
            columns.append(itertools.repeat(prepare(defaults[name], connection), len(rows)))
            continue
        given_values = [row[name] for row in rows]
        if isinstance(field, models.JSONField):
            # One by one (a list or a dict cannot key a cache), except an empty list or
            # object, by far the most common value (an indicator result with no spot check):
            # prepared once, and for COPY (text) given as the text it always is.
            empty: dict[type, Any] = {}
            json_column = []
            for value in given_values:
                if type(value) in (list, dict) and not value and type(field) is models.JSONField:
                    if type(value) not in empty:
                        empty[type(value)] = (
                            json.dumps(value, cls=field.encoder)
                            if connection.vendor == "postgresql"
                            else prepare(value, connection)
                        )
                    json_column.append(empty[type(value)])
                else:
                    json_column.append(prepare(value, connection))
            columns.append(json_column)
            continue
        plain = PLAIN.get(type(field))
        decimals = isinstance(field, models.DecimalField)
        cache: dict[Any, Any] = {}
        column = []
        for value in given_values:
            if type(value) is plain:
                column.append(value)
                continue
            if decimals and type(value) is Decimal:
                # A finite Decimal is what a decimal column's preparation gives back for it;
                # the field itself refuses the others (NaN, infinities).
                column.append(value if value.is_finite() else prepare(value, connection))
                continue
            try:
                column.append(cache[value])
            except KeyError:
                column.append(cache.setdefault(value, prepare(value, connection)))
        columns.append(column)
    prepared = zip(*columns, strict=True)

    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names_sql = ", ".join(quote(field.column) for field in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names_sql}) FROM STDIN") as copy:
                for values in prepared:
                    copy.write_row(values)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({names_sql}) VALUES ({placeholders})", list(prepared)
            )


def insert_rows_returning_ids(
    model: type[models.Model], rows: Sequence[dict[str, Any]]
) -> list[int]:
    """:func:`insert_rows`, giving back each row's new primary key, in the rows' order.

    On PostgreSQL the keys are taken from the table's own sequence first (one query) and
    written with the rows: nothing is read back. Elsewhere (SQLite) the rows are made model
    objects and inserted as ``bulk_create`` does, returning their keys, but as they are
    (``raw``): a field that sets itself (``auto_now_add``) keeps the value the row gives, the
    one its history row and ledger entry hold."""
    if not rows:
        return []
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        objects = [model(**row) for row in rows]
        fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
        size = max(1, connection.ops.bulk_batch_size(fields, objects))
        keys: list[int] = []
        for start in range(0, len(objects), size):
            returned = model._base_manager._insert(  # type: ignore[attr-defined]
                objects[start : start + size],
                fields=fields,
                returning_fields=[model._meta.pk],
                raw=True,
                using=DEFAULT_DB_ALIAS,
            )
            keys += [int(key) for (key,) in returned]
        return keys
    pk = model._meta.pk
    assert pk is not None and isinstance(pk, models.AutoField), model
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(model._meta.db_table), pk.column, len(rows)],
        )
        ids = [key for (key,) in cursor.fetchall()]
    insert_rows(model, [{**row, pk.attname: key} for row, key in zip(rows, ids, strict=True)])
    return ids


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a large file is read, checked and written, or a
    run's chunk is scored and stored.

    Reading 144,000 rows makes about a million small objects that live until the end; the
    collector, started by their number alone, walks all of them again and again and found
    nothing to free: a quarter of a re-import's time (and a seventh of a 300-city run's).
    Reference counting still frees what the rows leave behind; anything in a cycle is
    collected once the collector runs again. (The collector is one for the process, so other
    threads of a server go without it for the load's seconds too; the first block to pause it
    starts it again, so a nested or concurrent block never leaves it off.)"""
    paused_here = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused_here:
            gc.enable()
