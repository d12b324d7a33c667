"""Concurrent calls of one process made together (group commit).

Each web process serves its requests on a pool of threads (config/bridge.py). When several of
them reach the same write at once, `Coalescer.join` makes it once for all of them: the first to
arrive leads and runs what has gathered, those arriving meanwhile wait and are run together by
the next leader, one of them. Nothing waits on purpose: alone, a call runs at once, as it
would without this; under load, the calls that arrive while one group runs form the next.
"""

import threading
from collections.abc import Callable

_LEAD = object()  # what a waiting member is told when it is to lead the next group
_FAILED = object()  # ... when its group's run raised: it runs its own item alone


class _Member[T]:
    __slots__ = ("item", "outcome", "told")

    def __init__(self, item: T) -> None:
        self.item = item
        self.told = threading.Event()
        self.outcome: object = None


class Coalescer[T]:
    """`join(item)` returns once `run` ran with a list holding `item`, in one thread or another.

    `run` must either do all its items' work or raise having done none of it (one statement in
    autocommit): when a group's run raises, each member runs its own item alone, in its own
    thread, so that each sees its own outcome (a group of one raises at once)."""

    def __init__(self, run: Callable[[list[T]], None]) -> None:
        self._run = run
        self._lock = threading.Lock()
        self._waiting: list[_Member[T]] = []
        self._leading = False

    def join(self, item: T) -> None:
        member = _Member(item)
        with self._lock:
            self._waiting.append(member)
            leads, self._leading = not self._leading, True
        if not leads:
            member.told.wait()
            if member.outcome is None:
                return
            if member.outcome is _FAILED:
                self._run([item])
                return
        self._lead(member)

    def _lead(self, member: _Member[T]) -> None:
        with self._lock:
            group, self._waiting = self._waiting, []
        try:
            self._run([m.item for m in group])
        except BaseException as exc:
            self._tell(group, member, _FAILED)
            if len(group) == 1 or not isinstance(exc, Exception):
                raise
        else:
            self._tell(group, member, None)
            return
        self._run([member.item])  # whatever failed the group may not be this item

    def _tell(self, group: list[_Member[T]], member: _Member[T], outcome: object) -> None:
        """Hand the lead to the first of those waiting (first, so that the next group starts
        at once), then tell the group's other members how their run went."""
        with self._lock:
            if self._waiting:
                self._waiting[0].outcome = _LEAD
                self._waiting[0].told.set()
            else:
                self._leading = False
        for other in group:
            if other is not member:
                other.outcome = outcome
                other.told.set()
