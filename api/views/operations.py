"""Operator endpoints: queues, workers and Prometheus metrics."""

import hmac
from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from rest_framework import permissions, renderers
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import BearerTokenAuthentication
from api.serializers.operations import QueueHistoryOutput, QueueOutput, WorkerOutput
from api.views.base import AuthenticatedView
from jobs.engine.monitoring import queue_history, queue_stats, worker_list
from jobs.metrics import ConveyorCollector

_registry = CollectorRegistry(auto_describe=False)
_registry.register(ConveyorCollector())


class QueueView(AuthenticatedView):
    """Counts per queue and state, workers per queue, age of the oldest queued job (staff)."""

    permission_classes = [permissions.IsAdminUser]

    @extend_schema(operation_id="queues_list", responses=QueueOutput(many=True))
    def get(self, request: Request) -> Response:
        """List the queues with their counts (staff).

        Per queue: jobs per state, workers serving it and the age of the oldest waiting job."""
        return Response(QueueOutput(queue_stats(), many=True).data)


class QueueHistoryView(AuthenticatedView):
    """Queue depth and jobs finished per minute over the last hour, per queue (staff), rebuilt
    from the jobs' timestamps (for the console's chart; Prometheus keeps longer series)."""

    permission_classes = [permissions.IsAdminUser]

    @extend_schema(operation_id="queues_history", responses=QueueHistoryOutput(many=True), tags=["queues"])
    def get(self, request: Request) -> Response:
        """Read the last hour of each queue (staff).

        Queue depth and jobs finished per minute over the last hour, rebuilt from the jobs' timestamps (the
        console's chart; Prometheus keeps longer series)."""
        return Response(QueueHistoryOutput(queue_history(), many=True).data)


class WorkerView(AuthenticatedView):
    """Live RQ workers (staff)."""

    permission_classes = [permissions.IsAdminUser]

    @extend_schema(operation_id="workers_list", responses=WorkerOutput(many=True))
    def get(self, request: Request) -> Response:
        """List the live workers (staff).

        The RQ workers that reported in lately: name, queues, state and current job."""
        return Response(WorkerOutput(worker_list(), many=True).data)


class _Scraper:
    """The principal of a request bearing METRICS_TOKEN."""

    is_authenticated = True
    is_staff = False


class MetricsTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <METRICS_TOKEN>`, when that setting is set (for Prometheus)."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        expected = settings.METRICS_TOKEN
        header = get_authorization_header(request).split()
        if expected and len(header) == 2 and hmac.compare_digest(header[1], expected.encode()):
            return _Scraper(), None
        return None

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="metrics"'


class StaffOrScraper(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, _Scraper) or bool(request.user and request.user.is_staff)


class PrometheusRenderer(renderers.BaseRenderer):
    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        return data if isinstance(data, bytes | str) else renderers.JSONRenderer().render(data)


class MetricsView(APIView):
    """Prometheus metrics: a staff user's token, or METRICS_TOKEN."""

    authentication_classes = [MetricsTokenAuthentication, BearerTokenAuthentication]
    permission_classes = [StaffOrScraper]
    renderer_classes = [PrometheusRenderer, renderers.JSONRenderer]

    @extend_schema(operation_id="metrics", responses={(200, "text/plain"): OpenApiTypes.STR})
    def get(self, request: Request) -> Response:
        """Scrape Prometheus metrics.

        Jobs by state and task, queue depth, durations, schedule lateness and refusals, in Prometheus's text format.
        A staff user's token or the METRICS_TOKEN setting."""
        return Response(generate_latest(_registry), content_type=CONTENT_TYPE_LATEST)
