"""SQLite backend that knows the real limit on query parameters.

Django 5.2 assumes SQLite's old compile-time default of 999 parameters per query, so every
``bulk_create`` of a few hundred rows is split into batches whose number grows with the rows.
The SQLite that ships with Python 3.11 allows 32,766; Django 6.0 reads the limit from the
connection, and this does the same, so query counts stay constant in the number of rows.
"""

import sqlite3
from functools import cached_property

from django.db.backends.sqlite3 import base, features


class DatabaseFeatures(features.DatabaseFeatures):
    @cached_property
    def max_query_params(self) -> int:  # type: ignore[override]
        self.connection.ensure_connection()
        return int(self.connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
