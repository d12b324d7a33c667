"""Fire-time arithmetic: cron across both DST transitions, intervals, one-off times, limits, validation."""

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.errors import FieldError, Invalid
from jobs.firetimes import (
    MAX_INTERVAL_SECONDS,
    check_cron,
    check_interval,
    check_timezone,
    min_interval_seconds,
    next_fire,
    upcoming,
)

ATHENS = "Europe/Athens"
NEW_YORK = "America/New_York"
LORD_HOWE = "Australia/Lord_Howe"
HOUR = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def local(zone: str, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone), fold=fold)  # type: ignore[misc]


def cron_fires(cron: str, zone: str, after: datetime, count: int, **limits: object) -> list[datetime]:
    return upcoming(count=count, after=after, kind="cron", cron=cron, timezone=zone, **limits)


def walls(fires: list[datetime], zone: str) -> list[str]:
    """Fires as local wall times with their offsets, e.g. '2026-03-29T04:00:00+03:00'."""
    return [fire.astimezone(ZoneInfo(zone)).isoformat() for fire in fires]


# --- spring forward: a wall time that does not exist ---------------------------------------------


@pytest.mark.parametrize(
    ("zone", "cron", "after", "expected"),
    [
        # EU: 2026-03-29 03:00 → 04:00 in Athens; 03:30 does not exist and fires at 04:00 EEST.
        (ATHENS, "30 3 * * *", utc(2026, 3, 28, 12), ["2026-03-29T04:00:00+03:00", "2026-03-30T03:30:00+03:00"]),
        # Every minute it names is in the gap: one fire at the end of the gap, not four.
        (
            ATHENS,
            "*/15 3 * * *",
            utc(2026, 3, 28, 12),
            ["2026-03-29T04:00:00+03:00", "2026-03-30T03:00:00+03:00", "2026-03-30T03:15:00+03:00"],
        ),
        # US: 2026-03-08 02:00 → 03:00 in New York.
        (NEW_YORK, "30 2 * * *", utc(2026, 3, 7, 12), ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"]),
        (NEW_YORK, "0 2 * * *", utc(2026, 3, 7, 12), ["2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"]),
        # A nonexistent time and a real one that fall on the same instant fire once.
        (
            NEW_YORK,
            "0 2,3 * * *",
            utc(2026, 3, 7, 12),
            ["2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00", "2026-03-09T03:00:00-04:00"],
        ),
        # Lord Howe moves 30 minutes (02:00 → 02:30): 02:15 fires at 02:30, 02:45 is real.
        (LORD_HOWE, "15 2 * * *", utc(2026, 10, 3, 12), ["2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"]),
        (LORD_HOWE, "45 2 * * *", utc(2026, 10, 3, 12), ["2026-10-04T02:45:00+11:00", "2026-10-05T02:45:00+11:00"]),
    ],
)
def test_fixed_hour_nonexistent_time_fires_once_at_end_of_gap(
    zone: str, cron: str, after: datetime, expected: list[str]
) -> None:
    assert walls(cron_fires(cron, zone, after, len(expected)), zone) == expected


@pytest.mark.parametrize(
    ("zone", "cron", "after", "expected"),
    [
        # A wildcard hour skips the hour that did not happen (Vixie cron): 03:30 is not run.
        (ATHENS, "30 * * * *", utc(2026, 3, 28, 23, 45), ["2026-03-29T02:30:00+02:00", "2026-03-29T04:30:00+03:00"]),
        (NEW_YORK, "30 * * * *", utc(2026, 3, 8, 6, 15), ["2026-03-08T01:30:00-05:00", "2026-03-08T03:30:00-04:00"]),
        (LORD_HOWE, "15 * * * *", utc(2026, 10, 3, 14), ["2026-10-04T01:15:00+10:30", "2026-10-04T03:15:00+11:00"]),
    ],
)
def test_wildcard_hour_skips_nonexistent_time(zone: str, cron: str, after: datetime, expected: list[str]) -> None:
    assert walls(cron_fires(cron, zone, after, len(expected)), zone) == expected


# --- fall back: a wall time that happens twice ---------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "cron", "after", "expected"),
    [
        # EU: 2026-10-25 04:00 → 03:00 in Athens; 03:30 happens at +03:00 and again at +02:00.
        (ATHENS, "30 3 * * *", utc(2026, 10, 24, 12), ["2026-10-25T03:30:00+03:00", "2026-10-26T03:30:00+02:00"]),
        (
            ATHENS,
            "*/20 3 * * *",
            utc(2026, 10, 24, 12),
            [
                "2026-10-25T03:00:00+03:00",
                "2026-10-25T03:20:00+03:00",
                "2026-10-25T03:40:00+03:00",
                "2026-10-26T03:00:00+02:00",
            ],
        ),
        # US: 2026-11-01 02:00 → 01:00 in New York.
        (NEW_YORK, "30 1 * * *", utc(2026, 10, 31, 12), ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]),
        (
            NEW_YORK,
            "0 1,3 * * *",
            utc(2026, 10, 31, 12),
            ["2026-11-01T01:00:00-04:00", "2026-11-01T03:00:00-05:00", "2026-11-02T01:00:00-05:00"],
        ),
        # Lord Howe goes back 30 minutes (02:00 → 01:30): 01:45 happens twice, fires once.
        (LORD_HOWE, "45 1 * * *", utc(2026, 4, 4, 12), ["2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"]),
    ],
)
def test_fixed_hour_repeated_time_fires_once(zone: str, cron: str, after: datetime, expected: list[str]) -> None:
    assert walls(cron_fires(cron, zone, after, len(expected)), zone) == expected


