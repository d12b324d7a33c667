"""Fire-time arithmetic for schedules: cron in a time zone (DST-correct), intervals and one-off times."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadCronError, CroniterBadDateError, CroniterNotAlphaError, croniter
from django.conf import settings

from jobs.errors import Invalid

MAX_INTERVAL_SECONDS = 366 * 24 * 3600
# A cron line must fire at least once in this many years to be accepted.
SATISFIABLE_WITHIN_YEARS = 5
# Larger than any DST shift (1 h; 30 min on Lord Howe): how far back to start croniter when a
# transition is near, so it walks through the transition instead of starting inside it.
DST_MARGIN = timedelta(hours=2)
ONE_MICROSECOND = timedelta(microseconds=1)


def min_interval_seconds() -> int:
    """The shortest interval an `interval` schedule may have."""
    return int(getattr(settings, "SCHEDULE_MIN_INTERVAL_SECONDS", 5))


def check_timezone(name: str) -> ZoneInfo:
    """Return the zone named `name`, or raise Invalid if it is not an IANA time zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"unknown time zone {name!r}", pointer="/timezone", code="unknown_timezone") from None


def check_cron(expr: str, tz: str = "UTC") -> None:
    """Raise Invalid unless `expr` is a 5-field cron line that fires within 5 years."""
    if len(expr.split()) != 5:
        raise Invalid("cron must have 5 fields: minute hour day-of-month month day-of-week", pointer="/cron",
                      code="bad_cron")  # fmt: skip
    try:
        start = datetime.now(check_timezone(tz))
        croniter(expr, start, max_years_between_matches=SATISFIABLE_WITHIN_YEARS).get_next(datetime)
    except CroniterBadDateError:  # a subclass of CroniterBadCronError: catch it first
        raise Invalid(f"cron line {expr!r} never fires", pointer="/cron", code="unsatisfiable") from None
    except (CroniterBadCronError, CroniterNotAlphaError, ValueError, KeyError):
        raise Invalid(f"invalid cron line {expr!r}", pointer="/cron", code="bad_cron") from None


def check_interval(every_seconds: int) -> None:
    """Raise Invalid unless the interval is within the allowed range."""
    if every_seconds < min_interval_seconds():
        raise Invalid(f"every_seconds must be at least {min_interval_seconds()}", pointer="/every_seconds",
                      code="too_small")  # fmt: skip
    if every_seconds > MAX_INTERVAL_SECONDS:
        raise Invalid(f"every_seconds must be at most {MAX_INTERVAL_SECONDS}", pointer="/every_seconds",
                      code="too_large")  # fmt: skip


def _repeated_wall_time(moment: datetime) -> bool:
    """True for the second occurrence of a local time the clock went back over."""
    return moment.fold == 1 and moment.replace(fold=0).utcoffset() != moment.utcoffset()


def _cron_fires(expr: str, tz: str, after: datetime) -> Iterator[datetime]:
    """Fire times of `expr` in zone `tz` strictly after `after`, in UTC, by Vixie cron's DST rule:
    a nonexistent local time fires at the first valid instant after the gap (croniter does
    this); a repeated local time fires once if the hour field is fixed, in each real hour if
    the hour field is a wildcard (`*`, `*/n`)."""
    zone = ZoneInfo(tz)
    fixed_hour = not expr.split()[1].startswith("*")
    start = after
    if (after - DST_MARGIN).astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset():
        start = after - DST_MARGIN
    fires = croniter(expr, start.astimezone(zone), max_years_between_matches=SATISFIABLE_WITHIN_YEARS)
    while True:
        try:
            candidate = fires.get_next(datetime)
        except CroniterBadDateError:
            return
        if candidate <= after or (fixed_hour and _repeated_wall_time(candidate)):
            continue
        yield candidate.astimezone(UTC)


def _interval_next(every_seconds: int, start_at: datetime | None, after: datetime) -> datetime:
    if start_at is None:
        return after + timedelta(seconds=every_seconds)
    if after < start_at:
        return start_at
    period = timedelta(seconds=every_seconds)
    elapsed = (after - start_at) // ONE_MICROSECOND
    return start_at + period * (elapsed // (every_seconds * 1_000_000) + 1)


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
    """The first fire time strictly after `after` (aware), in UTC; None if there is none."""
    if kind == "at":
        return run_at.astimezone(UTC) if run_at is not None and run_at > after else None
    if kind == "interval":
        assert every_seconds is not None
        return _interval_next(every_seconds, start_at, after).astimezone(UTC)
    assert cron is not None
    return next(_cron_fires(cron, timezone, after), None)


def upcoming(
    *,
    count: int = 5,
    after: datetime,
    end_at: datetime | None = None,
    remaining_runs: int | None = None,
    **spec: object,
) -> list[datetime]:
    """Up to `count` next fire times after `after` (UTC), none past `end_at` or `remaining_runs`."""
    limit = count if remaining_runs is None else max(0, min(count, remaining_runs))
    moments: list[datetime] = []
    moment: datetime | None = after
    while len(moments) < limit and moment is not None:
        moment = next_fire(after=moment, **spec)  # type: ignore[arg-type]
        if moment is None or (end_at is not None and moment > end_at):
            break
        moments.append(moment)
    return moments
