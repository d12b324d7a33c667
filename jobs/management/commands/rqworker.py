"""`manage.py rqworker`: django-rq's command, running the system checks of what a worker uses.

The checks of what only the web process serves (the URLconf, templates, the admin, middleware
security) import it: every view, middleware and template tag of the API, with DRF,
drf-spectacular and the optional packages they load. That is 16 MiB a worker never uses and
each fork of a work horse copies (bench/analysis.md, P4). The web process and `migrate` run
those checks. This app is listed before django_rq in INSTALLED_APPS, so this command is the one
`rqworker` runs.
"""

import logging
from typing import Any

from django.conf import settings
from django.core import checks
from django_rq.management.commands import rqworker

WEB_ONLY = {checks.Tags.urls, checks.Tags.templates, checks.Tags.admin, checks.Tags.security}


class Command(rqworker.Command):
    requires_system_checks = sorted(set(checks.registry.registry.tags_available()) - WEB_ONLY)

    def handle(self, *args: Any, **options: Any) -> None:
        # django-rq sets RQ's worker logger from the verbosity alone (1: INFO, whatever LOG_LEVEL
        # says), and RQ then makes records of three lines a job that the handler drops. At the
        # default verbosity, RQ logs what LOG_LEVEL lets through (WARNING and above: verbosity 0).
        if options["verbosity"] == 1 and logging.getLevelNamesMapping()[settings.LOG_LEVEL] > logging.INFO:
            options["verbosity"] = 0
        super().handle(*args, **options)
