"""Routes under /api/v1/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from api.events import job_event_stream
from api.longpoll import with_long_poll
from api.views.accounts import MeView, TokenViewSet
from api.views.audit import AuditEventView
from api.views.jobs import JobViewSet, TaskViewSet
from api.views.operations import QueueView, WorkerView
from api.views.schedules import ScheduleViewSet

router = DefaultRouter(use_regex_path=False)
router.include_root_view = False
router.register("auth/tokens", TokenViewSet, basename="token")
router.register("tasks", TaskViewSet, basename="task")
router.register("jobs", JobViewSet, basename="job")
router.register("schedules", ScheduleViewSet, basename="schedule")

job_detail = JobViewSet.as_view({"get": "retrieve"})

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("queues/", QueueView.as_view(), name="queues"),
    path("workers/", WorkerView.as_view(), name="workers"),
    path("audit/events/", AuditEventView.as_view(), name="audit-events"),
    # Served first, asynchronously (?wait=N long-polls; the event stream) around the same sync
    # view; the router's routes document them.
    path("jobs/<uuid:id>/", with_long_poll(job_detail), name="job-detail-longpoll"),
    path("jobs/<uuid:id>/events/", job_event_stream(job_detail), name="job-events"),
    *router.urls,
]
