"""Check the ledger's chain from a copy of the database, without this project.

For an outside auditor: needs only Python 3 (and psycopg for PostgreSQL). Reads the table
``evaluation_ledgerentry`` in order, recomputes every entry's digest from what it records and
the digest before it, and names the first entry altered, removed or inserted; then prints the
head (the last entry's number and digest) to keep, and, given a head kept earlier, checks that
it is still there::

    python3 tools/verify_ledger.py postgresql://auditor@localhost/ipcities_copy
    python3 tools/verify_ledger.py db.sqlite3 --head 3095:9f53…

Exit status 0 when the chain holds, 1 when it does not. Whether every report, value, run,
decision and ruleset still agrees with its last entry is the project's own check
(``manage.py verify_run --ledger``), which knows what each entry's state means.

The digest of an entry is the SHA-256 of the UTF-8 JSON array (no spaces, non-ASCII as it is)
``[seq, previous, at, subject, object_id, action, actor, actor_name, state]``, ``at`` in UTC
as ISO 8601 with microseconds, ``previous`` the digest of entry ``seq - 1`` (64 zeros for the
first).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sqlite3
import sys
from collections.abc import Iterator
from typing import Any

GENESIS = "0" * 64
COLUMNS = "seq, previous, at, subject, object_id, action, actor, actor_name, state, digest"


def _rows(database: str) -> Iterator[tuple[Any, ...]]:
    query = f"SELECT {COLUMNS} FROM evaluation_ledgerentry ORDER BY seq"
    if database.startswith(("postgres://", "postgresql://")):
        import psycopg

        with psycopg.connect(database) as connection, connection.cursor() as cursor:
            cursor.execute(query)
            yield from cursor
        return
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        yield from connection.execute(query)
    finally:
        connection.close()


def _moment(value: Any) -> dt.datetime:
    """A timestamp as either database gives it (SQLite: text in UTC without a zone)."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def digest(row: tuple[Any, ...]) -> str:
    seq, previous, at, subject, object_id, action, actor, actor_name, state, _stored = row
    payload = json.dumps(
        [
            int(seq),
            previous,
            _moment(at).astimezone(dt.UTC).isoformat(timespec="microseconds"),
            subject,
            int(object_id),
            action,
            None if actor is None else int(actor),
            actor_name,
            state,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def check(database: str, head: tuple[int, str] | None) -> tuple[int, int, str, list[str]]:
    """The number of entries, the head, and what breaks the chain (the first break)."""
    problems: list[str] = []
    seq, previous, count = 0, GENESIS, 0
    kept: dict[int, str] = {}
    for row in _rows(database):
        number, claimed_previous, stored = int(row[0]), row[1], row[-1]
        if not problems:
            if number > seq + 1:
                problems.append(f"entries #{seq + 1} to #{number - 1} have been removed")
            elif claimed_previous != previous:
                problems.append(f"entry #{number} does not follow the entry before it")
            elif digest(row) != stored:
                problems.append(f"entry #{number} has been altered, or inserted")
        if head is not None and number == head[0]:
            kept[number] = stored
        seq, previous, count = number, stored, count + 1
    if head is not None and kept.get(head[0]) != head[1]:
        problems.insert(0, f"entry #{head[0]} is not the one kept: rewritten from there on")
    return count, seq, previous, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", help="a PostgreSQL URL, or the path of a SQLite file")
    parser.add_argument("--head", help="SEQ:DIGEST of an entry kept earlier")
    options = parser.parse_args()
    head = None
    if options.head:
        number, _colon, kept = options.head.partition(":")
        head = (int(number), kept)
    count, seq, last, problems = check(options.database, head)
    print(f"{count} entries; head #{seq} {last}")
    for problem in problems:
        print(problem)
    print("the chain holds" if not problems else "the chain does not hold")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
