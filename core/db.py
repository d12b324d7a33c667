"""Statements PostgreSQL keeps prepared.

Django binds parameters on the client (it writes them into the statement's text), so PostgreSQL
parses and plans each statement anew. The hot paths' statements are fixed texts built once (the
audited insert and transition, the worker's claim read, the poll's validator, the waiting-jobs
count): `prepared_cursor` binds their parameters on the server, and psycopg prepares a text on
its connection once it ran there `prepare_threshold` times (the database's OPTIONS; settings
make it 5, or None with `DB_PREPARED_STATEMENTS=false`, for a pooler that loses prepared
statements). The submit's INSERT of a job and its history row cost PostgreSQL about half the
CPU prepared (bench/analysis.md).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.utils import CursorWrapper


@contextmanager
def prepared_cursor(alias: str = "default") -> Iterator[CursorWrapper]:
    """Django's cursor on connection `alias` (its error wrapping, query log and execute
    wrappers) binding on the server, on PostgreSQL; Django's own cursor elsewhere. Only for
    statements whose text is fixed, every value a parameter: each distinct text is one prepared
    statement on the connection (psycopg keeps the latest 100)."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = ServerBindingCursor(connection.connection)  # type: ignore[call-arg]
    with connection._prepare_cursor(raw) as cursor:  # type: ignore[attr-defined]  # as connection.cursor() wraps its own
        yield cursor
