"""The Celery + Flower baseline for P1: a Celery app with one no-op task on a Redis broker, for
`flower` to submit through `POST /api/task/async-apply/bench.noop` (bench-only dependencies:
`pip install -e '.[bench]'`). No result backend and no Celery worker: P1 measures submission."""

import os

from celery import Celery

app = Celery("bench", broker=os.environ.get("BENCH_CELERY_BROKER", "redis://127.0.0.1:6379/12"))
app.conf.update(task_serializer="json", accept_content=["json"], result_backend=None)


@app.task(name="bench.noop")
def noop(seconds: float = 0, steps: int = 1) -> None:
    """Takes P1's kwargs; never run here (no Celery worker in the bench)."""
