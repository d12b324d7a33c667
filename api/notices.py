"""Job change notices for waiting requests: one Redis subscription per web process.

Every change to a job is published on `conveyor:job:{id}` (core.notices), after its commit. The
first request a web process serves (config.asgi) starts a listener that pattern-subscribes to `conveyor:job:*` once and
wakes the requests waiting on a job when its notice arrives, so a waiting request holds an
asyncio.Event, not a Redis connection of its own. When the subscription breaks, every waiter is
woken (it reads the job again, so no change is missed) and the listener subscribes again;
so are they when the subscription is (re)confirmed. The same notices keep the process's poll
cache (api.pollcache) true: it is live only while the subscription is.
"""

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from redis.exceptions import RedisError

from api.pollcache import poll_cache
from core.notices import NOTICE_CHANNEL
from core.redis import async_client
from core.redis import current as redis_settings

logger = logging.getLogger(__name__)

RETRY_SECONDS = 1.0
NOTICES_CLIENT_NAME = "conveyor-notices"  # in CLIENT LIST
SUBSCRIBE_TIMEOUT = 1.0  # how long a new waiter waits for the subscription before reading anyway


class JobNotices:
    """The change notices of every job, for the waiters of one event loop."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.loop = asyncio.get_running_loop()
        self.subscribed = asyncio.Event()
        self._waiters: defaultdict[str, set[asyncio.Event]] = defaultdict(set)
        self._listener = self.loop.create_task(self._listen(config))  # held: the loop keeps only a weak reference

    @contextlib.asynccontextmanager
    async def watch(self, job_id: str) -> AsyncIterator[asyncio.Event]:
        """An event set when job `job_id` may have changed, registered before the caller reads
        the job. It waits up to SUBSCRIBE_TIMEOUT for the subscription first (`subscribed`
        tells whether notices flow) and yields the event cleared."""
        changed = asyncio.Event()
        self._waiters[job_id].add(changed)
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SUBSCRIBE_TIMEOUT):
                    await self.subscribed.wait()
            changed.clear()  # a (re)subscription wakes everyone: nothing has changed for this caller yet
            yield changed
        finally:
            self._waiters[job_id].discard(changed)
            if not self._waiters[job_id]:
                del self._waiters[job_id]

    def _wake(self, job_ids: list[str]) -> None:
        for job_id in job_ids:
            for changed in self._waiters.get(job_id, ()):
                changed.set()

    async def _listen(self, config: dict[str, Any]) -> None:
        while True:
            # No socket timeout: the subscription is silent for as long as no job changes.
            client = async_client(config, client_name=NOTICES_CLIENT_NAME, socket_timeout=None)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.psubscribe(f"{NOTICE_CHANNEL}*")
                    async for message in pubsub.listen():
                        if message["type"] == "psubscribe":  # also after redis-py reconnected by itself
                            poll_cache.set_live(True)
                            self.subscribed.set()
                            self._wake(list(self._waiters))  # a notice may have been lost meanwhile
                        elif message["type"] == "pmessage":
                            job_id = message["channel"].decode().removeprefix(NOTICE_CHANNEL)
                            poll_cache.drop(job_id)  # before any waiter reads the job again
                            self._wake([job_id])
            except (RedisError, OSError) as error:
                logger.warning("notices.disconnected", extra={"error": str(error)})
            finally:
                poll_cache.set_live(False)
                self.subscribed.clear()
                self._wake(list(self._waiters))  # a notice may have been lost: everyone looks again
                await client.aclose()
            await asyncio.sleep(RETRY_SECONDS)


_current: list[JobNotices] = []


def job_notices() -> JobNotices:
    """The notices of the running event loop (one per web process), started on first use."""
    loop = asyncio.get_running_loop()
    if not _current or _current[0].loop is not loop:
        _current[:] = [JobNotices(redis_settings())]
    return _current[0]
