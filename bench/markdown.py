"""Markdown pieces of the benchmark pages: figures, tables of rows, profile summaries."""

from typing import Any


def number(value: float | None) -> str:
    if value is None:
        return "—"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def figure(stat: dict[str, Any] | None, unit: str = "") -> str:
    if not stat or stat.get("median") is None:
        return "—"
    text = number(stat["median"])
    if len(stat.get("runs", [])) > 1:
        text += f" ({number(stat['min'])}\u2013{number(stat['max'])})"
    return f"{text} {unit}".strip()


def met(value: bool | None) -> str:
    return "—" if value is None else ("yes" if value else "**no**")


def table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| metric | baseline | Conveyor | ratio | target | met? |", "|---|---|---|---|---|---|"]
    for item in rows:
        base = figure(item.get("baseline"), item.get("unit", ""))
        if item.get("baseline_label") and item.get("baseline"):
            base = f"{base} ({item['baseline_label']})"
        ratio = f"{item['ratio']:.2f}x" if item.get("ratio") is not None else "—"
        lines.append(
            f"| {item['metric']} | {base} | {figure(item['value'], item.get('unit', ''))} | {ratio} | "
            f"{item.get('target') or '—'} | {met(item.get('met'))} |"
        )
    return lines


def profile_lines(title: str, profile: dict[str, Any] | None) -> list[str]:
    if not profile:
        return []
    if profile.get("skipped"):
        return [f"**{title}**: not profiled — {profile['skipped']}.", ""]
    lines = [
        f"**{title}** — py-spy `--gil` samples of the uvicorn workers during an extra run "
        f"({profile['samples']} samples; raw stacks in `{profile.get('file', '')}`):",
        "",
        "| share of samples (inclusive) | category |",
        "|---|---|",
    ]
    lines += [f"| {share}% | {name} |" for name, share in profile.get("categories", {}).items()]
    lines += ["", "| self % | top frames by self time |", "|---|---|"]
    lines += [f"| {r['percent']} | `{r['frame']}` |" for r in profile.get("top_self", [])[:10]]
    lines += ["", "| inclusive % | Conveyor's own frames |", "|---|---|"]
    lines += [f"| {r['percent']} | `{r['frame']}` |" for r in profile.get("top_inclusive_app_code", [])[:10]]
    lines.append("")
    return lines
