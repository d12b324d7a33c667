"""Fire-time arithmetic for schedules: cron in a time zone (DST-correct), intervals and one-off times."""

import re
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from croniter import CroniterBadCronError, CroniterBadDateError, croniter
from django.conf import settings

from core.errors import FieldError, Invalid

MAX_INTERVAL_SECONDS = 366 * 24 * 3600
# A cron line must fire at least once within this many years to be accepted.
SATISFIABLE_WITHIN_YEARS = 5
# Firing looks further ahead than validation so an accepted line never "runs out": around
# 2100 (not a leap year) "0 0 29 2 *" goes 8 years without a fire.
FIRE_HORIZON_YEARS = 10
# croniter expands these itself; spelling them out lets the DST rule read the hour field.
CRON_ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# croniter's own field splitter (ASCII whitespace only), so both always see the same fields.
CRON_FIELD = re.compile(r"\S+", re.ASCII)
# Day and month names, to see that "sun-0" or "jan-1" are equal ranges too.
NAMES = {name: number for number, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))} | {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_SECOND = timedelta(seconds=1)
ONE_MINUTE = timedelta(minutes=1)


# Every instant a job or a schedule accepts (run_at, start_at, end_at) lies in this range: wide
# enough for any plan, narrow enough that the arithmetic on it (a year of interval, ten years of
# cron horizon, a time zone's offset) can never leave the range `datetime` holds.
EARLIEST_INSTANT = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(2200, 1, 1, tzinfo=UTC)


def instant_error(name: str, moment: datetime | None) -> FieldError | None:
    """The error (/name, out_of_range) for an instant outside [EARLIEST_INSTANT, LATEST_INSTANT); None if it is in."""
    if moment is None or EARLIEST_INSTANT <= moment < LATEST_INSTANT:
        return None
    return FieldError(
        f"/{name}",
        f"{name} must be from {EARLIEST_INSTANT:%Y-%m-%d} up to (not including) {LATEST_INSTANT:%Y-%m-%d}, in UTC",
        "out_of_range",
    )


def min_interval_seconds() -> int:
    """The shortest `every_seconds` an interval schedule may have (settings.SCHEDULE_MIN_INTERVAL_SECONDS)."""
    return int(getattr(settings, "SCHEDULE_MIN_INTERVAL_SECONDS", 5))


@cache
def _known_zones() -> frozenset[str]:
    # ZoneInfo() alone would also load whatever the host has under /usr/share/zoneinfo:
    # "localtime" (the machine's own zone) and the leap-second "right/..." files.
    return frozenset(available_timezones() - {"localtime"})


def check_timezone(name: str) -> ZoneInfo:
    """Return the IANA time zone `name`, or raise Invalid (/timezone, unknown_timezone)."""
    if not isinstance(name, str) or name not in _known_zones():
        raise Invalid(f"unknown time zone {name!r}", pointer="/timezone", code="unknown_timezone")
    return ZoneInfo(name)


def _bad_cron(detail: str) -> Invalid:
    return Invalid(detail, pointer="/cron", code="bad_cron")


def _cron_line(expr: str) -> str:
    """The 5-field form of `expr`, or Invalid (bad_cron) for what croniter would misread or refuse."""
    if not isinstance(expr, str):
        raise _bad_cron("cron must be a string")
    line = CRON_ALIASES.get(expr.strip().lower(), expr)
    fields = CRON_FIELD.findall(line)
    if len(fields) != 5:
        raise _bad_cron(
            f"cron {expr!r} must have 5 fields (minute hour day-of-month month day-of-week)"
            " or be one of " + ", ".join(CRON_ALIASES)
        )
    for field in fields:
        for item in field.split(","):
            ends = _range_ends(item)
            if ends is None:
                raise _bad_cron(
                    f"cron field {field!r}: {item!r} is not supported; use Vixie cron syntax"
                    " (numbers, month and weekday names, *, ranges a-b, steps /n, lists a,b)"
                )
            low, high = ends
            if low is not None and high is not None and low >= high:
                # croniter reads "5-5" as the whole field and "5-1" as a wrap-around; cron
                # means one value and an error: refuse both rather than guess.
                problem = "has equal ends; write the single value" if low == high else "runs backwards"
                raise _bad_cron(f"cron range {item!r} {problem}")
    return " ".join(fields)


# One item of a Vixie cron field: "*" or a value or a range a-b, with an optional step /n.
# Not "L", "W", "#", "?", "R" or "H" (extensions croniter reads, which the property tests of
# this module do not check against their reference).
CRON_ITEM = re.compile(r"(?:\*|(\w+)(?:-(\w+))?)(?:/\d+)?", re.ASCII)


def _range_ends(item: str) -> tuple[int | None, int | None] | None:
    """The numeric ends of a cron item (None for an end not given), or None if it is not Vixie syntax."""
    match = CRON_ITEM.fullmatch(item)
    if match is None:
        return None
    ends: list[int | None] = []
    for end in match.groups():
        if end is None or end.isdigit():
            ends.append(None if end is None else int(end))
        elif end.lower() in NAMES:
            ends.append(NAMES[end.lower()])
        else:
            return None
    return ends[0], ends[1]


def _walls(line: str, start: datetime, years: int) -> croniter:
    # Naive local wall-clock times: croniter then does pure calendar arithmetic and the DST
    # rule below is applied by this module alone, in one place.
    try:
        return croniter(line, start, max_years_between_matches=years)
    except CroniterBadCronError as exc:
        raise _bad_cron(f"invalid cron line {line!r}: {exc}") from None


def check_cron(expr: str, tz: str = "UTC") -> None:
    """Raise Invalid (/cron: bad_cron, unsatisfiable) unless `expr` is a 5-field cron line firing within 5 years."""
    line = _cron_line(expr)
    if _cron_next(line, check_timezone(tz), datetime.now(UTC), SATISFIABLE_WITHIN_YEARS) is None:
        raise Invalid(
            f"cron line {expr!r} never fires (not within {SATISFIABLE_WITHIN_YEARS} years)",
            pointer="/cron",
            code="unsatisfiable",
        )


def check_interval(every_seconds: int) -> None:
    """Raise Invalid (/every_seconds: too_small, too_large) unless min_interval_seconds() <= it <= the maximum."""
    if every_seconds < min_interval_seconds():
        raise Invalid(
            f"every_seconds must be at least {min_interval_seconds()}", pointer="/every_seconds", code="too_small"
        )
    if every_seconds > MAX_INTERVAL_SECONDS:
        raise Invalid(
            f"every_seconds must be at most {MAX_INTERVAL_SECONDS}", pointer="/every_seconds", code="too_large"
        )


def _offset(zone: tzinfo, wall: datetime, fold: int) -> timedelta:
    offset = wall.replace(tzinfo=zone, fold=fold).utcoffset()
    assert offset is not None  # a ZoneInfo always has one
    return offset


def _as_utc(wall: datetime, offset: timedelta) -> datetime:
    return (wall - offset).replace(tzinfo=UTC)


def _gap_end(zone: tzinfo, before: datetime, after: datetime) -> datetime:
    """The instant the clock jumped forward, knowing the offset changed within (before, after]."""
    # Bisect on whole seconds (tzdata transitions fall on whole seconds): at most ~13 steps
    # for a 2-hour gap, and only for a wall time that does not exist.
    old = before.astimezone(zone).utcoffset()
    low, high = (before - EPOCH) // ONE_SECOND, -((EPOCH - after) // ONE_SECOND)
    while high - low > 1:
        middle = (low + high) // 2
        if (EPOCH + middle * ONE_SECOND).astimezone(zone).utcoffset() == old:
            low = middle
        else:
            high = middle
    return EPOCH + high * ONE_SECOND


def _instants(zone: tzinfo, wall: datetime, fixed_hour: bool) -> tuple[datetime, tuple[datetime, ...]]:
    """For a matching wall time: the earliest instant whose wall clock reaches it, and its fires.

    Vixie cron's rule: a repeated wall time fires at both instants when the hour field is a
    wildcard (each real hour runs) and at the first only when the hour is fixed; a wall time
    the clock skipped fires at the end of the gap when the hour is fixed (run what was due),
    and not at all for a wildcard hour (that hour simply did not happen)."""
    first, second = _offset(zone, wall, 0), _offset(zone, wall, 1)
    earliest = _as_utc(wall, first)
    if first == second:
        return earliest, (earliest,)
    if first > second:  # the clock went back: fold=0 is the earlier instant
        return earliest, (earliest,) if fixed_hour else (earliest, _as_utc(wall, second))
    # The clock went forward over `wall`: fold=1 reads it with the new offset, before the jump.
    end = _gap_end(zone, _as_utc(wall, second), earliest)
    return end, (end,) if fixed_hour else ()


@lru_cache(maxsize=4096)
def _cron_next(line: str, zone: tzinfo, after: datetime, years: int) -> datetime | None:
    """The first fire of the 5-field `line` in `zone` strictly after `after`, in UTC. Cached:
    schedules that share a cron line fire together, and each asks for the same next slot."""
    # Vixie's flag: an hour field starting with "*" ("*", "*/2") is a wildcard hour.
    fixed_hour = not line.split()[1].startswith("*")
    local = after.astimezone(zone).replace(tzinfo=None)
    # Inside a repeated stretch the second occurrences of earlier wall times still lie
    # ahead, so walk from as far back as the clock went back.
    start = local - max(_offset(zone, local, 0) - _offset(zone, local, 1), timedelta(0))
    # One minute earlier than needed: croniter starts strictly after `start`, and walls
    # whose fires are not after `after` are dropped below anyway.
    start = start.replace(second=0, microsecond=0) - ONE_MINUTE
    walls = _walls(line, start, years)
    horizon = start + timedelta(days=366 * years)
    best: datetime | None = None
    while True:
        try:
            wall = walls.get_next(datetime)
        except CroniterBadDateError:  # nothing within `years`
            return best
        if wall > horizon:
            return best
        earliest, fires = _instants(zone, wall, fixed_hour)
        for fire in fires:
            if fire > after and (best is None or fire < best):
                best = fire
        # Wall times come in order and `earliest` never decreases with them, so no later
        # wall time can fire before `best`; more than one step is needed only around a fold.
        if best is not None and earliest >= best:
            return best


def _interval_next(every_seconds: int, start_at: datetime | None, after: datetime) -> datetime:
    if every_seconds <= 0:
        raise ValueError("every_seconds must be positive")
    period = timedelta(seconds=every_seconds)
    if start_at is None:
        return after + period
    if after < start_at:
        return start_at
    # timedelta // timedelta is floor division on whole microseconds: exact at any distance.
    return start_at + period * ((after - start_at) // period + 1)


def _utc(name: str, moment: datetime) -> datetime:
    if moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")
    return moment.astimezone(UTC)


def next_fire(
    *,
    kind: str,
    after: datetime,
    run_at: datetime | None = None,
    every_seconds: int | None = None,
    start_at: datetime | None = None,
    cron: str | None = None,
    timezone: str = "UTC",
) -> datetime | None:
    """The first fire time strictly after the aware `after`, as an aware UTC datetime; None if there is none."""
    # Everything in UTC first: between datetimes sharing a ZoneInfo, Python's `-`, `+` and `<`
    # work on wall-clock time, which is an hour off across a DST change.
    after = _utc("after", after)
    if kind == "at":
        if run_at is None:
            raise ValueError("run_at is required for kind 'at'")
        run_at = _utc("run_at", run_at)
        return run_at if run_at > after else None
    if kind == "interval":
        if every_seconds is None:
            raise ValueError("every_seconds is required for kind 'interval'")
        return _interval_next(every_seconds, None if start_at is None else _utc("start_at", start_at), after)
    if kind == "cron":
        if cron is None:
            raise ValueError("cron is required for kind 'cron'")
        return _cron_next(_cron_line(cron), check_timezone(timezone), after, FIRE_HORIZON_YEARS)
    raise ValueError(f"unknown schedule kind {kind!r}")


def upcoming(
    *,
    count: int = 5,
    after: datetime,
    end_at: datetime | None = None,
    remaining_runs: int | None = None,
    **spec: Any,
) -> list[datetime]:
    """Up to `count` fire times (UTC) after `after`, none past `end_at`, at most `remaining_runs`; spec as next_fire."""
    limit = count if remaining_runs is None else min(count, remaining_runs)
    fires: list[datetime] = []
    moment: datetime | None = after
    while moment is not None and len(fires) < limit:
        moment = next_fire(after=moment, **spec)
        if moment is None or (end_at is not None and moment > end_at):
            break
        fires.append(moment)
    return fires
