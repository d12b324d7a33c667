"""Top-level routes: the API, its schema and docs, health probes, the admin (django-rq's
dashboard is registered in it, at /admin/django_rq/dashboard/) and the console."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

# Registers the OpenAPI auth extension before any schema is generated. Here and not in the api
# app's ready(): only processes that serve the API load the URLconf, and a worker that imported
# drf-spectacular (DRF, its optional yaml/requests/pygments, django.test) was 12 MiB larger, which
# every fork of a work horse copies (bench/analysis.md, P4).
from api import schema  # noqa: F401
from api.views.docs import RedocView, SwaggerView
from api.views.health import healthz, readyz
from api.views.operations import MetricsView
from jobs.plugins import url_mounts

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", MetricsView.as_view(), name="metrics"),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", admin.site.urls),
    # The operator console: static files only, a client of /api/v1/ like any other.
    path("console/", include("console.urls")),
    # Plug-in apps' own views (CONVEYOR_APPS), with Conveyor's authentication and attribution.
    *[path(prefix, include(module)) for prefix, module in url_mounts()],
]

handler400 = "api.errors.bad_request"
handler403 = "api.errors.permission_denied"
handler404 = "api.errors.not_found"
handler500 = "api.errors.server_error"
