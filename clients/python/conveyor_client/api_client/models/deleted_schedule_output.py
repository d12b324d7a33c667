from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.deleted_schedule_output_data import DeletedScheduleOutputData
    from ..models.user_ref import UserRef


T = TypeVar("T", bound="DeletedScheduleOutput")


@_attrs_define
class DeletedScheduleOutput:
    """A deleted schedule: restore it with POST `restore_url` (its id comes back with it).

    Attributes:
        id (int): The version a restore brings back
        schedule (UUID): The deleted schedule's id
        name (str):
        deleted_at (datetime.datetime | None):
        deleted_by (None | UserRef):
        restore_url (str):
        data (DeletedScheduleOutputData):
    """

    id: int
    schedule: UUID
    name: str
    deleted_at: datetime.datetime | None
    deleted_by: None | UserRef
    restore_url: str
    data: DeletedScheduleOutputData
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.user_ref import UserRef

        id = self.id

        schedule = str(self.schedule)

        name = self.name

        deleted_at: None | str
        if isinstance(self.deleted_at, datetime.datetime):
            deleted_at = self.deleted_at.isoformat()
        else:
            deleted_at = self.deleted_at

        deleted_by: dict[str, Any] | None
        if isinstance(self.deleted_by, UserRef):
            deleted_by = self.deleted_by.to_dict()
        else:
            deleted_by = self.deleted_by

        restore_url = self.restore_url

        data = self.data.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "schedule": schedule,
                "name": name,
                "deleted_at": deleted_at,
                "deleted_by": deleted_by,
                "restore_url": restore_url,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.deleted_schedule_output_data import DeletedScheduleOutputData
        from ..models.user_ref import UserRef

        d = dict(src_dict)
        id = d.pop("id")

        schedule = UUID(d.pop("schedule"))

        name = d.pop("name")

        def _parse_deleted_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                deleted_at_type_0 = datetime.datetime.fromisoformat(data)

                return deleted_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        deleted_at = _parse_deleted_at(d.pop("deleted_at"))

        def _parse_deleted_by(data: object) -> None | UserRef:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                deleted_by_type_0 = UserRef.from_dict(data)

                return deleted_by_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UserRef, data)

        deleted_by = _parse_deleted_by(d.pop("deleted_by"))

        restore_url = d.pop("restore_url")

        data = DeletedScheduleOutputData.from_dict(d.pop("data"))

        deleted_schedule_output = cls(
            id=id,
            schedule=schedule,
            name=name,
            deleted_at=deleted_at,
            deleted_by=deleted_by,
            restore_url=restore_url,
            data=data,
        )

        deleted_schedule_output.additional_properties = d
        return deleted_schedule_output

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