@pytest.mark.parametrize(
    ("zone", "cron", "after", "expected"),
    [
        (
            ATHENS,
            "*/30 * * * *",
            utc(2026, 10, 24, 23, 15),
            [
                "2026-10-25T02:30:00+03:00",
                "2026-10-25T03:00:00+03:00",
                "2026-10-25T03:30:00+03:00",
                "2026-10-25T03:00:00+02:00",
                "2026-10-25T03:30:00+02:00",
                "2026-10-25T04:00:00+02:00",
            ],
        ),
        (
            NEW_YORK,
            "0 * * * *",
            utc(2026, 11, 1, 4, 30),
            ["2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00"],
        ),
        (
            LORD_HOWE,
            "45 * * * *",
            utc(2026, 4, 4, 14),
            ["2026-04-05T01:45:00+11:00", "2026-04-05T01:45:00+10:30", "2026-04-05T02:45:00+10:30"],
        ),
    ],
)
def test_wildcard_hour_fires_in_each_real_hour(zone: str, cron: str, after: datetime, expected: list[str]) -> None:
    assert walls(cron_fires(cron, zone, after, len(expected)), zone) == expected


@pytest.mark.parametrize(
    ("zone", "day", "cron", "expected", "step"),
    [
        (ATHENS, (2026, 3, 29), "0 * * * *", 23, HOUR),
        (ATHENS, (2026, 10, 25), "0 * * * *", 25, HOUR),
        (NEW_YORK, (2026, 3, 8), "0 * * * *", 23, HOUR),
        (NEW_YORK, (2026, 11, 1), "0 * * * *", 25, HOUR),
        (NEW_YORK, (2026, 11, 1), "@hourly", 25, HOUR),
        (ATHENS, (2026, 10, 25), "*/30 * * * *", 50, HOUR / 2),
        (NEW_YORK, (2026, 3, 8), "*/30 * * * *", 46, HOUR / 2),
        (ATHENS, (2026, 7, 1), "0 * * * *", 24, HOUR),
    ],
)
def test_wildcard_hour_fires_every_real_hour_of_a_transition_day(
    zone: str, day: tuple[int, int, int], cron: str, expected: int, step: timedelta
) -> None:
    midnight = local(zone, *day)
    next_midnight = local(zone, *(midnight.date() + timedelta(days=1)).timetuple()[:3])
    fires = cron_fires(cron, zone, midnight - timedelta(microseconds=1), 100, end_at=next_midnight - step / 2)
    assert len(fires) == expected
    assert fires[0] == midnight
    # Evenly spaced in real time straight through the transition: nothing skipped or doubled.
    assert all(later - earlier == step for earlier, later in itertools.pairwise(fires))


