"""The statistics benchmark still runs, and both of its sides still count the same thing.

It broke once without anyone noticing: the immigration variables became computed from the
timeline (ADR 23) and its raw SQL side asked for a column that no longer existed. A few hundred
generated persons on SQLite, in a throwaway directory, in a few seconds."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

# A benchmark run end to end (20-40 s): in CI (HARBOUR_SLOW=1), not in the default suite.
pytestmark = pytest.mark.slow

SCRIPT = Path(settings.BASE_DIR) / "benchmarks" / "bench_stats.py"


def test_the_statistics_benchmark_runs_and_its_sides_agree() -> None:
    command = [sys.executable, str(SCRIPT), "--persons", "300", "--repeat", "1"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)  # noqa: S603
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cells differing between the exact sides: 0" in done.stdout, done.stdout
    assert "x" in done.stdout.split("raw SQL GROUP BY (baseline)")[1]
