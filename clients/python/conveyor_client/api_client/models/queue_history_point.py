from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="QueueHistoryPoint")


@_attrs_define
class QueueHistoryPoint:
    """
    Attributes:
        at (datetime.datetime): The end of the minute (the last point: of the current minute)
        depth (int): Jobs waiting in the queue (pushed, not started) at `at`
        finished (int): Jobs that ended (succeeded, failed, canceled) in the minute
    """

    at: datetime.datetime
    depth: int
    finished: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        at = self.at.isoformat()

        depth = self.depth

        finished = self.finished

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "at": at,
                "depth": depth,
                "finished": finished,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        at = datetime.datetime.fromisoformat(d.pop("at"))

        depth = d.pop("depth")

        finished = d.pop("finished")

        queue_history_point = cls(
            at=at,
            depth=depth,
            finished=finished,
        )

        queue_history_point.additional_properties = d
        return queue_history_point

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
