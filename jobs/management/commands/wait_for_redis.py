"""`manage.py wait_for_redis`: block until Redis answers, so processes can start in any order."""

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from redis.exceptions import ConnectionError as RedisConnectionError

from core.redis import redis_connection


class Command(BaseCommand):
    help = "Wait until the configured Redis answers PING."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--timeout", type=float, default=30.0)

    def handle(self, *args: object, **options: float) -> None:
        deadline = time.monotonic() + options["timeout"]
        while True:
            try:
                redis_connection().ping()
                return
            except (RedisConnectionError, FileNotFoundError):
                if time.monotonic() > deadline:
                    raise CommandError("Redis did not answer in time") from None
                time.sleep(0.1)
