"""The hint's lookup benchmark still runs, its baseline still looks up the same candidates as the
kernel, and the hint still finds returning survivors.

A few hundred generated encodings in a throwaway SQLite database, in a subprocess (the script
configures Django itself), as tests/test_bench_stats_runs.py does for the statistics benchmark:
a renamed function, column or setting breaks this test instead of the next benchmark run."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

# A benchmark run end to end (20-40 s): in CI (HARBOUR_SLOW=1), not in the default suite.
pytestmark = pytest.mark.slow

SCRIPT = Path(settings.BASE_DIR) / "benchmarks" / "bench_linkage_lookup.py"


def test_the_lookup_benchmark_runs_and_its_sides_agree(tmp_path: Path) -> None:
    out = tmp_path / "lookup.json"
    command = [
        sys.executable, str(SCRIPT), "--encodings", "400", "--probes", "20", "--warmup", "2",
        "--json", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)  # noqa: S603
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Harbour / raw SQL" in done.stdout, done.stdout
    figures = json.loads(out.read_text())
    assert figures["encodings"] == 400
    # Every encoding has its whole-encoding block and, with a birth date and names, up to 50 more.
    assert 1 < figures["rows_per_encoding"] <= 51
    found, stranger = figures["kinds"]["in the hub"], figures["kinds"]["not in it"]
    for kind in (found, stranger):
        assert kind["candidate_sets_differing"] == 0, kind
        assert kind["probes"] == 20
        assert kind["ours"]["p50"] > 0 and kind["raw_sql"]["p50"] > 0
    # A typo or a swapped date still shares a block and matches: most returning survivors are
    # found, and candidates are looked up for them.
    assert found["answered_known"] >= 14, found
    assert found["candidates_mean"] >= 1, found
    assert found["source_among_candidates"] >= 14, found


def test_a_seeded_state_is_timed_by_a_later_call_with_the_misses(tmp_path: Path) -> None:
    """--state: the first call seeds and stops, the second times the hint on that seed (and
    --misses explains each returning survivor not found)."""
    state, out = tmp_path / "state", tmp_path / "lookup.json"
    base = [sys.executable, str(SCRIPT), "--encodings", "300", "--state", str(state)]
    seeded = subprocess.run(base, capture_output=True, text=True, timeout=600)  # noqa: S603
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    assert "seeded; state in" in seeded.stdout and (state / "state.json").exists()
    command = [*base, "--probes", "10", "--warmup", "1", "--misses", "--json", str(out)]
    try:
        timed = subprocess.run(command, capture_output=True, text=True, timeout=600)  # noqa: S603
    finally:  # the state's own folder (its keys, its SQLite database) is kept by the script
        var_dir = json.loads((state / "state.json").read_text())["env"]["HARBOUR_VAR_DIR"]
        shutil.rmtree(var_dir, ignore_errors=True)
    assert timed.returncode == 0, timed.stdout + timed.stderr
    assert "not told 'known'" in timed.stdout and "Harbour / raw SQL" in timed.stdout
    figures = json.loads(out.read_text())
    assert figures["encodings"] == 300
    assert figures["kinds"]["in the hub"]["source_among_candidates"] >= 7
