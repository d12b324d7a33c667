"""Statements PostgreSQL keeps prepared.

Django binds parameters on the client (it writes them into the statement's text), so PostgreSQL
parses and plans each statement anew. The hot paths' statements are fixed texts built once (the
audited insert and transition, the worker's claim read, the poll's validator, the waiting-jobs
count): `prepared_cursor` binds their parameters on the server, and psycopg prepares a text on
its connection once it ran there `prepare_threshold` times (the database's OPTIONS; settings
make it 5, or None with `DB_PREPARED_STATEMENTS=false`, for a pooler that loses prepared
statements). The submit's INSERT of a job and its history row cost PostgreSQL about half the
CPU prepared (bench/analysis.md).

A migration that changes the type of a column a prepared statement returns makes PostgreSQL
refuse it ("cached plan must not change result type") on every connection that prepared it
before; psycopg forgets its prepared statements only after a ROLLBACK, which a statement in
autocommit never sees. Outside a transaction the cursor then drops them (`DEALLOCATE ALL`, which
psycopg follows) and runs the statement once more; inside one, the rollback does it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections
from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.db.backends.utils import CursorWrapper
from psycopg import Cursor, errors
from psycopg.pq import Format, TransactionStatus


class _PreparedCursor(Cursor[Any]):
    """psycopg's server-binding cursor (Django's ServerBindingCursor adds only `callproc`)."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        try:
            return super().execute(query, params, **kwargs)
        except errors.FeatureNotSupported as exc:
            if "cached plan" not in str(exc) or self.connection.info.transaction_status != TransactionStatus.IDLE:
                raise
            super().execute("DEALLOCATE ALL")
            return super().execute(query, params, **kwargs)


@contextmanager
def prepared_cursor(alias: str = "default") -> Iterator[CursorWrapper]:
    """Django's cursor on connection `alias` (its health check, error wrapping, query log and
    execute wrappers, time zone) binding on the server, on PostgreSQL; Django's own cursor
    elsewhere. Only for statements whose text is fixed, every value a parameter: each distinct
    text is one prepared statement on the connection (psycopg keeps the latest 100)."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    # What connection.cursor() does (BaseDatabaseWrapper._cursor and the backend's create_cursor),
    # with psycopg's server-binding cursor in place of Django's client-binding one.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = _PreparedCursor(connection.connection)
        if connection.timezone != connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT).timezone:
            register_tzloader(connection.timezone, raw)
    with connection._prepare_cursor(raw) as cursor:  # type: ignore[attr-defined]
        yield cursor
