"""Change notices: one Redis message per changed job, which long-polls and event streams
(api.notices) wait on. Best effort: a lost notice costs a waiting client one poll interval."""

import logging
from collections.abc import Iterable

from redis.client import Pipeline
from redis.exceptions import RedisError

from core.redis import redis_connection

logger = logging.getLogger(__name__)

NOTICE_CHANNEL = "conveyor:job:"  # + the job id; api.notices listens to them all


def add_notices(pipe: Pipeline, job_ids: Iterable[object]) -> None:
    """Queue change notices for `job_ids` on `pipe`."""
    for job_id in job_ids:
        pipe.publish(f"{NOTICE_CHANNEL}{job_id}", "changed")


def notify(job_ids: Iterable[object]) -> None:
    """Tell long-polls and event streams that these jobs changed (best effort)."""
    try:
        with redis_connection().pipeline(transaction=False) as pipe:
            add_notices(pipe, job_ids)
            pipe.execute()
    except RedisError:
        logger.warning("job.notify_failed")
