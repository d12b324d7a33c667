"""`python -m config.serve`: run the Procfile's processes together until Ctrl-C or SIGTERM.

Starts the embedded Redis too when REDIS_URL is not set. Every process is stopped (by process
group) when this one is asked to stop, or when its parent (e.g. `make`) dies.
"""

import argparse
import contextlib
import ctypes
import os
import signal
import sys
from pathlib import Path

import django
from django.conf import settings
from honcho.environ import parse_procfile
from honcho.manager import Manager
from honcho.printer import Printer

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask Linux to SIGTERM us when our parent exits (make does not forward signals)."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: Ctrl-C still reaches the group
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    parser.add_argument("--web-workers", default="2")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    die_with_parent()

    procfile = parse_procfile((settings.BASE_DIR / "Procfile").read_text())
    names = ["web", "worker", "scheduler"]
    if settings.EMBEDDED_REDIS:
        names.insert(0, "redis")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "WEB_HOST": args.host,
        "WEB_PORT": args.port,
        "WEB_WORKERS": args.web_workers,
    }
    manager = Manager(Printer(sys.stdout, colour=False))
    for name in names:
        manager.add_process(name, procfile.processes[name], env=env, cwd=str(settings.BASE_DIR))
    manager.loop()
    sys.exit(manager.returncode)


if __name__ == "__main__":
    main()
