"""Riding out an outage of Redis or the database in a long-running process (worker, scheduler).

A process that meets one of OUTAGE_ERRORS does not exit: it logs `store.unavailable` once,
probes both stores with a bounded exponential backoff (BACKOFF_FIRST doubling up to BACKOFF_MAX
seconds) and carries on when both answer, logging `store.recovered` once per store. Errors that
are not about reaching a store (a bad query, a Redis type error) are not caught here.
"""

import logging
import time
from collections.abc import Callable

from django import db
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

REDIS_ERRORS = (RedisConnectionError, RedisTimeoutError)
DATABASE_ERRORS = (db.OperationalError, db.InterfaceError)
OUTAGE_ERRORS = REDIS_ERRORS + DATABASE_ERRORS
BACKOFF_FIRST = 0.5  # seconds
BACKOFF_MAX = 5.0


def store_of(exc: BaseException) -> str:
    """Return which store an outage error is about: "redis" or "database"."""
    return "redis" if isinstance(exc, REDIS_ERRORS) else "database"


def _probe_redis(connection: Redis) -> None:
    connection.ping()


def _probe_database() -> None:
    db.close_old_connections()  # drops a connection the outage broke (it met an error)
    with db.connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def on_a_live_connection[T](func: Callable[..., T], *args: object, **kwargs: object) -> T:
    """Return `func(*args, **kwargs)`, called once more on a new database connection if the one
    it used was dead (a worker checks its idle connection by using it, not with a `SELECT 1`
    before every job: config.settings). Only for a call whose first statement is a read."""
    try:
        return func(*args, **kwargs)
    except DATABASE_ERRORS:
        if db.connection.in_atomic_block:
            raise
        db.connection.close()
        return func(*args, **kwargs)


class Outage:
    """What one process knows about its stores being down; see the module docstring."""

    def __init__(self, role: str, connection: Redis) -> None:
        self.role = role
        self.connection = connection
        self.down_since: dict[str, float] = {}  # store -> time.monotonic() when it was seen down

    def down(self, exc: BaseException) -> None:
        """Note that a call failed with outage error `exc`; log the first failure of an outage."""
        store = store_of(exc)
        if store not in self.down_since:
            self.down_since[store] = time.monotonic()
            logger.warning("store.unavailable", extra={"role": self.role, "store": store, "error": str(exc)})

    def up(self, store: str) -> None:
        """Note that `store` answered; log the end of its outage if there was one."""
        since = self.down_since.pop(store, None)
        if since is not None:
            extra = {"role": self.role, "store": store, "down_seconds": round(time.monotonic() - since, 1)}
            logger.warning("store.recovered", extra=extra)

    def ride_out(self, exc: BaseException) -> None:
        """Note `exc`, then return only once Redis and the database both answer (backing off)."""
        self.down(exc)
        delay = BACKOFF_FIRST
        while True:
            time.sleep(delay)
            delay = min(2 * delay, BACKOFF_MAX)
            try:
                _probe_redis(self.connection)
                self.up("redis")
                _probe_database()
                self.up("database")
                return
            except OUTAGE_ERRORS as again:
                self.down(again)

    def call[T](self, func: Callable[..., T], *args: object, **kwargs: object) -> T:
        """Return `func(*args, **kwargs)`, called again after each outage it meets: only for calls
        that are safe to repeat."""
        while True:
            try:
                return func(*args, **kwargs)
            except OUTAGE_ERRORS as exc:
                self.ride_out(exc)
