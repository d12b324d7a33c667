"""Fixtures of the contract tests: a live Conveyor for the SDK scenarios."""

from collections.abc import Iterator

import pytest

from tests.contract.fuzz import live_service


@pytest.fixture(scope="module")
def service() -> Iterator[tuple[str, dict[str, str]]]:
    """A live Conveyor (tests.contract.fuzz.live_service) for one test module: (base URL, tokens)."""
    with live_service() as started:
        yield started
