"""Built-in tasks; importing this package registers them (JobsConfig.ready does)."""

from jobs.tasks import accounts, demo, http, mail, web  # noqa: F401
