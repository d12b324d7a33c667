"""Routes under /api/v1/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from api.longpoll import with_long_poll
from api.views.accounts import MeView, TokenViewSet
from api.views.audit import AuditEventViewSet
from api.views.jobs import JobViewSet, TaskViewSet
from api.views.schedules import ScheduleViewSet

router = DefaultRouter(use_regex_path=False)
router.include_root_view = False
router.register("auth/tokens", TokenViewSet, basename="token")
router.register("tasks", TaskViewSet, basename="task")
router.register("jobs", JobViewSet, basename="job")
router.register("schedules", ScheduleViewSet, basename="schedule")
router.register("audit/events", AuditEventViewSet, basename="audit-event")

job_detail = with_long_poll(JobViewSet.as_view({"get": "retrieve"}))

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    # Served first so that ?wait=N long-polls asynchronously; same view, same schema.
    path("jobs/<uuid:id>/", job_detail, name="job-detail-longpoll"),
    *router.urls,
]
