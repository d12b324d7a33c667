from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="WorkerOutput")


@_attrs_define
class WorkerOutput:
    """
    Attributes:
        name (str):
        state (str):
        queues (list[str]):
        current_job (None | str):
        successful_jobs (int):
        failed_jobs (int):
        birth (datetime.datetime | None):
        last_heartbeat (datetime.datetime | None):
        hostname (None | str):
        pid (int | None):
    """

    name: str
    state: str
    queues: list[str]
    current_job: None | str
    successful_jobs: int
    failed_jobs: int
    birth: datetime.datetime | None
    last_heartbeat: datetime.datetime | None
    hostname: None | str
    pid: int | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        state = self.state

        queues = self.queues

        current_job: None | str
        current_job = self.current_job

        successful_jobs = self.successful_jobs

        failed_jobs = self.failed_jobs

        birth: None | str
        if isinstance(self.birth, datetime.datetime):
            birth = self.birth.isoformat()
        else:
            birth = self.birth

        last_heartbeat: None | str
        if isinstance(self.last_heartbeat, datetime.datetime):
            last_heartbeat = self.last_heartbeat.isoformat()
        else:
            last_heartbeat = self.last_heartbeat

        hostname: None | str
        hostname = self.hostname

        pid: int | None
        pid = self.pid

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "state": state,
                "queues": queues,
                "current_job": current_job,
                "successful_jobs": successful_jobs,
                "failed_jobs": failed_jobs,
                "birth": birth,
                "last_heartbeat": last_heartbeat,
                "hostname": hostname,
                "pid": pid,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        state = d.pop("state")

        queues = cast(list[str], d.pop("queues"))

        def _parse_current_job(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        current_job = _parse_current_job(d.pop("current_job"))

        successful_jobs = d.pop("successful_jobs")

        failed_jobs = d.pop("failed_jobs")

        def _parse_birth(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                birth_type_0 = datetime.datetime.fromisoformat(data)

                return birth_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        birth = _parse_birth(d.pop("birth"))

        def _parse_last_heartbeat(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_heartbeat_type_0 = datetime.datetime.fromisoformat(data)

                return last_heartbeat_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_heartbeat = _parse_last_heartbeat(d.pop("last_heartbeat"))

        def _parse_hostname(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        hostname = _parse_hostname(d.pop("hostname"))

        def _parse_pid(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        pid = _parse_pid(d.pop("pid"))

        worker_output = cls(
            name=name,
            state=state,
            queues=queues,
            current_job=current_job,
            successful_jobs=successful_jobs,
            failed_jobs=failed_jobs,
            birth=birth,
            last_heartbeat=last_heartbeat,
            hostname=hostname,
            pid=pid,
        )

        worker_output.additional_properties = d
        return worker_output

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
