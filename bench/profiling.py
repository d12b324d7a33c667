"""Sampling profiles of the web processes with py-spy (a dev dependency).

`record()` samples a process tree (uvicorn master + workers) without pausing it, in py-spy's
raw (collapsed stacks) format; `summarize()` turns that into the top frames by self time and
by inclusive time, and the share of a few categories (database, Redis, new connections...).
"""

import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from bench.services import VENV_BIN

# Inclusive-time categories: a sample counts for a category if any frame matches.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "new PostgreSQL connection (connect)": ("get_new_connection (django/db/backends",),
    "PostgreSQL queries (execute, commit)": (
        "Cursor.execute (psycopg/cursor.py",
        "Connection.commit (psycopg/connection.py",
        "CursorWrapper._execute",
    ),
    "Redis round trips": ("Pipeline.execute (redis/client.py", "Redis.execute_command (redis/client.py"),
    "new Redis connection": ("AbstractConnection.connect (redis/connection.py",),
    "simple-history (history rows)": ("simple_history/models.py",),
    "jsonschema validation": ("jsonschema/",),
    "DRF serializers (input + output)": ("rest_framework/serializers.py", "rest_framework/fields.py"),
    "thread start / executor": ("Thread.start (threading.py", "ThreadPoolExecutor._adjust_thread_count"),
}


def py_spy() -> str | None:
    """The py-spy executable, if installed (in the venv or on PATH)."""
    candidate = VENV_BIN / "py-spy"
    if candidate.exists():
        return str(candidate)
    return shutil.which("py-spy")


def record(pid: int, seconds: int, output: Path, rate: int = 100) -> subprocess.Popen[bytes] | None:
    """Start sampling `pid` and its children for `seconds` (only threads holding the GIL, so the
    samples say where they spend CPU); None if py-spy is missing."""
    exe = py_spy()
    if exe is None:
        return None
    sampling = ["--pid", str(pid), "--subprocesses", "--gil", "--duration", str(seconds), "--rate", str(rate)]
    argv = [exe, "record", *sampling, "--format", "raw", "--output", str(output), "--nonblocking"]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _frames(stack: str) -> list[str]:
    frames = []
    for frame in stack.split(";"):
        # Only "function (file:line)" frames: process and thread labels (whose command lines may
        # contain ';') are dropped.
        if frame.startswith(("process ", "thread ")) or not frame.endswith(")") or " (" not in frame:
            continue
        frames.append(frame.replace("/work/main/.venv/lib/python3.13/site-packages/", "").replace("/work/main/", ""))
    return frames


def summarize(path: Path, top: int = 12) -> dict[str, Any]:
    """Top frames by self and inclusive samples and the category shares of a raw profile."""
    self_counts: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = _frames(stack)
        if not frames:
            continue
        total += count
        self_counts[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
        joined = ";".join(frames)
        for name, needles in CATEGORIES.items():
            if any(needle in joined for needle in needles):
                categories[name] += count

    def share(counter: Counter[str], own_code_only: bool = False) -> list[dict[str, Any]]:
        rows = []
        for frame, count in counter.most_common():
            if own_code_only and not frame.split("(")[-1].startswith(("api/", "jobs/", "audit/", "accounts/")):
                continue
            rows.append({"frame": frame, "percent": round(100 * count / max(1, total), 1)})
            if len(rows) >= top:
                break
        return rows

    return {
        "samples": total,
        "top_self": share(self_counts),
        "top_inclusive_app_code": share(inclusive, own_code_only=True),
        "categories": {name: round(100 * n / max(1, total), 1) for name, n in categories.most_common()},
    }
