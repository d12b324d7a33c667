from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="AuditVia")


@_attrs_define
class AuditVia:
    """
    Attributes:
        channel (str):
        request_id (None | str):
        job (None | UUID):
        schedule (None | UUID):
    """

    channel: str
    request_id: None | str
    job: None | UUID
    schedule: None | UUID
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        channel = self.channel

        request_id: None | str
        request_id = self.request_id

        job: None | str
        if isinstance(self.job, UUID):
            job = str(self.job)
        else:
            job = self.job

        schedule: None | str
        if isinstance(self.schedule, UUID):
            schedule = str(self.schedule)
        else:
            schedule = self.schedule

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "channel": channel,
                "request_id": request_id,
                "job": job,
                "schedule": schedule,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        channel = d.pop("channel")

        def _parse_request_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        request_id = _parse_request_id(d.pop("request_id"))

        def _parse_job(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                job_type_0 = UUID(data)

                return job_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        job = _parse_job(d.pop("job"))

        def _parse_schedule(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                schedule_type_0 = UUID(data)

                return schedule_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        schedule = _parse_schedule(d.pop("schedule"))

        audit_via = cls(
            channel=channel,
            request_id=request_id,
            job=job,
            schedule=schedule,
        )

        audit_via.additional_properties = d
        return audit_via

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
