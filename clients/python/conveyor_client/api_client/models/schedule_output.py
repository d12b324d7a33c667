from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.misfire_policy_enum import MisfirePolicyEnum
from ..models.overlap_policy_enum import OverlapPolicyEnum
from ..models.schedule_kind_enum import ScheduleKindEnum
from ..models.schedule_state_enum import ScheduleStateEnum

if TYPE_CHECKING:
    from ..models.schedule_output_kwargs import ScheduleOutputKwargs
    from ..models.user_ref import UserRef


T = TypeVar("T", bound="ScheduleOutput")


@_attrs_define
class ScheduleOutput:
    """
    Attributes:
        id (UUID):
        url (str):
        name (str):
        description (str):
        task (str):
        args (list[Any]):
        kwargs (ScheduleOutputKwargs):
        queue (str):
        kind (ScheduleKindEnum): * `at` - At
            * `interval` - Interval
            * `cron` - Cron
        run_at (datetime.datetime | None):
        every_seconds (int | None):
        start_at (datetime.datetime | None):
        cron (str):
        timezone (str):
        enabled (bool):
        max_runs (int | None):
        end_at (datetime.datetime | None):
        misfire_policy (MisfirePolicyEnum): * `skip` - Skip
            * `run_once` - Run Once
        overlap_policy (OverlapPolicyEnum): * `allow` - Allow
            * `skip` - Skip
        state (ScheduleStateEnum): * `active` - Active
            * `paused` - Paused
            * `finished` - Finished
        next_run_at (datetime.datetime | None): The next fire; null while paused or finished
        last_run_at (datetime.datetime | None):
        last_job (None | UUID):
        run_count (int):
        upcoming (list[datetime.datetime]):
        owner (UserRef):
        created_at (datetime.datetime):
        created_by (None | UserRef):
        modified_at (datetime.datetime):
        modified_by (None | UserRef):
    """

    id: UUID
    url: str
    name: str
    description: str
    task: str
    args: list[Any]
    kwargs: ScheduleOutputKwargs
    queue: str
    kind: ScheduleKindEnum
    run_at: datetime.datetime | None
    every_seconds: int | None
    start_at: datetime.datetime | None
    cron: str
    timezone: str
    enabled: bool
    max_runs: int | None
    end_at: datetime.datetime | None
    misfire_policy: MisfirePolicyEnum
    overlap_policy: OverlapPolicyEnum
    state: ScheduleStateEnum
    next_run_at: datetime.datetime | None
    last_run_at: datetime.datetime | None
    last_job: None | UUID
    run_count: int
    upcoming: list[datetime.datetime]
    owner: UserRef
    created_at: datetime.datetime
    created_by: None | UserRef
    modified_at: datetime.datetime
    modified_by: None | UserRef
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.user_ref import UserRef

        id = str(self.id)

        url = self.url

        name = self.name

        description = self.description

        task = self.task

        args = self.args

        kwargs = self.kwargs.to_dict()

        queue = self.queue

        kind = self.kind.value

        run_at: None | str
        if isinstance(self.run_at, datetime.datetime):
            run_at = self.run_at.isoformat()
        else:
            run_at = self.run_at

        every_seconds: int | None
        every_seconds = self.every_seconds

        start_at: None | str
        if isinstance(self.start_at, datetime.datetime):
            start_at = self.start_at.isoformat()
        else:
            start_at = self.start_at

        cron = self.cron

        timezone = self.timezone

        enabled = self.enabled

        max_runs: int | None
        max_runs = self.max_runs

        end_at: None | str
        if isinstance(self.end_at, datetime.datetime):
            end_at = self.end_at.isoformat()
        else:
            end_at = self.end_at

        misfire_policy = self.misfire_policy.value

        overlap_policy = self.overlap_policy.value

        state = self.state.value

        next_run_at: None | str
        if isinstance(self.next_run_at, datetime.datetime):
            next_run_at = self.next_run_at.isoformat()
        else:
            next_run_at = self.next_run_at

        last_run_at: None | str
        if isinstance(self.last_run_at, datetime.datetime):
            last_run_at = self.last_run_at.isoformat()
        else:
            last_run_at = self.last_run_at

        last_job: None | str
        if isinstance(self.last_job, UUID):
            last_job = str(self.last_job)
        else:
            last_job = self.last_job

        run_count = self.run_count

        upcoming = []
        for upcoming_item_data in self.upcoming:
            upcoming_item = upcoming_item_data.isoformat()
            upcoming.append(upcoming_item)

        owner = self.owner.to_dict()

        created_at = self.created_at.isoformat()

        created_by: dict[str, Any] | None
        if isinstance(self.created_by, UserRef):
            created_by = self.created_by.to_dict()
        else:
            created_by = self.created_by

        modified_at = self.modified_at.isoformat()

        modified_by: dict[str, Any] | None
        if isinstance(self.modified_by, UserRef):
            modified_by = self.modified_by.to_dict()
        else:
            modified_by = self.modified_by

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "url": url,
                "name": name,
                "description": description,
                "task": task,
                "args": args,
                "kwargs": kwargs,
                "queue": queue,
                "kind": kind,
                "run_at": run_at,
                "every_seconds": every_seconds,
                "start_at": start_at,
                "cron": cron,
                "timezone": timezone,
                "enabled": enabled,
                "max_runs": max_runs,
                "end_at": end_at,
                "misfire_policy": misfire_policy,
                "overlap_policy": overlap_policy,
                "state": state,
                "next_run_at": next_run_at,
                "last_run_at": last_run_at,
                "last_job": last_job,
                "run_count": run_count,
                "upcoming": upcoming,
                "owner": owner,
                "created_at": created_at,
                "created_by": created_by,
                "modified_at": modified_at,
                "modified_by": modified_by,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.schedule_output_kwargs import ScheduleOutputKwargs
        from ..models.user_ref import UserRef

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        url = d.pop("url")

        name = d.pop("name")

        description = d.pop("description")

        task = d.pop("task")

        args = cast(list[Any], d.pop("args"))

        kwargs = ScheduleOutputKwargs.from_dict(d.pop("kwargs"))

        queue = d.pop("queue")

        kind = ScheduleKindEnum(d.pop("kind"))

        def _parse_run_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                run_at_type_0 = datetime.datetime.fromisoformat(data)

                return run_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        run_at = _parse_run_at(d.pop("run_at"))

        def _parse_every_seconds(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        every_seconds = _parse_every_seconds(d.pop("every_seconds"))

        def _parse_start_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                start_at_type_0 = datetime.datetime.fromisoformat(data)

                return start_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        start_at = _parse_start_at(d.pop("start_at"))

        cron = d.pop("cron")

        timezone = d.pop("timezone")

        enabled = d.pop("enabled")

        def _parse_max_runs(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        max_runs = _parse_max_runs(d.pop("max_runs"))

        def _parse_end_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                end_at_type_0 = datetime.datetime.fromisoformat(data)

                return end_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        end_at = _parse_end_at(d.pop("end_at"))

        misfire_policy = MisfirePolicyEnum(d.pop("misfire_policy"))

        overlap_policy = OverlapPolicyEnum(d.pop("overlap_policy"))

        state = ScheduleStateEnum(d.pop("state"))

        def _parse_next_run_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_run_at_type_0 = datetime.datetime.fromisoformat(data)

                return next_run_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        next_run_at = _parse_next_run_at(d.pop("next_run_at"))

        def _parse_last_run_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_run_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_run_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_run_at = _parse_last_run_at(d.pop("last_run_at"))

        def _parse_last_job(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_job_type_0 = UUID(data)

                return last_job_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        last_job = _parse_last_job(d.pop("last_job"))

        run_count = d.pop("run_count")

        upcoming = []
        _upcoming = d.pop("upcoming")
        for upcoming_item_data in _upcoming:
            upcoming_item = datetime.datetime.fromisoformat(upcoming_item_data)

            upcoming.append(upcoming_item)

        owner = UserRef.from_dict(d.pop("owner"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_created_by(data: object) -> None | UserRef:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                created_by_type_0 = UserRef.from_dict(data)

                return created_by_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UserRef, data)

        created_by = _parse_created_by(d.pop("created_by"))

        modified_at = datetime.datetime.fromisoformat(d.pop("modified_at"))

        def _parse_modified_by(data: object) -> None | UserRef:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                modified_by_type_0 = UserRef.from_dict(data)

                return modified_by_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UserRef, data)

        modified_by = _parse_modified_by(d.pop("modified_by"))

        schedule_output = cls(
            id=id,
            url=url,
            name=name,
            description=description,
            task=task,
            args=args,
            kwargs=kwargs,
            queue=queue,
            kind=kind,
            run_at=run_at,
            every_seconds=every_seconds,
            start_at=start_at,
            cron=cron,
            timezone=timezone,
            enabled=enabled,
            max_runs=max_runs,
            end_at=end_at,
            misfire_policy=misfire_policy,
            overlap_policy=overlap_policy,
            state=state,
            next_run_at=next_run_at,
            last_run_at=last_run_at,
            last_job=last_job,
            run_count=run_count,
            upcoming=upcoming,
            owner=owner,
            created_at=created_at,
            created_by=created_by,
            modified_at=modified_at,
            modified_by=modified_by,
        )

        schedule_output.additional_properties = d
        return schedule_output

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
