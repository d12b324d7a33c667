from enum import StrEnum


class ScheduleIntervalKindEnum(StrEnum):
    INTERVAL = "interval"

    def __str__(self) -> str:
        return str(self.value)
