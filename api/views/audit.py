"""Audit endpoints: the staff-wide feed, any audited object's history, and the history action
shared by jobs and schedules."""

import base64
import json
from datetime import datetime
from typing import Any

from django.db.models import Model
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from api.pagination import CursorPagination
from api.serializers.audit import AuditEntryOutput, AuditFeedOutput, AuditFeedQuery, AuditHistoryQuery
from api.views.base import AuthenticatedView
from audit.registry import audited_labels
from audit.selectors import audit_feed, audited_object, entries, history_of
from core.errors import Invalid


class HistoryPagination(CursorPagination):
    ordering = "-history_id"


class VersionPagination(CursorPagination):
    ordering = "-id"


def history_response(view: Any, request: Request, model: type[Model], object_id: object) -> Response:
    """A cursor-paginated page of one object's audit entries, newest first."""
    query = AuditHistoryQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    paginator = HistoryPagination()
    page = paginator.paginate_queryset(history_of(model, object_id, **query.validated_data), request, view=view)
    data = AuditEntryOutput(entries(page or [], model), many=True, context={"request": request}).data
    return paginator.get_paginated_response(data)


HISTORY_SCHEMA: dict[str, Any] = {"parameters": [AuditHistoryQuery], "responses": AuditEntryOutput(many=True)}


def _encode(position: tuple[datetime, str, int]) -> str:
    raw = json.dumps([position[0].isoformat(), position[1], position[2]])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str) -> tuple[datetime, str, int]:
    try:
        at, label, history_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(at), str(label), int(history_id)
    except (ValueError, TypeError):
        raise Invalid("invalid cursor", pointer="/cursor", code="invalid_cursor") from None


class AuditEventView(AuthenticatedView):
    """The audit feed over every audited model (staff only). Audit records are read-only."""

    permission_classes = [permissions.IsAdminUser]

    @extend_schema(operation_id="audit_events_list", parameters=[AuditFeedQuery], responses=AuditFeedOutput)
    def get(self, request: Request) -> Response:
        """Read the audit feed (staff).

        Every audited model's changes in one feed, newest first, filtered by model, object, actor, job, action and
        time. Audit records are read-only."""
        query = AuditFeedQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = dict(query.validated_data)
        limit = filters.pop("page_size", 50)
        cursor = filters.pop("cursor", None)
        model = filters.pop("model", None)
        page = audit_feed(
            models=[model] if model else audited_labels(),
            before=_decode(cursor) if cursor else None,
            limit=limit,
            **filters,
        )
        next_url = None
        if len(page) == limit:
            last = page[-1]
            position = (last.record.history_date, last.model, last.record.history_id)
            next_url = replace_query_param(request.build_absolute_uri(), "cursor", _encode(position))
        feed = {"next": next_url, "previous": None, "results": page}
        return Response(AuditFeedOutput(feed, context={"request": request}).data)


class AuditHistoryView(AuthenticatedView):
    """One object's audit trail, for any audited model (Conveyor's or a plug-in app's), newest
    first. Who may read it is the model's registered rule (staff only unless it says otherwise);
    anything else is a 404."""

    pagination_class = HistoryPagination  # what the schema documents; history_response pages

    @extend_schema(
        operation_id="audit_history",
        parameters=[
            OpenApiParameter("model", str, OpenApiParameter.PATH, enum=audited_labels(), description="Model label"),
            OpenApiParameter("object_id", str, OpenApiParameter.PATH, description="The object's primary key"),
            *HISTORY_SCHEMA["parameters"],
        ],
        responses=HISTORY_SCHEMA["responses"],
    )
    def get(self, request: Request, model: str, object_id: str) -> Response:
        """Read one object's audit trail.

        The history of any audited object (Conveyor's models or a plug-in app's), newest first; `?as_of=T` starts at
        the state at T. Who may read it is the model's registered rule; anything else is a 404."""
        return history_response(self, request, *audited_object(user=request.user, label=model, object_id=object_id))
