"""RQ plumbing: the JSON-only job class every queue, worker and scheduler uses."""

from typing import Any

from rq.job import Job as RQJob
from rq.serializers import JSONSerializer


class JsonJob(RQJob):
    """An RQ job that is always JSON-serialized, whoever creates or loads it (no pickle)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["serializer"] = JSONSerializer
        super().__init__(*args, **kwargs)
