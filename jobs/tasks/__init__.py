"""Built-in tasks; importing this package registers them (JobsConfig.ready does)."""

from jobs.tasks import accounts, demo, mail, web  # noqa: F401
