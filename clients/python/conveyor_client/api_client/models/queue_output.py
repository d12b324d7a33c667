from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="QueueOutput")


@_attrs_define
class QueueOutput:
    """
    Attributes:
        name (str):
        scheduled (int):
        deferred (int):
        queued (int):
        running (int):
        failed_24h (int):
        rq_queued (int): Length of the RQ queue
        rq_started (int):
        rq_failed (int):
        workers (int):
        oldest_queued_seconds (float | None):
        max_depth (int | None): Submits to this queue are refused (503) while rq_queued is at or above it; null = no cap
    """

    name: str
    scheduled: int
    deferred: int
    queued: int
    running: int
    failed_24h: int
    rq_queued: int
    rq_started: int
    rq_failed: int
    workers: int
    oldest_queued_seconds: float | None
    max_depth: int | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        scheduled = self.scheduled

        deferred = self.deferred

        queued = self.queued

        running = self.running

        failed_24h = self.failed_24h

        rq_queued = self.rq_queued

        rq_started = self.rq_started

        rq_failed = self.rq_failed

        workers = self.workers

        oldest_queued_seconds: float | None
        oldest_queued_seconds = self.oldest_queued_seconds

        max_depth: int | None
        max_depth = self.max_depth

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "scheduled": scheduled,
                "deferred": deferred,
                "queued": queued,
                "running": running,
                "failed_24h": failed_24h,
                "rq_queued": rq_queued,
                "rq_started": rq_started,
                "rq_failed": rq_failed,
                "workers": workers,
                "oldest_queued_seconds": oldest_queued_seconds,
                "max_depth": max_depth,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        scheduled = d.pop("scheduled")

        deferred = d.pop("deferred")

        queued = d.pop("queued")

        running = d.pop("running")

        failed_24h = d.pop("failed_24h")

        rq_queued = d.pop("rq_queued")

        rq_started = d.pop("rq_started")

        rq_failed = d.pop("rq_failed")

        workers = d.pop("workers")

        def _parse_oldest_queued_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        oldest_queued_seconds = _parse_oldest_queued_seconds(
            d.pop("oldest_queued_seconds")
        )

        def _parse_max_depth(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        max_depth = _parse_max_depth(d.pop("max_depth"))

        queue_output = cls(
            name=name,
            scheduled=scheduled,
            deferred=deferred,
            queued=queued,
            running=running,
            failed_24h=failed_24h,
            rq_queued=rq_queued,
            rq_started=rq_started,
            rq_failed=rq_failed,
            workers=workers,
            oldest_queued_seconds=oldest_queued_seconds,
            max_depth=max_depth,
        )

        queue_output.additional_properties = d
        return queue_output

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
