"""The crash-consistency run (benchmarks/crash_run.py), short: a real server killed with SIGKILL
during intakes, referrals and a directory import, twice, on the database this suite runs on."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.slow
SCRIPT = Path(settings.BASE_DIR) / "benchmarks" / "crash_run.py"


@pytest.mark.django_db
def test_every_acknowledged_write_survives_a_kill_and_nothing_half_written_does(
    tmp_path, empty_database_url
) -> None:
    url = empty_database_url("crash") if connection.vendor == "postgresql" else ""
    report = tmp_path / "crash.json"
    command = [sys.executable, str(SCRIPT), "--rounds", "2", "--services", "150"]
    command += ["--database-url", url, "--json", str(report)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1200)  # noqa: S603
    assert done.returncode == 0, done.stdout + done.stderr
    rounds = json.loads(report.read_text())["rounds"]
    assert all(r["consistent"] for r in rounds)
    assert sum(r["acknowledged_intakes"] for r in rounds) > 0
    assert rounds[-1]["import_services"] == 150  # the last kill came after the import
