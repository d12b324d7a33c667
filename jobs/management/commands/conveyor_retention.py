"""`manage.py conveyor_retention [--dry-run]`: run retention batches until nothing is left
(see jobs.operations.retention).

After each batch the command waits as long as the batch took, so a drain takes at most half of
one database backend's time and the service's own requests keep the rest (docs/operations.md,
"Retention"; measured in docs/benchmarks-scale.md). `--no-pause` runs the batches back to back.
"""

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from audit.context import attribute
from jobs.operations.retention import retention_pass

DRY_RUN_ALL = 10**12  # a dry run counts every eligible row, not one batch


class Command(BaseCommand):
    help = "Delete finished jobs and audit history past their retention, in batches; print the counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="count everything that would be deleted now; delete nothing"
        )
        parser.add_argument("--batch-size", type=int, default=None, help="rows per table per batch")
        parser.add_argument("--once", action="store_true", help="run one batch, not until drained")
        parser.add_argument(
            "--no-pause",
            action="store_true",
            help="run the batches back to back (by default each is followed by a pause as long as it took)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()  # one cutoff for the whole drain
        if options["dry_run"] and options["batch_size"] is None:
            options["batch_size"] = DRY_RUN_ALL
        total: dict[str, int] = {}
        with attribute(channel="system", reason="retention"):
            while True:
                started = time.monotonic()
                counts = retention_pass(now=now, batch_size=options["batch_size"], dry_run=options["dry_run"])
                for table, count in counts.items():
                    total[table] = total.get(table, 0) + count
                if options["dry_run"] or options["once"] or not any(counts.values()):
                    break
                if not options["no_pause"]:
                    time.sleep(time.monotonic() - started)
        self.stdout.write(json.dumps(total))
