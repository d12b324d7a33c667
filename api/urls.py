"""Routes under /api/v1/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from api.events import SnapshotNegotiation, job_event_stream
from api.views.accounts import CsrfView, MeView, SessionView, TokenViewSet
from api.views.audit import AuditEventView, AuditHistoryView
from api.views.jobs import JobViewSet, TaskViewSet
from api.views.operations import QueueHistoryView, QueueView, WorkerView
from api.views.schedules import ScheduleViewSet

router = DefaultRouter(use_regex_path=False)
router.include_root_view = False
router.register("auth/tokens", TokenViewSet, basename="token")
router.register("tasks", TaskViewSet, basename="task")
router.register("jobs", JobViewSet, basename="job")
router.register("schedules", ScheduleViewSet, basename="schedule")

job_snapshot = JobViewSet.as_view({"get": "retrieve"}, content_negotiation_class=SnapshotNegotiation)

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("auth/session/", SessionView.as_view(), name="session"),
    path("auth/csrf/", CsrfView.as_view(), name="csrf"),
    path("queues/", QueueView.as_view(), name="queues"),
    path("queues/history/", QueueHistoryView.as_view(), name="queues-history"),
    path("workers/", WorkerView.as_view(), name="workers"),
    path("audit/events/", AuditEventView.as_view(), name="audit-events"),
    path("audit/<str:model>/<str:object_id>/history/", AuditHistoryView.as_view(), name="audit-history"),
    # Served asynchronously around the job detail view; the router's `events` route documents it.
    # (`?wait=N` long-polls are served by config.asgi around the router's job detail.)
    path("jobs/<uuid:id>/events/", job_event_stream(job_snapshot), name="job-events"),
    *router.urls,
]
