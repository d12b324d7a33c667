"""The statistics of the bench: medians with their range, ratios, percentiles, targets and the
rows of a results file."""

import statistics
from dataclasses import dataclass
from typing import Any


def stat(values: list[float]) -> dict[str, Any]:
    """Median with min-max of per-run values."""
    clean = [float(v) for v in values if v is not None]
    if not clean:
        return {"median": None, "min": None, "max": None, "runs": []}
    return {
        "median": round(statistics.median(clean), 3),
        "min": round(min(clean), 3),
        "max": round(max(clean), 3),
        "runs": [round(v, 3) for v in clean],
    }


def ratio(value: dict[str, Any] | None, baseline: dict[str, Any] | None) -> float | None:
    """The value's median over the baseline's, or None when either is missing or zero."""
    if not value or not baseline or not value.get("median") or not baseline.get("median"):
        return None
    return round(value["median"] / baseline["median"], 3)


@dataclass(frozen=True)
class Target:
    """A goal written once: the report's "target" column and the met/not-met verdict both read it.

    Exactly one bound is set: a ratio to the baseline (at least / at most), an upper bound on
    the value in the row's unit, or a value it must equal. `against` names the baseline in the
    label ("baseline", "Flower", "without")."""

    ratio_at_least: float | None = None
    ratio_at_most: float | None = None
    at_most: float | None = None
    equals: float | None = None
    against: str = ""

    def label(self, unit: str = "") -> str:
        if self.ratio_at_least is not None:
            return f">= {self.ratio_at_least:g}x {self.against}".strip()
        if self.ratio_at_most is not None:
            return f"<= {self.ratio_at_most:g}x {self.against}".strip()
        if self.at_most is not None:
            return f"<= {self.at_most:g} {unit}".strip()
        return f"{self.equals:g}"

    def met(self, value: dict[str, Any], baseline: dict[str, Any] | None) -> bool:
        """Whether the value's median meets the goal; a missing figure never does."""
        if self.ratio_at_least is not None:
            return (ratio(value, baseline) or 0) >= self.ratio_at_least
        if self.ratio_at_most is not None:
            return (ratio(value, baseline) or 1e9) <= self.ratio_at_most
        median = value.get("median")
        if self.at_most is not None:
            return (1e9 if median is None else median) <= self.at_most
        return median == self.equals


def row(
    metric: str,
    value: dict[str, Any],
    *,
    baseline: dict[str, Any] | None = None,
    baseline_label: str = "",
    target: Target | None = None,
    may_be_zero: bool = False,
    unit: str = "",
) -> dict[str, Any]:
    """One row of a scenario's table, as the results file stores it."""
    return {
        "metric": metric,
        "unit": unit,
        "baseline_label": baseline_label,
        "baseline": baseline,
        "value": value,
        "ratio": ratio(value, baseline),
        "target": target.label(unit) if target else "",
        "met": target.met(value, baseline) if target else None,
        "may_be_zero": may_be_zero,
    }
