"""Fixtures of the interchange tests."""

from typing import Any

import pytest

from harbour.cases import bulk


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Batches of 200 rows instead of 1,000, for the tests of what happens across batches: a file
    of a batch and a part still spans two batches, at 350 rows instead of 1,150 (each row is an
    intake: the two-batch tests were the longest of the app's). The full size is exercised by the
    slow 10,000-row test and by benchmarks/bench_import.py."""
    monkeypatch.setattr(bulk, "MAX_BATCH", 200)
    return bulk.MAX_BATCH
