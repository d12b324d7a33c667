from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.queue_enum import QueueEnum
from ..models.task_enum import TaskEnum
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.job_submit_input_kwargs import JobSubmitInputKwargs
    from ..models.job_submit_input_labels import JobSubmitInputLabels


T = TypeVar("T", bound="JobSubmitInput")


@_attrs_define
class JobSubmitInput:
    """An input serializer that refuses fields it does not declare (typos fail loudly) and
    values that are not of the declared JSON type (no string for an integer).

        Attributes:
            task (TaskEnum): * `accounts.check_engagement` - accounts.check_engagement
                * `accounts.purge_unactivated` - accounts.purge_unactivated
                * `demo.fail` - demo.fail
                * `demo.noop` - demo.noop
                * `demo.sleep` - demo.sleep
                * `http.request` - http.request
                * `mail.send` - mail.send
                * `web.page_length` - web.page_length
            args (list[Any] | Unset):
            kwargs (JobSubmitInputKwargs | Unset):
            queue (QueueEnum | Unset): * `high` - high
                * `default` - default
                * `low` - low
            run_at (datetime.datetime | Unset): When to run; at most a minute in the past
            delay_seconds (int | Unset):
            timeout_seconds (int | Unset):
            max_retries (int | Unset):
            retry_intervals (list[int] | Unset):
            depends_on (list[UUID] | Unset):
            labels (JobSubmitInputLabels | Unset):
    """

    task: TaskEnum
    args: list[Any] | Unset = UNSET
    kwargs: JobSubmitInputKwargs | Unset = UNSET
    queue: QueueEnum | Unset = UNSET
    run_at: datetime.datetime | Unset = UNSET
    delay_seconds: int | Unset = UNSET
    timeout_seconds: int | Unset = UNSET
    max_retries: int | Unset = UNSET
    retry_intervals: list[int] | Unset = UNSET
    depends_on: list[UUID] | Unset = UNSET
    labels: JobSubmitInputLabels | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
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

        run_at: str | Unset = UNSET
        if not isinstance(self.run_at, Unset):
            run_at = self.run_at.isoformat()

        delay_seconds = self.delay_seconds

        timeout_seconds = self.timeout_seconds

        max_retries = self.max_retries

        retry_intervals: list[int] | Unset = UNSET
        if not isinstance(self.retry_intervals, Unset):
            retry_intervals = self.retry_intervals

        depends_on: list[str] | Unset = UNSET
        if not isinstance(self.depends_on, Unset):
            depends_on = []
            for depends_on_item_data in self.depends_on:
                depends_on_item = str(depends_on_item_data)
                depends_on.append(depends_on_item)

        labels: dict[str, Any] | Unset = UNSET
        if not isinstance(self.labels, Unset):
            labels = self.labels.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "task": task,
            }
        )
        if args is not UNSET:
            field_dict["args"] = args
        if kwargs is not UNSET:
            field_dict["kwargs"] = kwargs
        if queue is not UNSET:
            field_dict["queue"] = queue
        if run_at is not UNSET:
            field_dict["run_at"] = run_at
        if delay_seconds is not UNSET:
            field_dict["delay_seconds"] = delay_seconds
        if timeout_seconds is not UNSET:
            field_dict["timeout_seconds"] = timeout_seconds
        if max_retries is not UNSET:
            field_dict["max_retries"] = max_retries
        if retry_intervals is not UNSET:
            field_dict["retry_intervals"] = retry_intervals
        if depends_on is not UNSET:
            field_dict["depends_on"] = depends_on
        if labels is not UNSET:
            field_dict["labels"] = labels

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.job_submit_input_kwargs import JobSubmitInputKwargs
        from ..models.job_submit_input_labels import JobSubmitInputLabels

        d = dict(src_dict)
        task = TaskEnum(d.pop("task"))

        args = cast(list[Any], d.pop("args", UNSET))

        _kwargs = d.pop("kwargs", UNSET)
        kwargs: JobSubmitInputKwargs | Unset
        if isinstance(_kwargs, Unset):
            kwargs = UNSET
        else:
            kwargs = JobSubmitInputKwargs.from_dict(_kwargs)

        _queue = d.pop("queue", UNSET)
        queue: QueueEnum | Unset
        if isinstance(_queue, Unset):
            queue = UNSET
        else:
            queue = QueueEnum(_queue)

        _run_at = d.pop("run_at", UNSET)
        run_at: datetime.datetime | Unset
        if isinstance(_run_at, Unset):
            run_at = UNSET
        else:
            run_at = datetime.datetime.fromisoformat(_run_at)

        delay_seconds = d.pop("delay_seconds", UNSET)

        timeout_seconds = d.pop("timeout_seconds", UNSET)

        max_retries = d.pop("max_retries", UNSET)

        retry_intervals = cast(list[int], d.pop("retry_intervals", UNSET))

        _depends_on = d.pop("depends_on", UNSET)
        depends_on: list[UUID] | Unset = UNSET
        if _depends_on is not UNSET:
            depends_on = []
            for depends_on_item_data in _depends_on:
                depends_on_item = UUID(depends_on_item_data)

                depends_on.append(depends_on_item)

        _labels = d.pop("labels", UNSET)
        labels: JobSubmitInputLabels | Unset
        if isinstance(_labels, Unset):
            labels = UNSET
        else:
            labels = JobSubmitInputLabels.from_dict(_labels)

        job_submit_input = cls(
            task=task,
            args=args,
            kwargs=kwargs,
            queue=queue,
            run_at=run_at,
            delay_seconds=delay_seconds,
            timeout_seconds=timeout_seconds,
            max_retries=max_retries,
            retry_intervals=retry_intervals,
            depends_on=depends_on,
            labels=labels,
        )

        job_submit_input.additional_properties = d
        return job_submit_input

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
