"""App config for the operator console (/console/): static HTML, ES modules and CSS only."""

from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
