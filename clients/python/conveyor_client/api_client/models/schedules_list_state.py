from enum import StrEnum


class SchedulesListState(StrEnum):
    ACTIVE = "active"
    FINISHED = "finished"
    PAUSED = "paused"

    def __str__(self) -> str:
        return str(self.value)
