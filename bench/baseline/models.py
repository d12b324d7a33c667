"""The baseline's one table (created with `migrate --run-syncdb`: the app has no migrations)."""

import uuid
from typing import ClassVar

from django.db import models


class Task(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.CharField(max_length=100)
    kwargs = models.JSONField(default=dict)
    state = models.CharField(max_length=10, default="queued")
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[models.Manager["Task"]] = models.Manager()

    class Meta:
        app_label = "bench_baseline"

    def __str__(self) -> str:
        return f"{self.task} {self.id}"
