"""The routes as config.asgi's WSGI handler serves them: config.urls, except that the job detail
resolves to the synchronous view itself. config.asgi sends a job detail there only without
`?wait`, so nothing on this handler waits; long-polls and event streams keep the ASGI handler."""

from django.urls import path

from api.urls import job_detail
from config.urls import handler400, handler403, handler404, handler500
from config.urls import urlpatterns as routes

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

urlpatterns = [path("api/v1/jobs/<uuid:id>/", job_detail, name="job-detail-plain"), *routes]
