from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.audit_action_enum import AuditActionEnum

if TYPE_CHECKING:
    from ..models.audit_change import AuditChange
    from ..models.audit_event_output_snapshot import AuditEventOutputSnapshot
    from ..models.audit_via import AuditVia
    from ..models.user_ref import UserRef


T = TypeVar("T", bound="AuditEventOutput")


@_attrs_define
class AuditEventOutput:
    """
    Attributes:
        id (int):
        at (datetime.datetime):
        action (AuditActionEnum): * `changed` - changed
            * `created` - created
            * `deleted` - deleted
        actor (None | UserRef):
        via (AuditVia):
        reason (None | str):
        changes (list[AuditChange]):
        snapshot (AuditEventOutputSnapshot):
        model (str):
        object_id (str):
        object_repr (str):
    """

    id: int
    at: datetime.datetime
    action: AuditActionEnum
    actor: None | UserRef
    via: AuditVia
    reason: None | str
    changes: list[AuditChange]
    snapshot: AuditEventOutputSnapshot
    model: str
    object_id: str
    object_repr: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.user_ref import UserRef

        id = self.id

        at = self.at.isoformat()

        action = self.action.value

        actor: dict[str, Any] | None
        if isinstance(self.actor, UserRef):
            actor = self.actor.to_dict()
        else:
            actor = self.actor

        via = self.via.to_dict()

        reason: None | str
        reason = self.reason

        changes = []
        for changes_item_data in self.changes:
            changes_item = changes_item_data.to_dict()
            changes.append(changes_item)

        snapshot = self.snapshot.to_dict()

        model = self.model

        object_id = self.object_id

        object_repr = self.object_repr

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "at": at,
                "action": action,
                "actor": actor,
                "via": via,
                "reason": reason,
                "changes": changes,
                "snapshot": snapshot,
                "model": model,
                "object_id": object_id,
                "object_repr": object_repr,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.audit_change import AuditChange
        from ..models.audit_event_output_snapshot import AuditEventOutputSnapshot
        from ..models.audit_via import AuditVia
        from ..models.user_ref import UserRef

        d = dict(src_dict)
        id = d.pop("id")

        at = datetime.datetime.fromisoformat(d.pop("at"))

        action = AuditActionEnum(d.pop("action"))

        def _parse_actor(data: object) -> None | UserRef:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                actor_type_0 = UserRef.from_dict(data)

                return actor_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UserRef, data)

        actor = _parse_actor(d.pop("actor"))

        via = AuditVia.from_dict(d.pop("via"))

        def _parse_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        reason = _parse_reason(d.pop("reason"))

        changes = []
        _changes = d.pop("changes")
        for changes_item_data in _changes:
            changes_item = AuditChange.from_dict(changes_item_data)

            changes.append(changes_item)

        snapshot = AuditEventOutputSnapshot.from_dict(d.pop("snapshot"))

        model = d.pop("model")

        object_id = d.pop("object_id")

        object_repr = d.pop("object_repr")

        audit_event_output = cls(
            id=id,
            at=at,
            action=action,
            actor=actor,
            via=via,
            reason=reason,
            changes=changes,
            snapshot=snapshot,
            model=model,
            object_id=object_id,
            object_repr=object_repr,
        )

        audit_event_output.additional_properties = d
        return audit_event_output

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
