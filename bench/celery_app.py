"""The peer baseline of P1: Celery + Flower. A Celery app with one no-op task on a Redis broker,
served by `celery -A bench.celery_app flower`; P1 posts to Flower's
`POST /api/task/async-apply/noop`, which sends the task to the broker and answers with its id
(no worker runs: P1 measures submission). Bench-only: `pip install -e '.[bench]'`."""

import os

from celery import Celery

app = Celery("bench", broker=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/12"))
app.conf.update(task_serializer="json", accept_content=["json"], broker_connection_retry_on_startup=True)


@app.task(name="noop")
def noop() -> None:
    """Do nothing."""
