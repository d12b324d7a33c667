"""Settings read from the environment: a value outside a setting's choices stops start-up with
ImproperlyConfigured naming the choices; the process role comes from the launcher."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What a process started through manage.py ends up with: its role and its database connection age.
SHOW_ROLE = """
import runpy, sys
sys.argv = ["manage.py", *sys.argv[1:], "--help"]
try:
    runpy.run_path("manage.py", run_name="__main__")
except SystemExit:
    pass
from django.conf import settings
print("ROLE", settings.CONVEYOR_PROCESS, settings.DATABASES["default"].get("CONN_MAX_AGE"))
"""


def python(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items() if name != "CONVEYOR_PROCESS"}
    env = {**clean, "DATABASE_URL": "sqlite:///:memory:", **env}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("name", "value", "choices"),
    [
        ("CONVEYOR_WORKER", "thread", "fork, simple"),
        ("CONVEYOR_PROCESS", "cron", "web, worker, scheduler"),
        ("CONVEYOR_ENV", "prod", "development, production"),
        ("SESSION_COOKIE_SAMESITE", "lax", "Lax, Strict, None"),
    ],
)
def test_a_value_outside_the_choices_stops_start_up_and_names_them(name, value, choices):
    result = python("manage.py", "check", **{name: value})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {name} must be one of {choices}, not {value!r}" in result.stderr


@pytest.mark.parametrize(
    ("command", "role", "conn_max_age"),
    [("rqworker", "worker", "None"), ("conveyor_scheduler", "scheduler", "None"), ("check", "web", "0")],
)
def test_manage_py_gives_each_command_its_process_role(command, role, conn_max_age):
    result = python("-c", SHOW_ROLE, command)
    assert f"ROLE {role} {conn_max_age}" in result.stdout.splitlines(), result.stderr[-2000:]


@pytest.mark.parametrize(("role", "root_level"), [("web", "WARNING"), ("worker", "INFO"), ("scheduler", "INFO")])
def test_only_a_process_that_runs_jobs_makes_records_below_log_level(role, root_level):
    """A worker keeps INFO records for its jobs' own logs (jobs.engine.joblogs); a web process
    makes none that LOG_LEVEL would drop."""
    show = "import django, logging; django.setup(); print('ROOT', logging.getLevelName(logging.getLogger().level))"
    result = python("-c", show, CONVEYOR_PROCESS=role, LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="config.settings")
    assert f"ROOT {root_level}" in result.stdout.splitlines(), result.stderr[-2000:]
