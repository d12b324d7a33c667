from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.event_enum import EventEnum

T = TypeVar("T", bound="JobEventOutput")


@_attrs_define
class JobEventOutput:
    """One Server-Sent Event of a job's stream, as an SSE client parses it.

    Attributes:
        event (EventEnum): * `state` - state
            * `progress` - progress
        id (str): The job's version when the event was sent; resume with Last-Event-ID
        data (str): JSON: the Job for `state`, its `progress` object for `progress`
    """

    event: EventEnum
    id: str
    data: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        event = self.event.value

        id = self.id

        data = self.data

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "event": event,
                "id": id,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        event = EventEnum(d.pop("event"))

        id = d.pop("id")

        data = d.pop("data")

        job_event_output = cls(
            event=event,
            id=id,
            data=data,
        )

        job_event_output.additional_properties = d
        return job_event_output

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
