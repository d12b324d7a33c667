"""JobOutput's hand-written representation against DRF's generic one, field by field."""

import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse as django_reverse
from django.urls import set_script_prefix
from django.utils import timezone
from rest_framework import serializers
from rest_framework.reverse import reverse
from rest_framework.test import APIRequestFactory

from api.serializers.jobs import JobOutput, _job_path
from jobs.models import Job, JobState
from jobs.services.jobs import JobSpec, job_submit

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis")]


def shapes(user, staff_user) -> list[Job]:
    """A job in each shape the output has branches for."""
    plain = job_submit(spec=JobSpec(task="demo.sleep", kwargs={"seconds": 0}), actor=user)
    later = job_submit(
        spec=JobSpec(task="demo.sleep", kwargs={"seconds": 0}, delay_seconds=60, labels={"env": "t"}), actor=user
    )
    child = job_submit(spec=JobSpec(task="demo.sleep", kwargs={"seconds": 0}, depends_on=[later.pk]), actor=user)
    now = timezone.now()
    Job.objects.filter(pk=plain.pk).update(
        state=JobState.FAILED,
        started_at=now - timedelta(seconds=1),
        ended_at=now,
        progress={"current": 1, "total": None, "percent": None, "message": ""},
        error={"type": "ValueError", "message": "no", "traceback": "Traceback ..."},
        result=[1, {"a": None}],
        retry_of=later,
    )
    orphan = job_submit(spec=JobSpec(task="demo.sleep", kwargs={"seconds": 0}), actor=staff_user)
    Job.objects.filter(pk=orphan.pk).update(submitted_by=None)
    jobs = [Job.objects.select_related("submitted_by").get(pk=job.pk) for job in (plain, later, child, orphan)]
    jobs[1].schedule_id = uuid.uuid4()  # only its id is shown
    return jobs


@pytest.mark.parametrize("zone", [None, "Asia/Kolkata"])  # timestamps in the zone active, as DRF shows them
@pytest.mark.parametrize("as_staff", [False, True])
def test_the_written_out_representation_is_the_generic_one(user, staff_user, as_staff, zone):
    request = APIRequestFactory().get("/api/v1/jobs/")
    request.user = staff_user if as_staff else user
    for job in shapes(user, staff_user):
        with timezone.override(zone):
            serializer = JobOutput(job, context={"request": request})
            generic = serializers.Serializer.to_representation(serializer, job)
            written = serializer.to_representation(job)
        assert list(written) == list(generic)
        assert written == dict(generic)


def test_the_job_url_is_reversed_once_per_process_and_each_job_gets_its_own(user, staff_user):
    request = APIRequestFactory().get("/api/v1/jobs/", HTTP_HOST="localhost")
    request.user = user
    jobs = shapes(user, staff_user)
    expected = [reverse("job-detail", kwargs={"id": job.pk}, request=request) for job in jobs]
    _job_path.cache_clear()

    with mock.patch("api.serializers.jobs.reverse", wraps=django_reverse) as reversing:
        urls = [item["url"] for item in JobOutput(jobs, many=True, context={"request": request}).data]
        again = JobOutput(jobs[0], context={"request": request}).data["url"]

    assert urls == expected and len(set(urls)) == len(jobs) and again == urls[0]
    assert urls[0].startswith("http://localhost/api/v1/jobs/")
    assert reversing.call_count == 1


def test_the_job_url_follows_the_script_prefix_it_is_served_under(user):
    job = job_submit(spec=JobSpec(task="demo.sleep", kwargs={"seconds": 0}), actor=user)
    request = APIRequestFactory().get("/api/v1/jobs/", HTTP_HOST="localhost")
    plain = JobOutput(job, context={"request": request}).data["url"]
    try:
        set_script_prefix("/conveyor/")
        prefixed = JobOutput(job, context={"request": request}).data["url"]
    finally:
        set_script_prefix("/")

    assert plain == f"http://localhost/api/v1/jobs/{job.pk}/"
    assert prefixed == f"http://localhost/conveyor/api/v1/jobs/{job.pk}/"
    assert JobOutput(job, context={"request": request}).data["url"] == plain
