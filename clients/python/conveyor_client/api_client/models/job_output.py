from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.job_state_enum import JobStateEnum

if TYPE_CHECKING:
    from ..models.job_error_output import JobErrorOutput
    from ..models.job_output_kwargs import JobOutputKwargs
    from ..models.job_output_labels import JobOutputLabels
    from ..models.job_progress_output import JobProgressOutput
    from ..models.user_ref import UserRef


T = TypeVar("T", bound="JobOutput")


@_attrs_define
class JobOutput:
    """
    Attributes:
        id (UUID):
        url (str):
        task (str):
        args (list[Any]):
        kwargs (JobOutputKwargs):
        queue (str):
        state (JobStateEnum): * `scheduled` - Scheduled
            * `deferred` - Deferred
            * `queued` - Queued
            * `running` - Running
            * `succeeded` - Succeeded
            * `failed` - Failed
            * `canceled` - Canceled
        done (bool):
        progress (JobProgressOutput | None):
        result (Any):
        error (JobErrorOutput | None):
        attempt (int):
        max_retries (int):
        retry_intervals (list[int]):
        timeout_seconds (int):
        run_at (datetime.datetime | None):
        created_at (datetime.datetime):
        enqueued_at (datetime.datetime | None):
        started_at (datetime.datetime | None):
        ended_at (datetime.datetime | None):
        submitted_by (None | UserRef):
        retry_of (None | UUID):
        schedule (None | UUID):
        depends_on (list[UUID]):
        labels (JobOutputLabels):
        version (int): Increases with every change of the job
    """

    id: UUID
    url: str
    task: str
    args: list[Any]
    kwargs: JobOutputKwargs
    queue: str
    state: JobStateEnum
    done: bool
    progress: JobProgressOutput | None
    result: Any
    error: JobErrorOutput | None
    attempt: int
    max_retries: int
    retry_intervals: list[int]
    timeout_seconds: int
    run_at: datetime.datetime | None
    created_at: datetime.datetime
    enqueued_at: datetime.datetime | None
    started_at: datetime.datetime | None
    ended_at: datetime.datetime | None
    submitted_by: None | UserRef
    retry_of: None | UUID
    schedule: None | UUID
    depends_on: list[UUID]
    labels: JobOutputLabels
    version: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.job_error_output import JobErrorOutput
        from ..models.job_progress_output import JobProgressOutput
        from ..models.user_ref import UserRef

        id = str(self.id)

        url = self.url

        task = self.task

        args = self.args

        kwargs = self.kwargs.to_dict()

        queue = self.queue

        state = self.state.value

        done = self.done

        progress: dict[str, Any] | None
        if isinstance(self.progress, JobProgressOutput):
            progress = self.progress.to_dict()
        else:
            progress = self.progress

        result = self.result

        error: dict[str, Any] | None
        if isinstance(self.error, JobErrorOutput):
            error = self.error.to_dict()
        else:
            error = self.error

        attempt = self.attempt

        max_retries = self.max_retries

        retry_intervals = self.retry_intervals

        timeout_seconds = self.timeout_seconds

        run_at: None | str
        if isinstance(self.run_at, datetime.datetime):
            run_at = self.run_at.isoformat()
        else:
            run_at = self.run_at

        created_at = self.created_at.isoformat()

        enqueued_at: None | str
        if isinstance(self.enqueued_at, datetime.datetime):
            enqueued_at = self.enqueued_at.isoformat()
        else:
            enqueued_at = self.enqueued_at

        started_at: None | str
        if isinstance(self.started_at, datetime.datetime):
            started_at = self.started_at.isoformat()
        else:
            started_at = self.started_at

        ended_at: None | str
        if isinstance(self.ended_at, datetime.datetime):
            ended_at = self.ended_at.isoformat()
        else:
            ended_at = self.ended_at

        submitted_by: dict[str, Any] | None
        if isinstance(self.submitted_by, UserRef):
            submitted_by = self.submitted_by.to_dict()
        else:
            submitted_by = self.submitted_by

        retry_of: None | str
        if isinstance(self.retry_of, UUID):
            retry_of = str(self.retry_of)
        else:
            retry_of = self.retry_of

        schedule: None | str
        if isinstance(self.schedule, UUID):
            schedule = str(self.schedule)
        else:
            schedule = self.schedule

        depends_on = []
        for depends_on_item_data in self.depends_on:
            depends_on_item = str(depends_on_item_data)
            depends_on.append(depends_on_item)

        labels = self.labels.to_dict()

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "url": url,
                "task": task,
                "args": args,
                "kwargs": kwargs,
                "queue": queue,
                "state": state,
                "done": done,
                "progress": progress,
                "result": result,
                "error": error,
                "attempt": attempt,
                "max_retries": max_retries,
                "retry_intervals": retry_intervals,
                "timeout_seconds": timeout_seconds,
                "run_at": run_at,
                "created_at": created_at,
                "enqueued_at": enqueued_at,
                "started_at": started_at,
                "ended_at": ended_at,
                "submitted_by": submitted_by,
                "retry_of": retry_of,
                "schedule": schedule,
                "depends_on": depends_on,
                "labels": labels,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.job_error_output import JobErrorOutput
        from ..models.job_output_kwargs import JobOutputKwargs
        from ..models.job_output_labels import JobOutputLabels
        from ..models.job_progress_output import JobProgressOutput
        from ..models.user_ref import UserRef

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        url = d.pop("url")

        task = d.pop("task")

        args = cast(list[Any], d.pop("args"))

        kwargs = JobOutputKwargs.from_dict(d.pop("kwargs"))

        queue = d.pop("queue")

        state = JobStateEnum(d.pop("state"))

        done = d.pop("done")

        def _parse_progress(data: object) -> JobProgressOutput | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                progress_type_0 = JobProgressOutput.from_dict(data)

                return progress_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JobProgressOutput | None, data)

        progress = _parse_progress(d.pop("progress"))

        result = d.pop("result")

        def _parse_error(data: object) -> JobErrorOutput | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                error_type_0 = JobErrorOutput.from_dict(data)

                return error_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JobErrorOutput | None, data)

        error = _parse_error(d.pop("error"))

        attempt = d.pop("attempt")

        max_retries = d.pop("max_retries")

        retry_intervals = cast(list[int], d.pop("retry_intervals"))

        timeout_seconds = d.pop("timeout_seconds")

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

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_enqueued_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                enqueued_at_type_0 = datetime.datetime.fromisoformat(data)

                return enqueued_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        enqueued_at = _parse_enqueued_at(d.pop("enqueued_at"))

        def _parse_started_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                started_at_type_0 = datetime.datetime.fromisoformat(data)

                return started_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        started_at = _parse_started_at(d.pop("started_at"))

        def _parse_ended_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                ended_at_type_0 = datetime.datetime.fromisoformat(data)

                return ended_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        ended_at = _parse_ended_at(d.pop("ended_at"))

        def _parse_submitted_by(data: object) -> None | UserRef:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                submitted_by_type_0 = UserRef.from_dict(data)

                return submitted_by_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UserRef, data)

        submitted_by = _parse_submitted_by(d.pop("submitted_by"))

        def _parse_retry_of(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                retry_of_type_0 = UUID(data)

                return retry_of_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        retry_of = _parse_retry_of(d.pop("retry_of"))

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

        depends_on = []
        _depends_on = d.pop("depends_on")
        for depends_on_item_data in _depends_on:
            depends_on_item = UUID(depends_on_item_data)

            depends_on.append(depends_on_item)

        labels = JobOutputLabels.from_dict(d.pop("labels"))

        version = d.pop("version")

        job_output = cls(
            id=id,
            url=url,
            task=task,
            args=args,
            kwargs=kwargs,
            queue=queue,
            state=state,
            done=done,
            progress=progress,
            result=result,
            error=error,
            attempt=attempt,
            max_retries=max_retries,
            retry_intervals=retry_intervals,
            timeout_seconds=timeout_seconds,
            run_at=run_at,
            created_at=created_at,
            enqueued_at=enqueued_at,
            started_at=started_at,
            ended_at=ended_at,
            submitted_by=submitted_by,
            retry_of=retry_of,
            schedule=schedule,
            depends_on=depends_on,
            labels=labels,
            version=version,
        )

        job_output.additional_properties = d
        return job_output

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
