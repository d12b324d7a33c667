from enum import StrEnum


class JobsListStateItem(StrEnum):
    CANCELED = "canceled"
    DEFERRED = "deferred"
    FAILED = "failed"
    QUEUED = "queued"
    RUNNING = "running"
    SCHEDULED = "scheduled"
    SUCCEEDED = "succeeded"

    def __str__(self) -> str:
        return str(self.value)
