"""App config for jobs: registers the built-in tasks, the plug-in apps' tasks and the audited
models, and announces a job deleted one by one (the admin, a cascade) as it announces a change."""

from typing import Any

from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete

from core.notices import notify


def announce_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    pk = instance.pk  # Django clears it once the delete is done
    transaction.on_commit(lambda: notify([pk]))


class JobsConfig(AppConfig):
    name = "jobs"

    def ready(self) -> None:
        from audit import registry
        from jobs import plugins, tasks  # noqa: F401  (importing jobs.tasks registers the built-in tasks)
        from jobs.models import Job, Schedule
        from jobs.selectors import job_visible, schedule_visible

        # Staff read any trail, a deleted object's too; others the trails of what they may see.
        registry.register(
            Job, readable_by=lambda user, pk: user.is_staff or job_visible(user=user).filter(pk=pk).exists()
        )
        registry.register(
            Schedule, readable_by=lambda user, pk: user.is_staff or schedule_visible(user=user).filter(pk=pk).exists()
        )
        plugins.discover_tasks()
        post_delete.connect(announce_deleted, sender=Job, dispatch_uid="jobs.job_deleted")
