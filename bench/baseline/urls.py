"""The hand-written baseline's one URL: `POST /jobs/`."""

from django.urls import path

from bench.baseline.views import submit

urlpatterns = [path("jobs/", submit, name="submit")]
