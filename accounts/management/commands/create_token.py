"""`manage.py create_token USER [--name N]`: print a new API token for USER, and nothing else."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import token_create
from audit.context import attribute


class Command(BaseCommand):
    help = "Create an API token for a user and print it on stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")

    def handle(self, *args: object, **options: str) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no such user: {options['username']}")
        with attribute(channel="system", reason="create_token command"):
            _, secret = token_create(user=user, name=options["name"])
        self.stdout.write(secret)
