"""core.coalesce: concurrent calls made together, and what a failing group does."""

import threading
import time

import pytest

from core.coalesce import Coalescer


def _gathered(coalescer: Coalescer, count: int) -> None:  # type: ignore[type-arg]
    """Wait until `count` calls wait for the running group."""
    deadline = time.monotonic() + 5
    while len(coalescer._waiting) < count:
        assert time.monotonic() < deadline, "the calls never gathered"
        time.sleep(0.001)


def _join_all(coalescer: Coalescer, items: list[str]) -> dict[str, BaseException | None]:  # type: ignore[type-arg]
    """Join each item from a thread of its own (a daemon: a call that hangs fails the test, not the run)."""
    outcomes: dict[str, BaseException | None] = {}

    def call(item: str) -> None:
        try:
            coalescer.join(item)
            outcomes[item] = None
        except Exception as exc:
            outcomes[item] = exc

    threads = [threading.Thread(target=call, args=(item,), daemon=True) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    return outcomes


def test_calls_arriving_while_a_group_runs_are_run_together_next():
    runs: list[list[str]] = []

    def run(items: list[str]) -> None:
        runs.append(items)
        if items == ["first"]:
            _gathered(coalescer, 3)  # three more arrive meanwhile

    coalescer = Coalescer(run)
    first = threading.Thread(target=coalescer.join, args=("first",))
    first.start()
    while not runs:
        time.sleep(0.001)

    outcomes = _join_all(coalescer, ["a", "b", "c"])
    first.join(5)

    assert outcomes == {"a": None, "b": None, "c": None}
    assert runs[0] == ["first"] and sorted(runs[1]) == ["a", "b", "c"] and len(runs) == 2


def test_a_call_alone_runs_at_once_in_its_own_thread_and_leaves_the_lead_free():
    threads = []
    coalescer = Coalescer(lambda items: threads.append((items, threading.current_thread())))

    coalescer.join("x")
    coalescer.join("y")

    assert threads == [(["x"], threading.current_thread()), (["y"], threading.current_thread())]
    assert coalescer._waiting == [] and coalescer._leading is False


def test_a_failing_group_runs_each_member_alone_and_only_the_bad_one_fails():
    runs: list[list[str]] = []

    def run(items: list[str]) -> None:
        runs.append(items)
        if items == ["first"]:
            _gathered(coalescer, 3)
        elif "bad" in items:
            raise ValueError(f"refused: {items}")

    coalescer = Coalescer(run)
    first = threading.Thread(target=coalescer.join, args=("first",))
    first.start()
    while not runs:
        time.sleep(0.001)

    outcomes = _join_all(coalescer, ["a", "bad", "c"])
    first.join(5)

    assert outcomes["a"] is None and outcomes["c"] is None
    assert str(outcomes["bad"]) == "refused: ['bad']"  # its own run's error, not the group's
    assert sorted(runs[1]) == ["a", "bad", "c"] and sorted(map(tuple, runs[2:])) == [("a",), ("bad",), ("c",)]
    coalescer.join("after")  # the lead was handed back: a later call runs at once
    assert runs[-1] == ["after"]


def test_a_group_of_one_raises_its_error_and_leaves_the_lead_free():
    def run(items: list[str]) -> None:
        if items == ["bad"]:
            raise ValueError("refused")

    coalescer = Coalescer(run)

    with pytest.raises(ValueError, match="refused"):
        coalescer.join("bad")
    assert _join_all(coalescer, ["good"]) == {"good": None}  # not left waiting for a leader that is gone
