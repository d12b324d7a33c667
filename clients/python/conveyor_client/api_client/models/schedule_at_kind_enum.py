from enum import StrEnum


class ScheduleAtKindEnum(StrEnum):
    AT = "at"

    def __str__(self) -> str:
        return str(self.value)
