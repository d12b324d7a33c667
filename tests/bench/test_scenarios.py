"""The bench's scenarios as data: a target's label and its verdict come from one Target, and
every scenario has a plan in both modes and one place in the run and on the page."""

from dataclasses import asdict, fields

import pytest

from bench.harness import FULL, SMOKE, plan_fields
from bench.scenarios import PAGE_ORDER, RUN_ORDER
from bench.stats import Target, row, stat


@pytest.mark.parametrize(
    ("target", "unit", "label"),
    [
        (Target(ratio_at_least=1.5, against="baseline"), "", ">= 1.5x baseline"),
        (Target(ratio_at_least=0.9), "", ">= 0.9x"),
        (Target(ratio_at_most=2, against="without"), "ms", "<= 2x without"),
        (Target(at_most=25), "ms", "<= 25 ms"),
        (Target(at_most=1), "s", "<= 1 s"),
        (Target(equals=0), "", "0"),
    ],
)
def test_a_target_reads_as_the_page_shows_it(target: Target, unit: str, label: str) -> None:
    assert row("m", stat([1]), target=target, unit=unit)["target"] == label


@pytest.mark.parametrize(
    ("target", "value", "baseline", "met"),
    [
        (Target(ratio_at_least=1.5), [150], [100], True),
        (Target(ratio_at_least=1.5), [149], [100], False),
        (Target(ratio_at_least=1.5), [], [100], False),
        (Target(ratio_at_most=2), [200], [100], True),
        (Target(ratio_at_most=2), [201], [100], False),
        (Target(ratio_at_most=2), [0], [100], False),  # nothing served: no ratio to meet
        (Target(at_most=25), [20, 25, 30], None, True),  # the median counts
        (Target(at_most=25), [25.5], None, False),
        (Target(at_most=25), [], None, False),
        (Target(equals=0), [0], None, True),
        (Target(equals=0), [1], None, False),
    ],
)
def test_a_target_is_met_only_by_a_figure_within_it(
    target: Target, value: list[float], baseline: list[float] | None, met: bool
) -> None:
    item = row("m", stat(value), baseline=stat(baseline) if baseline else None, target=target)
    assert item["met"] is met


def test_a_row_without_a_target_has_no_verdict() -> None:
    assert row("m", stat([1]))["target"] == "" and row("m", stat([1]))["met"] is None


def test_every_scenario_runs_once_and_has_its_place_on_the_page() -> None:
    names = [scenario.name for scenario in RUN_ORDER]
    assert len(set(names)) == len(names)
    assert sorted(names) == sorted(PAGE_ORDER)


@pytest.mark.parametrize("scenario", RUN_ORDER, ids=lambda scenario: scenario.name)
def test_a_scenario_plans_the_same_knobs_in_both_modes(scenario) -> None:
    assert [f.name for f in fields(scenario.full)] == [f.name for f in fields(scenario.smoke)]


@pytest.mark.parametrize("mode", [FULL, SMOKE], ids=lambda mode: mode.name)
def test_the_results_file_names_each_knob_once(mode) -> None:
    """The scenarios' plans are merged into the results' meta.plan: a name two of them share
    would hide one."""
    knobs = len(asdict(mode)) + sum(len(asdict(scenario.plan(mode))) for scenario in RUN_ORDER)
    assert len(plan_fields(mode, RUN_ORDER)) == knobs
