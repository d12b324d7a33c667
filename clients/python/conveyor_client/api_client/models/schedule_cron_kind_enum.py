from enum import StrEnum


class ScheduleCronKindEnum(StrEnum):
    CRON = "cron"

    def __str__(self) -> str:
        return str(self.value)
