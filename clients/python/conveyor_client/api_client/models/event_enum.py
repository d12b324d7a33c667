from enum import StrEnum


class EventEnum(StrEnum):
    PROGRESS = "progress"
    STATE = "state"

    def __str__(self) -> str:
        return str(self.value)
