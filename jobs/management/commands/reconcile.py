"""`manage.py reconcile`: run the reconcile pass once (see jobs.operations.reconcile) and print what it did."""

import json

from django.core.management.base import BaseCommand

from jobs.operations.reconcile import reconcile


class Command(BaseCommand):
    help = "Re-dispatch jobs Redis lost, fail jobs of dead workers, re-arm schedules."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(json.dumps(reconcile()))
