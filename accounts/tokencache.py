"""An in-process cache of looked-up API tokens, bounded in time and emptied by notices that any
process publishes over Redis when a token is revoked or a user changes.

Looking a bearer token up is one query joining its user on every request (its share of a
submit's cost: bench/analysis.md). A process keeps a token it read for TOKEN_CACHE_SECONDS, and
only while its listener is subscribed to CHANNEL: a deleted token, or a saved or deleted user,
is published there after commit and dropped from every process's cache (from the publishing
process's own before the call returns). While the subscription is down (Redis unreachable, not
yet confirmed) nothing is cached and every request reads the database, as before. A change that
sends no signal (a queryset `update()` of users) takes effect within TOKEN_CACHE_SECONDS.
"""

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from redis.exceptions import RedisError

from core.redis import redis_connection

logger = logging.getLogger(__name__)

CHANNEL = "conveyor:tokens:changed"  # message: a token digest, "user:<id>" or EVERYTHING
EVERYTHING = "*"
RETRY_SECONDS = 1.0

_entries: dict[str, tuple[float, Any]] = {}  # digest: (when read, the ApiToken with its user)
_subscribed = threading.Event()
_start = threading.Lock()
_listener: list[threading.Thread] = []
# Bumped by every drop: a lookup that a drop overtook does not store what it read.
_generation = [0]


def generation() -> int:
    """Take before reading a token from the database, and give to `put`."""
    return _generation[0]


def get(digest: str) -> Any | None:
    """The cached token for `digest`, or None if there is none, it is too old or notices are not flowing."""
    entry = _entries.get(digest)
    if entry is None or not _subscribed.is_set():
        return None
    if time.monotonic() - entry[0] > settings.TOKEN_CACHE_SECONDS:
        _entries.pop(digest, None)
        return None
    return entry[1]


def put(digest: str, token: Any, read_at: int) -> None:
    """Cache `token`, read from the database when `generation()` was `read_at`, if notices flow
    and nothing was dropped since; start this process's listener on first use."""
    if settings.TOKEN_CACHE_SECONDS <= 0:
        return
    _listen_once()
    if _subscribed.is_set() and _generation[0] == read_at:
        _entries[digest] = (time.monotonic(), token)


def changed(message: str) -> None:
    """Drop a token (`message` is its digest) or every token of a user (`user:<id>`) from every
    process's cache: here at once, in the others when the notice arrives. Best effort: if Redis
    refuses the notice, the others' subscriptions are broken too, and they cache nothing until
    they subscribe again."""
    _drop(message)
    try:
        redis_connection().publish(CHANNEL, message)
    except RedisError as exc:
        logger.warning("tokens.notice_failed", extra={"error": str(exc)})


def _drop(message: str) -> None:
    _generation[0] += 1
    if message == EVERYTHING:
        _entries.clear()
    elif message.startswith("user:"):
        user_id = int(message.removeprefix("user:"))
        for digest, (_, token) in list(_entries.items()):
            if token.user_id == user_id:
                _entries.pop(digest, None)
    else:
        _entries.pop(message, None)


def _listen_once() -> None:
    if _listener and _listener[0].is_alive():
        return
    with _start:
        if not (_listener and _listener[0].is_alive()):
            thread = threading.Thread(target=_listen, name="token-notices", daemon=True)
            thread.start()
            _listener[:] = [thread]


def _listen() -> None:
    while True:
        try:
            with redis_connection().pubsub() as pubsub:
                pubsub.subscribe(CHANNEL)
                while True:
                    message = pubsub.get_message(timeout=5.0)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":
                        _subscribed.set()
                    elif message["type"] == "message":
                        _drop(message["data"].decode())
        except Exception as exc:  # noqa: BLE001 - the listener must outlive anything, or nothing is cached again
            logger.warning("tokens.notices_disconnected", extra={"error": repr(exc)})
        finally:
            _subscribed.clear()
            _drop(EVERYTHING)  # a notice may have been missed
        time.sleep(RETRY_SECONDS)


def connect_token_notices(user_model: Any, token_model: Any) -> None:
    """Publish a notice after commit whenever a user is saved or deleted or a token is deleted,
    however it happens (API, admin, management commands, cascades). Signals, because a user
    changes through Django's own code (admin, `changepassword`) that calls no service of ours."""

    def notice(message: str) -> None:
        _drop(message)  # this process's requests in the same transaction see it at once
        transaction.on_commit(lambda: changed(message))

    def user_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
        notice(f"user:{instance.pk}")

    def token_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
        notice(instance.digest)

    post_save.connect(user_changed, sender=user_model, dispatch_uid="tokencache.user_saved", weak=False)
    post_delete.connect(user_changed, sender=user_model, dispatch_uid="tokencache.user_deleted", weak=False)
    post_delete.connect(token_deleted, sender=token_model, dispatch_uid="tokencache.token_deleted", weak=False)
