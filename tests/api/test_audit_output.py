"""The audit entries' hand-written representations against DRF's generic ones, field by field."""

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from api.serializers.audit import AuditEntryOutput, AuditEventOutput
from audit.registry import audited_labels
from audit.selectors import Entry, audit_feed
from jobs.models import Job

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis")]

CRON = {"name": "nightly", "task": "demo.sleep", "kwargs": {"seconds": 0}, "kind": "cron", "cron": "0 3 * * *"}


def every_shape(api, user) -> list[Entry]:
    """Entries created, changed and deleted; with an actor and without one; with a reason; of a
    job with a traceback; of a model with a secret field."""
    url = api.post("/api/v1/schedules/", CRON, format="json").json()["url"]
    api.patch(url, {"cron": "30 4 * * *"}, format="json", HTTP_X_REQUEST_ID="req-1")
    assert api.delete(url).status_code == 204
    job = Job.objects.get(pk=api.post("/api/v1/jobs/", {"task": "demo.noop"}, format="json").json()["id"])
    job.error = {"type": "ValueError", "message": "no", "traceback": "Traceback ..."}
    job._change_reason = "set by the test"  # type: ignore[attr-defined]  # simple_history's hook
    job.save()  # outside any request: no actor
    user.set_password("another secret")
    user.save()
    found = audit_feed(models=audited_labels(), limit=100)
    assert {e.action for e in found} == {"created", "changed", "deleted"}
    assert any(e.record.history_user_id is None for e in found)
    assert any(e.record.history_change_reason for e in found)
    assert any(e.model == "jobs.job" and (e.snapshot.get("error") or {}).get("traceback") for e in found)
    return found


@pytest.mark.parametrize("serializer_class", [AuditEntryOutput, AuditEventOutput])
@pytest.mark.parametrize(("as_staff", "zone"), [(False, None), (True, None), (False, "Asia/Kolkata")])
def test_the_written_out_representation_is_the_generic_one(api, user, staff_user, serializer_class, as_staff, zone):
    request = APIRequestFactory().get("/api/v1/audit/events/")
    request.user = staff_user if as_staff else user
    for entry in every_shape(api, user):
        with timezone.override(zone):  # timestamps in the zone active, as DRF shows them
            serializer = serializer_class(entry, context={"request": request})
            generic = serializers.Serializer.to_representation(serializer, entry)
            written = serializer.to_representation(entry)
        assert list(written) == list(generic)
        assert written == dict(generic)
