"""`manage.py conveyor_scheduler`: run the scheduler process (see jobs.scheduling.process)."""

from django.core.management.base import BaseCommand, CommandParser

from core.redis import redis_connection
from jobs.scheduling.process import ConveyorScheduler


class Command(BaseCommand):
    help = "Run rq-scheduler with Conveyor's dispatch pass."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between passes")
        parser.add_argument("--burst", action="store_true", help="run one pass and exit")

    def handle(self, *args: object, **options: object) -> None:
        scheduler = ConveyorScheduler(connection=redis_connection(), interval=options["interval"])
        scheduler.run(burst=bool(options["burst"]))
