"""`manage.py bootstrap_dev`: make a development install usable and say how to reach it."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from accounts.services import token_create
from audit.context import attribute


class Command(BaseCommand):
    help = "Create a development superuser if none exists and print the URLs and a fresh token."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args: object, **options: str) -> None:
        users = get_user_model().objects
        base = options["base_url"].rstrip("/")
        with attribute(channel="system", reason="development bootstrap"):
            admin = users.filter(is_superuser=True).order_by("pk").first()
            if admin is None:
                password = secrets.token_urlsafe(12)
                admin = users.create_superuser("admin", "admin@localhost", password)
                self.stdout.write(f"Created superuser 'admin' with password: {password}")
            _, secret = token_create(user=admin, name="make run")
        self.stdout.write(
            f"\nConveyor API:  {base}/api/v1/\n"
            f"API docs:      {base}/api/docs/\n"
            f"Admin:         {base}/admin/\n"
            f"Token for '{admin.get_username()}':\n\n"
            f"  export TOKEN={secret}\n"
            f'  curl -H "Authorization: Bearer $TOKEN" {base}/api/v1/me/\n'
        )
