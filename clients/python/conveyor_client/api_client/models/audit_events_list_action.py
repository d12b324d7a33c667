from enum import StrEnum


class AuditEventsListAction(StrEnum):
    CHANGED = "changed"
    CREATED = "created"
    DELETED = "deleted"

    def __str__(self) -> str:
        return str(self.value)
