"""Settings for the test suite: Conveyor's own (config.settings, from the environment), with the
example plug-in app installed, as a deployer would install theirs (tests/plugins exercise it).
Processes the tests start inherit CONVEYOR_APPS and run config.settings themselves."""

import os

os.environ.setdefault("CONVEYOR_APPS", "conveyor_signups")

from config.settings import *  # noqa: F403

# Every request's metrics reach Redis before the response does: tests read them at once.
METRICS_FLUSH_SECONDS = 0
