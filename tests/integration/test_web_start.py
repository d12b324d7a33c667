"""What a web process does at start-up, before its first request."""

import subprocess
import sys

import pytest

from tests.helpers import subprocess_env

pytestmark = pytest.mark.django_db


def test_the_start_up_heap_with_every_view_is_frozen_out_of_the_collectors_sight():
    code = "import gc, sys, config.asgi; print(gc.get_freeze_count(), 'api.views.audit' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], env=subprocess_env(), capture_output=True, text=True, timeout=60, check=True
    )
    frozen, views_loaded = done.stdout.split()[-2:]
    assert views_loaded == "True"
    assert int(frozen) > 50_000