@pytest.mark.parametrize(
    ("cron", "after", "expected"),
    [
        # Athens fall back: 03:xx+03:00 is 00:xx UTC, 03:xx+02:00 is 01:xx UTC.
        ("30 3 * * *", utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)),  # exactly on the first
        ("30 3 * * *", utc(2026, 10, 25, 0, 29, 59, 999999), utc(2026, 10, 25, 0, 30)),
        ("30 3 * * *", utc(2026, 10, 25, 1), utc(2026, 10, 26, 1, 30)),  # inside the second 03:xx
        ("*/30 * * * *", utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1)),  # exactly on a fire
        ("*/30 * * * *", utc(2026, 10, 25, 0, 59, 59, 999999), utc(2026, 10, 25, 1)),
        ("*/30 * * * *", utc(2026, 10, 25, 1, 10), utc(2026, 10, 25, 1, 30)),  # inside the second 03:xx
        ("*/30 * * * *", utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 2)),
        ("0 4 * * *", utc(2026, 10, 25, 1, 10), utc(2026, 10, 25, 2)),
        # Athens spring forward: the gap ends at 01:00 UTC (04:00+03:00).
        ("30 3 * * *", utc(2026, 3, 29, 0, 59, 59), utc(2026, 3, 29, 1)),
        ("30 3 * * *", utc(2026, 3, 29, 1), utc(2026, 3, 30, 0, 30)),  # exactly on the gap fire
        ("0 4 * * *", utc(2026, 3, 29, 0, 59, 59), utc(2026, 3, 29, 1)),
    ],
)
def test_next_fire_is_strictly_after_any_instant(cron: str, after: datetime, expected: datetime) -> None:
    assert next_fire(kind="cron", after=after, cron=cron, timezone=ATHENS) == expected


def test_cron_without_dst_and_aliases() -> None:
    after = utc(2026, 5, 1, 12)
    assert cron_fires("0 9 * * 1-5", "Asia/Kolkata", after, 3) == [
        utc(2026, 5, 4, 3, 30),
        utc(2026, 5, 5, 3, 30),
        utc(2026, 5, 6, 3, 30),
    ]
    assert cron_fires("@daily", ATHENS, after, 3) == cron_fires("0 0 * * *", ATHENS, after, 3)
    assert cron_fires("@weekly", "UTC", after, 2) == [utc(2026, 5, 3), utc(2026, 5, 10)]
    assert cron_fires("@yearly", "UTC", after, 1) == [utc(2027, 1, 1)]


@pytest.mark.parametrize("kind", ["cron", "interval", "at"])
def test_upcoming_returns_utc_instants(kind: str) -> None:
    spec = {
        "cron": {"cron": "15 10 * * *", "timezone": NEW_YORK},
        "interval": {"every_seconds": 90, "start_at": local(ATHENS, 2026, 5, 1, 10)},
        "at": {"run_at": local(NEW_YORK, 2026, 6, 1, 9)},
    }[kind]
    fires = upcoming(after=utc(2026, 5, 1), kind=kind, **spec)
    assert fires
    assert all(fire.tzinfo is UTC for fire in fires)
    assert fires == sorted(set(fires))


# --- intervals and one-off times ------------------------------------------------------------------

START = utc(2026, 1, 1)


@pytest.mark.parametrize(
    ("after", "every_seconds", "expected"),
    [
        (START - timedelta(days=3), 7, START),  # before the start: the start itself
        (START - timedelta(microseconds=1), 7, START),
        (START, 7, START + timedelta(seconds=7)),  # on a fire: the next one
        (START + timedelta(seconds=6, microseconds=999999), 7, START + timedelta(seconds=7)),
        (START + timedelta(seconds=7), 7, START + timedelta(seconds=14)),
        # Ten years out, still exactly on the grid: 315_532_800 s = 45_076_114 * 7 + 2.
        (START + timedelta(seconds=315_532_800), 7, START + timedelta(seconds=45_076_115 * 7)),
        (START + timedelta(days=3650, microseconds=1), 86_400, START + timedelta(days=3651)),
        (START + timedelta(seconds=1), MAX_INTERVAL_SECONDS, START + timedelta(days=366)),
    ],
)
def test_interval_fires_on_the_start_grid(after: datetime, every_seconds: int, expected: datetime) -> None:
    fire = next_fire(kind="interval", after=after, every_seconds=every_seconds, start_at=START)
    assert fire == expected
    assert fire is not None and fire.tzinfo is UTC


