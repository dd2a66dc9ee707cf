"""Inserting many rows at once, faster than ``bulk_create``.

``bulk_create`` compiles one parameter at a time through each field (for 10,000 metric values
and their 10,000 history rows that is 270,000 parameters and ~85% of an import). Here every
distinct value of a column is prepared once, by the field's own ``get_db_prep_save``, and the
rows go to the database in one ``COPY`` (PostgreSQL) or one ``executemany`` (SQLite); or, for
a connection in pipeline mode that must not wait, one ``INSERT … SELECT FROM unnest(…)`` of an
array per column (``insert_rows_sent``). Database constraints apply as usual.
"""

from __future__ import annotations

import gc
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import psycopg
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
    connection = connections[DEFAULT_DB_ALIAS]
    fields, prepared = _prepared(model, rows, connection)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names_sql = ", ".join(quote(field.column) for field in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The driver's own COPY: a refusal raised as Django's error, as the ORM's are.
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({names_sql}) FROM STDIN") as copy,
            ):
                for values in prepared:
                    copy.write_row(values)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({names_sql}) VALUES ({placeholders})", list(prepared)
            )


def insert_rows_sent(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """:func:`insert_rows` as one statement that, on a PostgreSQL connection in pipeline mode,
    is sent and not waited for: the database inserts the rows (and checks their keys, when
    its constraints are immediate) while the caller goes on; an error comes back with the
    next answer the caller waits for. One ``INSERT … SELECT FROM unnest(…)`` of a typed array
    per column (``COPY``, which the pipeline refuses, is not used), its values bound by the
    server as ``insert_rows`` prepares them. Elsewhere, :func:`insert_rows`."""
    if not rows:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        insert_rows(model, rows)
        return
    fields, prepared = _prepared(model, rows, connection)
    columns = [list(column) for column in zip(*prepared, strict=True)]
    # Each column one array parameter: its text form when it has one, else the list itself.
    texts = [_array_text(column) for column in columns]
    arrays = ", ".join(
        f"%s::text::{_base_type(field, connection)}[]"
        if text is not None
        else f"%b::{_base_type(field, connection)}[]"
        for field, text in zip(fields, texts, strict=True)
    )
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(field.column) for field in fields)}) SELECT * FROM unnest({arrays})"
    )
    connection.ensure_connection()
    # The driver's own cursor, the values bound by the server; an error raised here (not in
    # pipeline mode) is Django's, as the ORM's are.
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            sql,
            [
                text if text is not None else column
                for text, column in zip(texts, columns, strict=True)
            ],
            prepare=False,  # never prepared, as Django's own statements are not
        )


def _array_text(values: Sequence[Any]) -> str | None:
    """PostgreSQL's text form of an array of one column's prepared ``values``
    (``{1.5,NULL}``, ``{"say \\"yes\\"",NULL}``), which the server reads far faster than the
    driver writes a list, element by element in Python; None for values of another kind (the
    driver's own form is used then). Every text is quoted, so none is read as NULL, trimmed,
    or split at a comma or a brace."""
    if not values:
        return "{}"
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if kinds <= {int, Decimal}:  # exactly these types: a bool is not written as a number
        # No number's text holds "None".
        return "{" + ",".join(map(str, values)).replace("None", "NULL") + "}"
    if kinds and all(issubclass(kind, str) for kind in kinds) and None not in values:
        if '"' not in (joined := "".join(values)) and "\\" not in joined:
            return '{"' + '","'.join(values) + '"}'  # nothing to escape
        return "{" + ",".join(map(_quoted, values)) + "}"
    element: Callable[[Any], str]
    if kinds <= {bool}:
        element = _boolean_text
    elif all(issubclass(kind, str) for kind in kinds):
        element = _quoted
    else:
        return None
    return "{" + ",".join("NULL" if value is None else element(value) for value in values) + "}"


def _boolean_text(value: bool) -> str:
    return "t" if value else "f"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _base_type(field: models.Field[Any, Any], connection: Any) -> str:
    """The column's type without its modifiers (``varchar``, ``numeric``): a value too long or
    too precise is then refused or rounded by the column as ``COPY`` would, not cut by a cast."""
    db_type = field.db_type(connection)
    assert db_type is not None, field
    return " ".join(re.sub(r"\([^)]*\)", " ", db_type).split())


def _prepared(
    model: type[models.Model], rows: Sequence[dict[str, Any]], connection: Any
) -> tuple[list[models.Field[Any, Any]], Iterator[tuple[Any, ...]]]:
    """The columns ``rows`` fill (those they give, then those they leave out) and the rows'
    values prepared for the database, each distinct value of a column once."""
    given = list(rows[0])
    columns_by_name = {field.attname: field for field in model._meta.concrete_fields}
    unknown = [name for name in given if name not in columns_by_name]
    if unknown:
        raise ValueError(f"{model.__name__} has no column {', '.join(unknown)}")
    defaults = left_out_defaults(model, given)
    names = given + list(defaults)
    fields = [columns_by_name[name] for name in names]
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
            columns.append(_json_column(field, given_values, connection))
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
    return fields, zip(*columns, strict=True)


def _json_column(field: models.JSONField[Any], values: list[Any], connection: Any) -> list[Any]:
    """A JSON column's values, one by one (a list or a dict cannot key a cache). On
    PostgreSQL each is the text its field's encoder writes (what the field's own preparation
    hands the driver; ``COPY`` and a text array both take it), an empty list or object, by
    far the most common value (an indicator result with no spot check), written once; a
    missing value (None) stays SQL NULL, as the field's preparation leaves it."""
    prepare = field.get_db_prep_save
    if connection.vendor != "postgresql" or type(field) is not models.JSONField:
        return [prepare(value, connection) for value in values]
    empty: dict[type, str] = {}
    column: list[Any] = []
    for value in values:
        if value is None:
            column.append(None)
        elif type(value) in (list, dict) and not value:
            column.append(empty.setdefault(type(value), json.dumps(value, cls=field.encoder)))
        else:
            column.append(json.dumps(value, cls=field.encoder))
    return column


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
    assert pk is not None
    ids = sequence_values(model, len(rows))
    insert_rows(model, [{**row, pk.attname: key} for row, key in zip(rows, ids, strict=True)])
    return ids


def sequence_values(model: type[models.Model], count: int) -> list[int]:
    """``count`` new primary keys of ``model``'s table, from its own sequence (PostgreSQL), in
    the order the sequence gives them: one query."""
    connection = connections[DEFAULT_DB_ALIAS]
    assert connection.vendor == "postgresql"
    pk = model._meta.pk
    assert pk is not None and isinstance(pk, models.AutoField), model
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(model._meta.db_table), pk.column, count],
        )
        return [key for (key,) in cursor.fetchall()]


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
