"""The load run's list benchmark still runs: it patches the code it measures (the referral list's
row, the case page's audit writes) to time "before" beside "now", so a rename would otherwise
break it unseen. A demo of 30 cases on a throwaway SQLite database."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

# A benchmark run end to end (20-40 s): in CI (HARBOUR_SLOW=1), not in the default suite.
pytestmark = pytest.mark.slow

SCRIPT = Path(settings.BASE_DIR) / "benchmarks" / "bench_lists.py"


def test_the_list_benchmark_runs_and_prints_each_request() -> None:
    command = [sys.executable, str(SCRIPT), "--cases", "30", "--referrals", "3", "--runs", "1"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)  # noqa: S603
    assert done.returncode == 0, done.stdout + done.stderr
    for request in ("api: referrals", "web: intake (form)", "web: case page (audited)"):
        assert request in done.stdout, done.stdout
