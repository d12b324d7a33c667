"""The cluster ledger's checks on their own (no cluster needed): what counts as a missed slot, and
as a job run twice."""

import pytest

from tests.cluster.conftest import Fire, missed_slots, starts_and_retries

SINCE = 1_000.25  # a window that starts and ends inside a second, as the tests' windows do
UNTIL = 1_030.9


def grid(schedule: str, first: float, skip: float | None = None) -> list[Fire]:
    """Fires of a 10 s interval schedule at first, first + 10, ... up to UNTIL, but `skip`."""
    return [Fire(schedule, first + 10 * n, 0.0) for n in range(5) if first + 10 * n != skip]


def test_every_slot_fired_is_clean_even_one_due_just_before_the_window_ends() -> None:
    # 1,030.2 is due inside the window, in its last (partial) second: a window cut to whole
    # seconds left it out, and the gap from 1,020.2 to the end read as a slot never fired.
    assert missed_slots({"a": 10.0}, grid("a", 1_000.2), SINCE, UNTIL) == []


def test_a_slot_not_fired_is_missed() -> None:
    assert missed_slots(
        {"a": 10.0, "b": 10.0}, grid("a", 1_000.4, skip=1_010.4) + grid("b", 1_000.5), SINCE, UNTIL
    ) == ["a after 1000.400"]


def test_a_schedule_that_never_fired_misses_its_slots() -> None:
    assert missed_slots({"a": 10.0, "b": 10.0}, grid("b", 1_000.5), SINCE, UNTIL) == [f"a after {SINCE:.3f}"]


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        # a short run: its start and end in one change
        ([("queued", 0), ("succeeded", 1)], (1, 0)),
        ([("queued", 0), ("running", 1), ("succeeded", 1)], (1, 0)),
        # a worker lost mid-run, retried by the policy, run again: two starts, one retry
        ([("queued", 0), ("running", 1), ("scheduled", 1), ("queued", 1), ("running", 2), ("succeeded", 2)], (2, 1)),
        # a short run that failed, retried in the same change, run again
        ([("queued", 0), ("scheduled", 1), ("queued", 1), ("succeeded", 2)], (2, 1)),
        # a second start no failed run put back (a late pop of a job already run): two starts, no retry
        ([("queued", 0), ("running", 1), ("succeeded", 1), ("running", 2), ("succeeded", 2)], (2, 0)),
        # delayed, then canceled: never started
        ([("scheduled", 0), ("queued", 0), ("canceled", 0)], (0, 0)),
    ],
)
def test_starts_and_retries(history: list[tuple[str, int]], expected: tuple[int, int]) -> None:
    assert starts_and_retries(history) == expected
