"""Property tests: cron fire times against a minute-by-minute reference, and the interval grid.

The reference walks every UTC minute, reads it as local wall time with zoneinfo and matches the
cron fields itself, so it shares nothing with jobs.firetimes but the rule it checks (Vixie cron):
- the hour field starts with "*" ("*", "*/3"): fire at every instant whose wall time matches:
  both occurrences of a repeated wall time, none for a wall time the clock skipped;
- otherwise (a fixed hour): a repeated wall time fires only at its first occurrence (detected as a
  wall time not later than one already seen), and a skipped wall time that matches fires once at
  the first instant after the jump.
No case is excluded. The generated fields stay within what the reference matches exactly: numbers,
lists, ranges and "*"/"*/k", with day-of-month and day-of-week combined as cron does (either one
when both are restricted). Every zone here moves its clocks on whole minutes, so stepping whole
UTC minutes visits each fire.
"""

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import DrawFn

from jobs.firetimes import next_fire

ZONES = ["UTC", "Europe/Athens", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Sao_Paulo"]
FIRST = datetime(2025, 1, 1, tzinfo=UTC)
LAST = datetime(2028, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
FIRES_PER_EXAMPLE = 20
# Fires compared per example: the first FIRES_PER_EXAMPLE, or all within this window if fewer.
WINDOW = timedelta(days=3)


@dataclass(frozen=True)
class Field:
    text: str
    values: frozenset[int] | None  # None: "*", matches everything

    def matches(self, value: int) -> bool:
        return self.values is None or value in self.values


@dataclass(frozen=True)
class Cron:
    minute: Field
    hour: Field
    day: Field
    month: Field
    weekday: Field

    @property
    def line(self) -> str:
        return " ".join(field.text for field in (self.minute, self.hour, self.day, self.month, self.weekday))

    @property
    def wildcard_hour(self) -> bool:
        return self.hour.text.startswith("*")

    def matches(self, wall: datetime) -> bool:
        weekday = wall.isoweekday() % 7  # cron: 0 = Sunday
        if self.day.values is not None and self.weekday.values is not None:
            day = wall.day in self.day.values or weekday in self.weekday.values
        else:
            day = self.day.matches(wall.day) and self.weekday.matches(weekday)
        return (
            day and self.month.matches(wall.month) and self.hour.matches(wall.hour) and self.minute.matches(wall.minute)
        )


def wall_of(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def reference(cron: Cron, zone: ZoneInfo, after: datetime, until: datetime) -> list[datetime]:
    """Fires in (after, until], found by walking every UTC minute."""
    moment = after.replace(second=0, microsecond=0) + MINUTE
    # Wall times already seen: a wall time at or below this one is a repeat after the clock went back.
    seen = max(wall_of(moment - k * MINUTE, zone) for k in range(1, 4 * 60))
    fires = []
    while moment <= until:
        wall = wall_of(moment, zone)
        skipped = []
        if wall > seen + MINUTE:  # the clock jumped forward over these wall times
            skipped = [seen + k * MINUTE for k in range(1, (wall - seen) // MINUTE)]
        if cron.wildcard_hour:
            fire = cron.matches(wall)
        else:
            fire = (cron.matches(wall) and wall > seen) or any(cron.matches(gone) for gone in skipped)
        if fire:
            fires.append(moment)
        seen = max(seen, wall)
        moment += MINUTE
    return fires


@functools.cache
def transitions(name: str) -> tuple[datetime, ...]:
    """Instants in 2025-2027 at which the zone's UTC offset changes."""
    zone = ZoneInfo(name)

    def offset(minutes: int) -> timedelta | None:
        return (FIRST + minutes * MINUTE).astimezone(zone).utcoffset()

    found = []
    for low in range(0, (LAST - FIRST) // MINUTE, 6 * 60):
        high = low + 6 * 60
        if offset(low) != offset(high):
            while high - low > 1:  # bisect on whole minutes
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == offset(low) else (low, middle)
            change = FIRST + high * MINUTE
            # On the minute: the reference steps whole UTC minutes and must land on it.
            assert (change - timedelta(seconds=1)).astimezone(zone).utcoffset() == offset(low)
            found.append(change)
    return tuple(found)


def field(draw: DrawFn, low: int, high: int, near: list[int], wildcard: int, *, steps: bool) -> Field:
    """A cron field over [low, high]: "*" about `wildcard` in 10 draws, else values, often `near`."""
    value = st.one_of(st.sampled_from([v for v in near if low <= v <= high] or [low]), st.integers(low, high))
    kinds = ["*"] * wildcard + ["one"] * 3 + ["list"] * 2 + ["range"] + (["step"] * 2 if steps else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "*":
        return Field("*", None)
    if kind == "one":
        one = draw(value)
        return Field(str(one), frozenset({one}))
    if kind == "list":
        several = sorted(draw(st.sets(value, min_size=2, max_size=3)))
        return Field(",".join(map(str, several)), frozenset(several))
    if kind == "range":
        first, last = sorted(draw(st.lists(value, min_size=2, max_size=2, unique=True)))
        return Field(f"{first}-{last}", frozenset(range(first, last + 1)))
    step = draw(st.integers(1, (high - low + 1) // 2))
    return Field(f"*/{step}", frozenset(range(low, high + 1, step)))


@st.composite
def cases(draw: DrawFn, *, at_transition: bool) -> tuple[Cron, str, datetime]:
    """A cron line, a zone and a start instant; `at_transition`: always just before a DST change."""
    name = draw(st.sampled_from([zone for zone in ZONES if transitions(zone)] if at_transition else ZONES))
    zone = ZoneInfo(name)
    changes = transitions(name)
    start = FIRST + timedelta(microseconds=draw(st.integers(0, (LAST - FIRST) // timedelta(microseconds=1) - 1)))
    # Hours whose wall times the clock skips or repeats, picked often for the hour field.
    critical: list[int] = []
    if changes and (at_transition or draw(st.booleans())):
        change = draw(st.sampled_from(changes))
        # Up to 3 hours before the change, or (to start inside a repeated hour) 1 hour after it;
        # or anywhere in the day before it.
        seconds = st.integers(-3600, 3 * 3600) if at_transition else st.integers(-3600, 86400)
        start = change - timedelta(seconds=draw(seconds), microseconds=draw(st.integers(0, 999_999)))
        last = wall_of(change - MINUTE, zone)  # the last wall time before the clock moves
        critical = [(last + k * timedelta(minutes=30)).hour for k in range(-2, 5)]
    # Values near the start so restricted fields still fire within the window.
    wall = wall_of(start, zone)
    soon = [wall + timedelta(hours=h) for h in range(-1, 50)]
    days = 30 if at_transition else 8  # how often "*", in ~10: at a transition the day is given
    cron = Cron(
        minute=field(draw, 0, 59, [0, 15, 30, 45, wall.minute], 2, steps=True),
        hour=field(draw, 0, 23, critical or [moment.hour for moment in soon[:4]], 3, steps=True),
        day=field(draw, 1, 31, sorted({moment.day for moment in soon}), days, steps=False),
        month=field(draw, 1, 12, [wall.month, wall.month % 12 + 1], days, steps=False),
        weekday=field(draw, 0, 6, sorted({moment.isoweekday() % 7 for moment in soon}), days, steps=False),
    )
    return cron, name, start


def assert_matches_reference(
    cron: Cron, name: str, start: datetime, *, window: timedelta = WINDOW, count: int = FIRES_PER_EXAMPLE
) -> int:
    """next_fire, iterated from `start`, gives exactly the reference's fires (the first `count` within `window`)."""
    fires: list[datetime] = []
    moment: datetime | None = start
    while len(fires) < count:
        moment = next_fire(kind="cron", after=moment, cron=cron.line, timezone=name)
        if moment is None or moment > start + window:
            break
        assert moment.tzinfo is UTC
        fires.append(moment)
    until = fires[-1] if len(fires) == count else start + window
    expected = reference(cron, ZoneInfo(name), start, until)
    assert [fire.isoformat() for fire in fires] == [fire.isoformat() for fire in expected], (cron.line, name)
    return len(fires)


@settings(max_examples=1500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(at_transition=False))
def test_cron_fires_match_minute_by_minute_reference(case: tuple[Cron, str, datetime]) -> None:
    assert_matches_reference(*case)


@settings(max_examples=1000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(at_transition=True))
def test_cron_fires_across_a_dst_change_match_minute_by_minute_reference(case: tuple[Cron, str, datetime]) -> None:
    assert_matches_reference(*case)


@settings(max_examples=300, deadline=None, database=None)
@given(
    start_at=st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1), timezones=st.sampled_from(ZONES).map(ZoneInfo)),
    after=st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1), timezones=st.sampled_from(ZONES).map(ZoneInfo)),
    every_seconds=st.integers(1, 366 * 86400),
)
def test_interval_fire_is_the_next_point_of_the_grid(start_at: datetime, after: datetime, every_seconds: int) -> None:
    fire = next_fire(kind="interval", after=after, every_seconds=every_seconds, start_at=start_at)
    assert fire is not None and fire.tzinfo is UTC
    period = every_seconds * 1_000_000
    steps, remainder = divmod((fire - start_at) // timedelta(microseconds=1), period)
    assert remainder == 0 and steps >= 0  # on the grid start_at + k * every_seconds, k >= 0
    assert fire > after
    assert steps == 0 or fire - timedelta(seconds=every_seconds) <= after  # and no earlier grid point


def every(low: int, high: int, step: int = 1) -> Field:
    return Field("*" if step == 1 else f"*/{step}", None if step == 1 else frozenset(range(low, high + 1, step)))


def values(*chosen: int) -> Field:
    return Field(",".join(map(str, chosen)), frozenset(chosen))


def sweep(last: datetime) -> list[Cron]:
    """Cron lines aimed at a change whose last wall time before it is `last`: fixed and wildcard hours."""
    hours = sorted({(last + k * timedelta(minutes=30)).hour for k in range(-2, 5)})
    minutes = [values(m) for m in (0, 1, 15, 29, 30, 31, 45, 59)] + [every(0, 59, 15), every(0, 59, 7), every(0, 59)]
    crons = []
    for minute in minutes:
        hour_fields = [values(h) for h in hours] + [values(hours[0], hours[2]), values(*hours)]
        hour_fields += [every(0, 23), every(0, 23, 2), every(0, 23, 3)]
        crons += [Cron(minute, hour, every(1, 31), every(1, 12), every(0, 6)) for hour in hour_fields]
    return crons


@pytest.mark.parametrize(
    ("name", "change"),
    [pytest.param(name, change, id=f"{name}-{change:%Y-%m-%d}") for name in ZONES for change in transitions(name)],
)
def test_every_transition_against_reference(name: str, change: datetime) -> None:
    """Each DST change of 2025-2027, with every hour near it, fixed or wildcard, and many minutes."""
    last = wall_of(change - MINUTE, ZoneInfo(name))
    # From 3 hours before the change to 3 hours after, then from inside the hour after it.
    compared = 0
    for cron in sweep(last):
        compared += assert_matches_reference(cron, name, change - 3 * HOUR, window=6 * HOUR, count=1000)
        compared += assert_matches_reference(cron, name, change + HOUR / 3, window=3 * HOUR, count=1000)
    assert compared > 1000
