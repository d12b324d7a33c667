"""`python -m bench [--smoke] [--only P1,P3] [--no-docs]`: run the benchmarks.

Full mode (< 15 min) writes var/bench/results-<timestamp>.json and renders docs/benchmarks.md.
Smoke mode (< 1 min, for CI) runs every scenario tiny, checks that every figure is there and
positive and that the JSON was written, leaves the doc alone, and exits non-zero otherwise.
"""

import argparse
import datetime as dt
import json
import sys

from bench import services as sv
from bench.harness import FULL, SMOKE, Bench
from bench.report import render, validate
from bench.scenarios import RUN_ORDER


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny runs of every scenario (CI)")
    parser.add_argument("--only", default="", help="comma-separated scenarios, e.g. P1,P3 (no doc is rendered)")
    parser.add_argument("--no-docs", action="store_true", help="do not render docs/benchmarks.md")
    parser.add_argument(
        "--render", metavar="RESULTS_JSON", help="only re-render docs/benchmarks.md from a results file"
    )
    args = parser.parse_args(argv)

    if args.render:
        source = sv.ROOT / args.render  # an absolute path stays itself
        doc = sv.ROOT / "docs" / "benchmarks.md"
        doc.write_text(render(json.loads(source.read_text()), results_path=str(source.relative_to(sv.ROOT))))
        print(f"bench: rendered {doc.relative_to(sv.ROOT)} from {source.relative_to(sv.ROOT)}")
        return 0

    plan = SMOKE if args.smoke else FULL
    only = {name.strip().upper() for name in args.only.split(",") if name.strip()} or None
    sv.VAR.mkdir(parents=True, exist_ok=True)
    bench = Bench(plan, only)
    bench.run(RUN_ORDER)
    results = bench.results

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    path = sv.VAR / f"results-{stamp}{'-smoke' if args.smoke else ''}.json"
    path.write_text(json.dumps(results, indent=1, default=str))
    problems = validate(json.loads(path.read_text()), expected=only)
    print(f"bench: results in {path.relative_to(sv.ROOT)} ({results['meta']['duration_s']} s)")
    if not args.smoke and not only and not args.no_docs:
        doc = sv.ROOT / "docs" / "benchmarks.md"
        doc.write_text(render(results, results_path=str(path.relative_to(sv.ROOT))))
        print(f"bench: rendered {doc.relative_to(sv.ROOT)}")
    for problem in problems:
        print(f"bench: PROBLEM: {problem}")
    if args.smoke and results["meta"]["duration_s"] > plan.budget_s:
        problems.append("smoke run too slow")
    print("bench: " + ("FAILED" if problems else "OK"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
