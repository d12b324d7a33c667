from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.task_output_parameters import TaskOutputParameters


T = TypeVar("T", bound="TaskOutput")


@_attrs_define
class TaskOutput:
    """
    Attributes:
        name (str):
        description (str):
        queue (str):
        timeout_seconds (int):
        max_retries (int):
        retry_intervals (list[int]):
        staff_only (bool):
        needs_worker (bool): Submits are refused (503, no_worker) while no live worker listens on the task's queue
        parameters (TaskOutputParameters): JSON Schema of the task's keyword arguments
    """

    name: str
    description: str
    queue: str
    timeout_seconds: int
    max_retries: int
    retry_intervals: list[int]
    staff_only: bool
    needs_worker: bool
    parameters: TaskOutputParameters
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        description = self.description

        queue = self.queue

        timeout_seconds = self.timeout_seconds

        max_retries = self.max_retries

        retry_intervals = self.retry_intervals

        staff_only = self.staff_only

        needs_worker = self.needs_worker

        parameters = self.parameters.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "description": description,
                "queue": queue,
                "timeout_seconds": timeout_seconds,
                "max_retries": max_retries,
                "retry_intervals": retry_intervals,
                "staff_only": staff_only,
                "needs_worker": needs_worker,
                "parameters": parameters,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.task_output_parameters import TaskOutputParameters

        d = dict(src_dict)
        name = d.pop("name")

        description = d.pop("description")

        queue = d.pop("queue")

        timeout_seconds = d.pop("timeout_seconds")

        max_retries = d.pop("max_retries")

        retry_intervals = cast(list[int], d.pop("retry_intervals"))

        staff_only = d.pop("staff_only")

        needs_worker = d.pop("needs_worker")

        parameters = TaskOutputParameters.from_dict(d.pop("parameters"))

        task_output = cls(
            name=name,
            description=description,
            queue=queue,
            timeout_seconds=timeout_seconds,
            max_retries=max_retries,
            retry_intervals=retry_intervals,
            staff_only=staff_only,
            needs_worker=needs_worker,
            parameters=parameters,
        )

        task_output.additional_properties = d
        return task_output

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
