#!/usr/bin/env python
"""Django's command-line utility for Conveyor."""

import os
import sys

# The process role of the long-running commands (config.settings reads CONVEYOR_PROCESS); every
# other command runs as "web".
ROLES = {"rqworker": "worker", "conveyor_scheduler": "scheduler"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("CONVEYOR_PROCESS", ROLES.get(sys.argv[1] if len(sys.argv) > 1 else "", "web"))
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
