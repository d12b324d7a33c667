"""Conveyor's benchmark harness: `python -m bench` (full) or `python -m bench --smoke`.

See docs/benchmarks.md for what each scenario measures and the latest figures.
"""
