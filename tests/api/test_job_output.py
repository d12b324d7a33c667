"""JobOutput's hand-written representation against DRF's generic one, field by field."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from api.serializers.jobs import JobOutput
from jobs.models import Job, JobState
from jobs.services import JobSpec, job_submit

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


@pytest.mark.parametrize("as_staff", [False, True])
def test_the_written_out_representation_is_the_generic_one(user, staff_user, as_staff):
    request = APIRequestFactory().get("/api/v1/jobs/")
    request.user = staff_user if as_staff else user
    for job in shapes(user, staff_user):
        serializer = JobOutput(job, context={"request": request})
        generic = serializers.Serializer.to_representation(serializer, job)
        written = serializer.to_representation(job)
        assert list(written) == list(generic)
        assert written == dict(generic)