def test_interval_is_real_time_across_dst() -> None:
    # Daily from noon Athens time before the spring change: 24 real hours, so 13:00 local after it.
    start = local(ATHENS, 2026, 3, 28, 12)
    fires = upcoming(count=3, after=start, kind="interval", every_seconds=86_400, start_at=start)
    assert fires == [utc(2026, 3, 29, 10), utc(2026, 3, 30, 10), utc(2026, 3, 31, 10)]
    assert walls(fires, ATHENS)[0] == "2026-03-29T13:00:00+03:00"
    # `after` in the same zone as start_at, inside the repeated hour: compared as instants.
    after = local(ATHENS, 2026, 10, 25, 3, 30, fold=1)  # 01:30 UTC, itself on the grid
    midnight = local(ATHENS, 2026, 10, 25)
    assert next_fire(kind="interval", after=after, every_seconds=1800, start_at=midnight) == utc(2026, 10, 25, 2)


def test_interval_grid_is_exact_far_out() -> None:
    start = local(ATHENS, 2025, 3, 30, 2, 59, 59, 123456)  # any zone: intervals are real time
    fires = upcoming(count=3, after=start + timedelta(days=4000), kind="interval", every_seconds=13, start_at=start)
    steps = [(fire - start) // timedelta(microseconds=1) for fire in fires]
    assert steps == [13_000_000 * k for k in range(26_584_616, 26_584_619)]
    assert all(fire.tzinfo is UTC for fire in fires)


def test_interval_without_start_counts_from_after() -> None:
    after = utc(2026, 2, 1, 12, 0, 0, 500)
    assert upcoming(count=3, after=after, kind="interval", every_seconds=60) == [
        after + timedelta(minutes=1),
        after + timedelta(minutes=2),
        after + timedelta(minutes=3),
    ]


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (utc(2026, 6, 1, 12, 59, 59), utc(2026, 6, 1, 13)),
        (utc(2026, 6, 1, 13), None),  # strictly after: the run_at instant itself is not next
        (utc(2026, 6, 2), None),
    ],
)
def test_at_fires_once(after: datetime, expected: datetime | None) -> None:
    run_at = local(ATHENS, 2026, 6, 1, 16)  # 13:00 UTC
    fire = next_fire(kind="at", after=after, run_at=run_at)
    assert fire == expected
    assert upcoming(after=after, kind="at", run_at=run_at) == ([] if expected is None else [expected])
    assert fire is None or fire.tzinfo is UTC


def test_at_compares_instants_not_wall_times() -> None:
    # Both in Athens on the fall-back day: 03:45 (first, 00:45 UTC) is before 03:30 (second, 01:30 UTC).
    run_at = local(ATHENS, 2026, 10, 25, 3, 30, fold=1)
    after = local(ATHENS, 2026, 10, 25, 3, 45)
    assert next_fire(kind="at", after=after, run_at=run_at) == utc(2026, 10, 25, 1, 30)


# --- limits ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "end_at", "remaining_runs", "expected_minutes"),
    [
        (5, None, None, [0, 1, 2, 3, 4]),
        (5, START + timedelta(minutes=2), None, [0, 1, 2]),  # a fire exactly at end_at counts
        (5, START + timedelta(minutes=2) - timedelta(microseconds=1), None, [0, 1]),
        (5, None, 2, [0, 1]),
        (2, None, 10, [0, 1]),
        (5, START + timedelta(minutes=3), 2, [0, 1]),
        (5, START + timedelta(minutes=1), 10, [0, 1]),
        (5, None, 0, []),
        (5, None, -1, []),
        (0, None, None, []),
        (5, START - timedelta(seconds=1), None, []),
    ],
)
def test_upcoming_limits(
    count: int, end_at: datetime | None, remaining_runs: int | None, expected_minutes: list[int]
) -> None:
    fires = upcoming(
        count=count,
        after=START - timedelta(microseconds=1),
        end_at=end_at,
        remaining_runs=remaining_runs,
        kind="interval",
        every_seconds=60,
        start_at=START,
    )
    assert fires == [START + timedelta(minutes=minute) for minute in expected_minutes]


def test_upcoming_limits_apply_to_cron() -> None:
    fires = cron_fires("0 12 * * *", "UTC", START, 10, end_at=utc(2026, 1, 4, 12), remaining_runs=5)
    assert fires == [utc(2026, 1, 1, 12), utc(2026, 1, 2, 12), utc(2026, 1, 3, 12), utc(2026, 1, 4, 12)]


# --- validation ------------------------------------------------------------------------------------


def field_error(exc: pytest.ExceptionInfo[Invalid]) -> tuple[str, str]:
    (error,) = exc.value.errors
    assert isinstance(error, FieldError) and error.detail
    assert exc.value.status == 400
    return error.pointer, error.code


