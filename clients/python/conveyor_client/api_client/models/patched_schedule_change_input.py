from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.misfire_policy_enum import MisfirePolicyEnum
from ..models.overlap_policy_enum import OverlapPolicyEnum
from ..models.queue_enum import QueueEnum
from ..models.schedule_kind_enum import ScheduleKindEnum
from ..models.task_enum import TaskEnum
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.patched_schedule_change_input_kwargs import (
        PatchedScheduleChangeInputKwargs,
    )


T = TypeVar("T", bound="PatchedScheduleChangeInput")


@_attrs_define
class PatchedScheduleChangeInput:
    """Documentation of PATCH: any fields of the schedule's kind (or a new kind with its fields).

    Attributes:
        name (str | Unset):
        description (str | Unset):
        task (TaskEnum | Unset): * `accounts.check_engagement` - accounts.check_engagement
            * `accounts.purge_unactivated` - accounts.purge_unactivated
            * `demo.fail` - demo.fail
            * `demo.noop` - demo.noop
            * `demo.sleep` - demo.sleep
            * `http.request` - http.request
            * `mail.send` - mail.send
            * `web.page_length` - web.page_length
        args (list[Any] | Unset):
        kwargs (PatchedScheduleChangeInputKwargs | Unset):
        queue (QueueEnum | Unset): * `high` - high
            * `default` - default
            * `low` - low
        enabled (bool | Unset):
        max_runs (int | None | Unset):
        end_at (datetime.datetime | None | Unset):
        misfire_policy (MisfirePolicyEnum | Unset): * `skip` - Skip
            * `run_once` - Run Once
        overlap_policy (OverlapPolicyEnum | Unset): * `allow` - Allow
            * `skip` - Skip
        kind (ScheduleKindEnum | Unset): * `at` - At
            * `interval` - Interval
            * `cron` - Cron
        run_at (datetime.datetime | Unset): When to run, once
        every_seconds (int | Unset):
        start_at (datetime.datetime | None | Unset): First fire; default now + every_seconds
        cron (str | Unset): 5 fields: minute hour day-of-month month day-of-week
        timezone (str | Unset): IANA name; default UTC
    """

    name: str | Unset = UNSET
    description: str | Unset = UNSET
    task: TaskEnum | Unset = UNSET
    args: list[Any] | Unset = UNSET
    kwargs: PatchedScheduleChangeInputKwargs | Unset = UNSET
    queue: QueueEnum | Unset = UNSET
    enabled: bool | Unset = UNSET
    max_runs: int | None | Unset = UNSET
    end_at: datetime.datetime | None | Unset = UNSET
    misfire_policy: MisfirePolicyEnum | Unset = UNSET
    overlap_policy: OverlapPolicyEnum | Unset = UNSET
    kind: ScheduleKindEnum | Unset = UNSET
    run_at: datetime.datetime | Unset = UNSET
    every_seconds: int | Unset = UNSET
    start_at: datetime.datetime | None | Unset = UNSET
    cron: str | Unset = UNSET
    timezone: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        description = self.description

        task: str | Unset = UNSET
        if not isinstance(self.task, Unset):
            task = self.task.value

        args: list[Any] | Unset = UNSET
        if not isinstance(self.args, Unset):
            args = self.args

        kwargs: dict[str, Any] | Unset = UNSET
        if not isinstance(self.kwargs, Unset):
            kwargs = self.kwargs.to_dict()

        queue: str | Unset = UNSET
        if not isinstance(self.queue, Unset):
            queue = self.queue.value

        enabled = self.enabled

        max_runs: int | None | Unset
        if isinstance(self.max_runs, Unset):
            max_runs = UNSET
        else:
            max_runs = self.max_runs

        end_at: None | str | Unset
        if isinstance(self.end_at, Unset):
            end_at = UNSET
        elif isinstance(self.end_at, datetime.datetime):
            end_at = self.end_at.isoformat()
        else:
            end_at = self.end_at

        misfire_policy: str | Unset = UNSET
        if not isinstance(self.misfire_policy, Unset):
            misfire_policy = self.misfire_policy.value

        overlap_policy: str | Unset = UNSET
        if not isinstance(self.overlap_policy, Unset):
            overlap_policy = self.overlap_policy.value

        kind: str | Unset = UNSET
        if not isinstance(self.kind, Unset):
            kind = self.kind.value

        run_at: str | Unset = UNSET
        if not isinstance(self.run_at, Unset):
            run_at = self.run_at.isoformat()

        every_seconds = self.every_seconds

        start_at: None | str | Unset
        if isinstance(self.start_at, Unset):
            start_at = UNSET
        elif isinstance(self.start_at, datetime.datetime):
            start_at = self.start_at.isoformat()
        else:
            start_at = self.start_at

        cron = self.cron

        timezone = self.timezone

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if name is not UNSET:
            field_dict["name"] = name
        if description is not UNSET:
            field_dict["description"] = description
        if task is not UNSET:
            field_dict["task"] = task
        if args is not UNSET:
            field_dict["args"] = args
        if kwargs is not UNSET:
            field_dict["kwargs"] = kwargs
        if queue is not UNSET:
            field_dict["queue"] = queue
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if max_runs is not UNSET:
            field_dict["max_runs"] = max_runs
        if end_at is not UNSET:
            field_dict["end_at"] = end_at
        if misfire_policy is not UNSET:
            field_dict["misfire_policy"] = misfire_policy
        if overlap_policy is not UNSET:
            field_dict["overlap_policy"] = overlap_policy
        if kind is not UNSET:
            field_dict["kind"] = kind
        if run_at is not UNSET:
            field_dict["run_at"] = run_at
        if every_seconds is not UNSET:
            field_dict["every_seconds"] = every_seconds
        if start_at is not UNSET:
            field_dict["start_at"] = start_at
        if cron is not UNSET:
            field_dict["cron"] = cron
        if timezone is not UNSET:
            field_dict["timezone"] = timezone

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.patched_schedule_change_input_kwargs import (
            PatchedScheduleChangeInputKwargs,
        )

        d = dict(src_dict)
        name = d.pop("name", UNSET)

        description = d.pop("description", UNSET)

        _task = d.pop("task", UNSET)
        task: TaskEnum | Unset
        if isinstance(_task, Unset):
            task = UNSET
        else:
            task = TaskEnum(_task)

        args = cast(list[Any], d.pop("args", UNSET))

        _kwargs = d.pop("kwargs", UNSET)
        kwargs: PatchedScheduleChangeInputKwargs | Unset
        if isinstance(_kwargs, Unset):
            kwargs = UNSET
        else:
            kwargs = PatchedScheduleChangeInputKwargs.from_dict(_kwargs)

        _queue = d.pop("queue", UNSET)
        queue: QueueEnum | Unset
        if isinstance(_queue, Unset):
            queue = UNSET
        else:
            queue = QueueEnum(_queue)

        enabled = d.pop("enabled", UNSET)

        def _parse_max_runs(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_runs = _parse_max_runs(d.pop("max_runs", UNSET))

        def _parse_end_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                end_at_type_0 = datetime.datetime.fromisoformat(data)

                return end_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        end_at = _parse_end_at(d.pop("end_at", UNSET))

        _misfire_policy = d.pop("misfire_policy", UNSET)
        misfire_policy: MisfirePolicyEnum | Unset
        if isinstance(_misfire_policy, Unset):
            misfire_policy = UNSET
        else:
            misfire_policy = MisfirePolicyEnum(_misfire_policy)

        _overlap_policy = d.pop("overlap_policy", UNSET)
        overlap_policy: OverlapPolicyEnum | Unset
        if isinstance(_overlap_policy, Unset):
            overlap_policy = UNSET
        else:
            overlap_policy = OverlapPolicyEnum(_overlap_policy)

        _kind = d.pop("kind", UNSET)
        kind: ScheduleKindEnum | Unset
        if isinstance(_kind, Unset):
            kind = UNSET
        else:
            kind = ScheduleKindEnum(_kind)

        _run_at = d.pop("run_at", UNSET)
        run_at: datetime.datetime | Unset
        if isinstance(_run_at, Unset):
            run_at = UNSET
        else:
            run_at = datetime.datetime.fromisoformat(_run_at)

        every_seconds = d.pop("every_seconds", UNSET)

        def _parse_start_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                start_at_type_0 = datetime.datetime.fromisoformat(data)

                return start_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        start_at = _parse_start_at(d.pop("start_at", UNSET))

        cron = d.pop("cron", UNSET)

        timezone = d.pop("timezone", UNSET)

        patched_schedule_change_input = cls(
            name=name,
            description=description,
            task=task,
            args=args,
            kwargs=kwargs,
            queue=queue,
            enabled=enabled,
            max_runs=max_runs,
            end_at=end_at,
            misfire_policy=misfire_policy,
            overlap_policy=overlap_policy,
            kind=kind,
            run_at=run_at,
            every_seconds=every_seconds,
            start_at=start_at,
            cron=cron,
            timezone=timezone,
        )

        patched_schedule_change_input.additional_properties = d
        return patched_schedule_change_input

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
