from enum import StrEnum


class SchedulesListKind(StrEnum):
    AT = "at"
    CRON = "cron"
    INTERVAL = "interval"

    def __str__(self) -> str:
        return str(self.value)
