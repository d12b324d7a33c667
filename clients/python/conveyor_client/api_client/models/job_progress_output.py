from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="JobProgressOutput")


@_attrs_define
class JobProgressOutput:
    """
    Attributes:
        current (int):
        total (int | None):
        percent (float | None):
        message (str):
    """

    current: int
    total: int | None
    percent: float | None
    message: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        current = self.current

        total: int | None
        total = self.total

        percent: float | None
        percent = self.percent

        message = self.message

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "current": current,
                "total": total,
                "percent": percent,
                "message": message,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        current = d.pop("current")

        def _parse_total(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        total = _parse_total(d.pop("total"))

        def _parse_percent(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        percent = _parse_percent(d.pop("percent"))

        message = d.pop("message")

        job_progress_output = cls(
            current=current,
            total=total,
            percent=percent,
            message=message,
        )

        job_progress_output.additional_properties = d
        return job_progress_output

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
