"""App config for jobs: registers the built-in tasks, the plug-in apps' tasks and the audited models."""

from django.apps import AppConfig


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
