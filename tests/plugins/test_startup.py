"""A plug-in app that cannot be registered stops every process at start-up, with a message that
says what is wrong and where; nothing half-registered ever serves."""

import subprocess
import sys

import pytest
from django.conf import settings

from tests.helpers import subprocess_env


def start(apps: str) -> subprocess.CompletedProcess[str]:
    """`manage.py check` (what every process runs first) with CONVEYOR_APPS=apps."""
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env={**subprocess_env(), "CONVEYOR_APPS": apps},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("apps", "message"),
    [
        ("conveyor_nonexistent", "CONVEYOR_APPS names 'conveyor_nonexistent', which is not installed"),
        ("tests.plugins.apps.clash", "task 'demo.sleep' is registered twice: by tests.plugins.apps.clash.tasks.sleep"),
        (
            "tests.plugins.apps.badschema",
            "task 'badschema.run' (tests.plugins.apps.badschema.tasks.run): its parameters",
        ),
        ("tests.plugins.apps.untyped", "tests.plugins.apps.untyped.tasks.greet: parameter 'name' needs a type hint"),
    ],
)
def test_a_plugin_that_cannot_register_stops_start_up(apps, message):
    result = start(apps)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr, result.stderr[-2000:]


def test_the_example_app_starts():
    result = start("conveyor_signups")
    assert result.returncode == 0, result.stderr[-2000:]
