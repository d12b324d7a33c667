from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SchedulePreviewOutput")


@_attrs_define
class SchedulePreviewOutput:
    """
    Attributes:
        upcoming (list[datetime.datetime]):
    """

    upcoming: list[datetime.datetime]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        upcoming = []
        for upcoming_item_data in self.upcoming:
            upcoming_item = upcoming_item_data.isoformat()
            upcoming.append(upcoming_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "upcoming": upcoming,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        upcoming = []
        _upcoming = d.pop("upcoming")
        for upcoming_item_data in _upcoming:
            upcoming_item = datetime.datetime.fromisoformat(upcoming_item_data)

            upcoming.append(upcoming_item)

        schedule_preview_output = cls(
            upcoming=upcoming,
        )

        schedule_preview_output.additional_properties = d
        return schedule_preview_output

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
