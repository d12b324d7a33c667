"""Restore points with django-reversion, attributed from the attribution context."""

from collections.abc import Iterator
from contextlib import contextmanager

import reversion

from audit.context import current
from audit.models import RevisionContext


@contextmanager
def restore_point(comment: str) -> Iterator[None]:
    """Record what the block saves of a registered model as one revision, with user and comment."""
    ctx = current()
    with reversion.create_revision(atomic=True):
        reversion.set_user(ctx.actor)
        reversion.set_comment(comment)
        reversion.add_meta(RevisionContext, channel=ctx.channel, request_id=ctx.request_id or "", job_id=ctx.job_id)
        yield
