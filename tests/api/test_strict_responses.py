"""Real responses validate under a strict OpenAPI 3.1 validator against the committed schema:
"object or null" fields (a job's progress and error, an audit entry's actor) read right either way."""

import pytest

from jobs.models import Job
from tests.contract.strict import validate_django_response

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis")]


def test_a_job_with_null_and_with_set_objects_validates(api):
    submitted = api.post("/api/v1/jobs/", {"task": "demo.sleep", "kwargs": {"seconds": 0}}, format="json")
    validate_django_response(submitted)
    job = submitted.json()
    assert (job["progress"], job["error"]) == (None, None)

    Job.objects.filter(pk=job["id"]).update(
        progress={"current": 1, "total": 2, "percent": 50.0, "message": "half"},
        error={"type": "ValueError", "message": "no"},
    )
    detail = api.get(f"/api/v1/jobs/{job['id']}/")
    assert detail.json()["progress"]["current"] == 1 and detail.json()["error"]["type"] == "ValueError"
    validate_django_response(detail)


def test_history_entries_with_and_without_an_actor_validate(api):
    job_id = api.post("/api/v1/jobs/", {"task": "demo.sleep", "kwargs": {"seconds": 0}}, format="json").json()["id"]
    Job.objects.get(pk=job_id).save()  # outside a request: nobody to attribute it to
    history = api.get(f"/api/v1/jobs/{job_id}/history/")
    actors = [entry["actor"] for entry in history.json()["results"]]
    assert None in actors and any(actors), actors
    validate_django_response(history)
