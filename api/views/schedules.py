"""Schedule endpoints: CRUD, pause/resume/trigger, runs, preview, history, versions, restore."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.idempotency import IDEMPOTENCY_KEY, idempotent
from api.schema import problems
from api.serializers.audit import DeletedScheduleOutput, VersionOutput
from api.serializers.jobs import JobOutput
from api.serializers.schedules import (
    ScheduleChangeInput,
    ScheduleCreateInput,
    ScheduleListQuery,
    ScheduleOutput,
    SchedulePreviewOutput,
    schedule_input,
)
from api.views.audit import HISTORY_SCHEMA, VersionPagination, history_response
from api.views.base import AuthenticatedView
from api.views.jobs import ACCEPTED_HEADERS, POLL_AFTER, SUBMIT_PROBLEMS
from jobs.models import Schedule
from jobs.selectors import (
    job_list,
    schedule_deleted,
    schedule_get,
    schedule_list,
    schedule_versions,
)
from jobs.services.schedules import (
    schedule_create,
    schedule_delete,
    schedule_preview,
    schedule_restore,
    schedule_revert,
    schedule_set_enabled,
    schedule_trigger,
    schedule_update,
)

CREATED_HEADERS = [
    OpenApiParameter(
        "Location", OpenApiTypes.URI, OpenApiParameter.HEADER, response=[201], description="The schedule's URL"
    ),
    OpenApiParameter(
        "Idempotent-Replayed",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[201],
        description="`true` when this is a replayed response",
    ),
]


class ScheduleViewSet(AuthenticatedView, viewsets.GenericViewSet):
    """Schedules: run a task once (`at`), every N seconds (`interval`) or on a cron line in a time zone."""

    lookup_url_kwarg = "id"
    lookup_value_converter = "uuid"
    serializer_class = ScheduleOutput

    def _out(self, schedule: Schedule, status_code: int = status.HTTP_200_OK) -> Response:
        data = ScheduleOutput(schedule, context={"request": self.request}).data
        headers = {"Location": data["url"]} if status_code == status.HTTP_201_CREATED else None
        return Response(data, status=status_code, headers=headers)

    def _get(self, id: str) -> Schedule:
        return schedule_get(user=self.actor, schedule_id=id)

    @extend_schema(operation_id="schedules_list", parameters=[ScheduleListQuery], responses=ScheduleOutput(many=True))
    def list(self, request: Request) -> Response:
        """List schedules.

        Your schedules (all for staff), newest first, filtered by state, task and kind."""
        query = ScheduleListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = self.paginate_queryset(schedule_list(user=self.actor, **query.validated_data))
        return self.get_paginated_response(ScheduleOutput(page, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="schedules_create",
        request=ScheduleCreateInput,
        parameters=[IDEMPOTENCY_KEY, *CREATED_HEADERS],
        responses={201: ScheduleOutput, **problems(409, 422)},
    )
    @idempotent
    def create(self, request: Request) -> Response:
        """Create a schedule.

        Runs a task once (`at`), every N seconds (`interval`) or on a cron line in a time zone (`cron`): 201 with
        the schedule, its Location and its next five fires."""
        schedule = schedule_create(config=schedule_input(request.data), actor=self.actor)
        return self._out(schedule, status.HTTP_201_CREATED)

    @extend_schema(operation_id="schedules_retrieve", responses=ScheduleOutput)
    def retrieve(self, request: Request, id: str) -> Response:
        """Get a schedule.

        The schedule with its state, next and last run and its next five fire times."""
        return self._out(self._get(id))

    @extend_schema(
        operation_id="schedules_update", request=ScheduleChangeInput, responses={200: ScheduleOutput, **problems(409)}
    )
    def partial_update(self, request: Request, id: str) -> Response:
        """Change a schedule.

        Changes the given fields and plans the next fire anew; the change is audited and a new version recorded."""
        schedule = self._get(id)
        changes = schedule_input(request.data, kind=schedule.kind, partial=True)
        return self._out(schedule_update(schedule=schedule, changes=changes, actor=self.actor))

    @extend_schema(operation_id="schedules_delete", responses={204: None})
    def destroy(self, request: Request, id: str) -> Response:
        """Delete a schedule.

        The schedule stops firing; jobs it started stay. It can be restored from /api/v1/schedules/deleted/."""
        schedule_delete(schedule=self._get(id), actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(operation_id="schedules_pause", request=None, responses=ScheduleOutput)
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, id: str) -> Response:
        """Pause a schedule.

        No fire until it is resumed; pausing a paused schedule is a 200 no-op."""
        return self._out(schedule_set_enabled(schedule=self._get(id), enabled=False, actor=self.actor))

    @extend_schema(operation_id="schedules_resume", request=None, responses=ScheduleOutput)
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, id: str) -> Response:
        """Resume a paused schedule.

        Plans the next fire from now; resuming an active schedule is a 200 no-op."""
        return self._out(schedule_set_enabled(schedule=self._get(id), enabled=True, actor=self.actor))

    @extend_schema(
        operation_id="schedules_trigger",
        request=None,
        parameters=[IDEMPOTENCY_KEY, *ACCEPTED_HEADERS],
        responses={202: JobOutput, **SUBMIT_PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def trigger(self, request: Request, id: str) -> Response:
        """Run a schedule now.

        Starts one job from the schedule at once, attributed to the caller; it counts as a run. 202 with the job's
        Location."""
        job = schedule_trigger(schedule=self._get(id), actor=self.actor)
        data = JobOutput(job, context={"request": request}).data
        headers = {"Location": data["url"], "Retry-After": POLL_AFTER}
        return Response(data, status=status.HTTP_202_ACCEPTED, headers=headers)

    @extend_schema(operation_id="schedules_runs", responses=JobOutput(many=True))
    @action(detail=True, methods=["get"])
    def runs(self, request: Request, id: str) -> Response:
        """List the jobs a schedule started.

        The schedule's jobs, newest first."""
        page = self.paginate_queryset(job_list(user=self.actor, schedule=self._get(id)))
        return self.get_paginated_response(JobOutput(page, many=True, context={"request": request}).data)

    @extend_schema(operation_id="schedules_preview", request=ScheduleCreateInput, responses=SchedulePreviewOutput)
    @action(detail=False, methods=["post"])
    def preview(self, request: Request) -> Response:
        """Preview a schedule's next fires.

        Checks a create body as POST /api/v1/schedules/ would and answers its next five fire times; nothing is
        saved."""
        upcoming = schedule_preview(config=schedule_input(request.data), actor=self.actor)
        return Response(SchedulePreviewOutput({"upcoming": upcoming}).data)

    @extend_schema(operation_id="schedules_history", **HISTORY_SCHEMA)
    @action(detail=True, methods=["get"])
    def history(self, request: Request, id: str) -> Response:
        """Read a schedule's audit trail.

        Every change of the schedule, newest first, with who made it and why; `?as_of=T` starts at the state at T."""
        return history_response(self, request, Schedule, self._get(id).pk)

    @extend_schema(operation_id="schedules_versions", responses=VersionOutput(many=True))
    @action(detail=True, methods=["get"])
    def versions(self, request: Request, id: str) -> Response:
        """List a schedule's versions.

        The restore points of the schedule, newest first, each with its data."""
        paginator = VersionPagination()
        page = paginator.paginate_queryset(schedule_versions(schedule=self._get(id)), request, view=self)
        return paginator.get_paginated_response(VersionOutput(page, many=True).data)

    @extend_schema(operation_id="schedules_revert", request=None, responses={200: ScheduleOutput, **problems(409)})
    @action(detail=True, methods=["post"], url_path="versions/<int:version_id>/revert")
    def revert(self, request: Request, id: str, version_id: int) -> Response:
        """Revert a schedule to a version.

        Saves the version's data as a new change (reason "revert to version N") and plans the next fire anew."""
        schedule = schedule_revert(schedule=self._get(id), version_id=version_id, actor=self.actor)
        return self._out(schedule)

    @extend_schema(operation_id="schedules_deleted", responses=DeletedScheduleOutput(many=True))
    @action(detail=False, methods=["get"])
    def deleted(self, request: Request) -> Response:
        """List deleted schedules.

        Each with its id, name, when and by whom it was deleted and the URL that restores it."""
        # A short list (deleted schedules) filtered in Python: one page (page_size, default 50).
        deleted = schedule_deleted(user=self.actor)[: VersionPagination().get_page_size(request)]
        data = DeletedScheduleOutput(deleted, many=True, context={"request": request}).data
        return Response({"next": None, "previous": None, "results": data})

    @extend_schema(
        operation_id="schedules_restore",
        request=None,
        responses={201: OpenApiResponse(ScheduleOutput), **problems(409)},
    )
    @action(detail=False, methods=["post"], url_path="deleted/<int:version_id>/restore")
    def restore(self, request: Request, version_id: int) -> Response:
        """Restore a deleted schedule.

        Brings the schedule back under its id from its last version, planned anew if active: 201 with
        the schedule. A schedule whose owner no longer exists is a 409."""
        return self._out(schedule_restore(version_id=version_id, actor=self.actor), status.HTTP_201_CREATED)