@pytest.mark.parametrize(
    "cron",
    [
        "",
        "not a cron line",
        "* * * *",  # 4 fields
        "0 0 * * * *",  # 6 fields: seconds cron
        "0 0 * * * * 2030",  # 7 fields: year cron
        "@reboot",
        "@every 5m",
        "60 * * * *",
        "0 24 * * *",
        "0 0 0 * *",
        "0 0 * 13 *",
        "0 0 * * 8",
        "*/0 * * * *",
        "5-5 * * * *",  # croniter would read an equal range as every minute
        "0 mon-mon * * *",
        "0 0 * * sun-0",
        "R * * * *",  # croniter's random minute: a different schedule on every read
        "H * * * *",
        "0 0 * foo *",
        "0 0 ²-² * *",
        "0\u00a00 * * *",  # a no-break space is not a field separator
        # Not Vixie cron: croniter reads these, the property tests' reference does not.
        "5-1 * * * *",  # a backward range (croniter wraps it around)
        "0 0 * * sat-sun",
        "0 0 L * *",
        "0 0 * * 5#3",
        "0 0 15W * *",
        "0 0 ? * *",
        "0 0 * * 5L",
    ],
)
def test_bad_cron(cron: str) -> None:
    with pytest.raises(Invalid) as exc:
        check_cron(cron, ATHENS)
    assert field_error(exc) == ("/cron", "bad_cron")


@pytest.mark.parametrize("cron", ["0 0 30 2 *", "0 0 31 4 *", "0 0 31 2,4,6,9,11 *"])
def test_unsatisfiable_cron(cron: str) -> None:
    with pytest.raises(Invalid) as exc:
        check_cron(cron)
    assert field_error(exc) == ("/cron", "unsatisfiable")


@pytest.mark.parametrize(
    "cron",
    [
        "*/5 * * * *",
        "30 3 * * *",
        "0 0 29 2 *",
        "0 0 31 2 1",
        "0 9 * * mon-fri",
        "0 0 * * 7",
        "0-30/10 */2 * jan-jun *",
        "@daily",
        "@HOURLY",
    ],
)
def test_good_cron(cron: str) -> None:
    assert check_cron(cron, ATHENS) is None
    assert next_fire(kind="cron", after=START, cron=cron, timezone=ATHENS) is not None


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "Europe", "europe/athens", "localtime", "right/UTC", "../UTC"])
def test_unknown_timezone(name: str) -> None:
    with pytest.raises(Invalid) as exc:
        check_timezone(name)
    assert field_error(exc) == ("/timezone", "unknown_timezone")
    with pytest.raises(Invalid) as exc:
        check_cron("0 * * * *", name)
    assert field_error(exc) == ("/timezone", "unknown_timezone")


@pytest.mark.parametrize("name", ["UTC", ATHENS, NEW_YORK, LORD_HOWE, "America/Sao_Paulo", "Etc/GMT+5"])
def test_known_timezone(name: str) -> None:
    assert check_timezone(name) == ZoneInfo(name)


@pytest.mark.parametrize(
    ("every_seconds", "code"),
    [(4, "too_small"), (0, "too_small"), (-60, "too_small"), (MAX_INTERVAL_SECONDS + 1, "too_large")],
)
def test_bad_interval(every_seconds: int, code: str) -> None:
    with pytest.raises(Invalid) as exc:
        check_interval(every_seconds)
    assert field_error(exc) == ("/every_seconds", code)


@pytest.mark.parametrize("every_seconds", [5, 60, MAX_INTERVAL_SECONDS])
def test_good_interval(every_seconds: int) -> None:
    assert check_interval(every_seconds) is None


def test_min_interval_follows_settings(settings) -> None:
    settings.SCHEDULE_MIN_INTERVAL_SECONDS = 30
    assert min_interval_seconds() == 30
    with pytest.raises(Invalid) as exc:
        check_interval(29)
    assert field_error(exc) == ("/every_seconds", "too_small")
    assert check_interval(30) is None


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "cron", "cron": "0 * * * *", "after": datetime(2026, 1, 1)},  # naive
        {"kind": "at", "after": START},  # no run_at
        {"kind": "interval", "after": START},  # no every_seconds
        {"kind": "interval", "after": START, "every_seconds": 0},
        {"kind": "cron", "after": START},  # no cron
        {"kind": "weekly", "after": START},
    ],
)
def test_next_fire_rejects_misuse(spec: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"."):
        next_fire(**spec)
