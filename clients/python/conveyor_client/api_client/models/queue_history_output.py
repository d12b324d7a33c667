from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.queue_history_point import QueueHistoryPoint


T = TypeVar("T", bound="QueueHistoryOutput")


@_attrs_define
class QueueHistoryOutput:
    """
    Attributes:
        name (str):
        points (list[QueueHistoryPoint]):
    """

    name: str
    points: list[QueueHistoryPoint]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        points = []
        for points_item_data in self.points:
            points_item = points_item_data.to_dict()
            points.append(points_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "points": points,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.queue_history_point import QueueHistoryPoint

        d = dict(src_dict)
        name = d.pop("name")

        points = []
        _points = d.pop("points")
        for points_item_data in _points:
            points_item = QueueHistoryPoint.from_dict(points_item_data)

            points.append(points_item)

        queue_history_output = cls(
            name=name,
            points=points,
        )

        queue_history_output.additional_properties = d
        return queue_history_output

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
