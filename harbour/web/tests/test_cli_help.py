"""`harbour --help` and `harbour demo --help` on a machine with no configuration at all."""

import subprocess
import sys
from pathlib import Path

from django.conf import settings


def _harbour(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "HARBOUR_VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(settings.BASE_DIR),
    }
    code = f"from harbour.cli import main; main({list(args)!r})"
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )


def test_help_without_configuration_prints_help_and_what_to_set(tmp_path: Path) -> None:
    done = _harbour(tmp_path, "--help")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "harbour demo" in done.stdout and "HARBOUR_SECRET_KEY" in done.stdout


def test_another_command_without_configuration_says_what_to_set_in_one_line(
    tmp_path: Path,
) -> None:
    done = _harbour(tmp_path, "audit", "verify")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "HARBOUR_SECRET_KEY" in done.stderr


def test_demo_help_describes_every_option_and_writes_no_secrets(tmp_path: Path) -> None:
    done = _harbour(tmp_path, "demo", "--help")
    assert done.returncode == 0, done.stderr
    assert "port to serve on" in done.stdout and "same seed" in done.stdout
    assert not (tmp_path / "var").exists()


def test_serve_starts_gunicorn_without_a_control_socket_in_the_home_directory(
    monkeypatch, tmp_path: Path
) -> None:
    import os

    from django.core.management import call_command

    started: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda _exe, argv: started.append(argv))  # not a real exec
    call_command("web_serve", port=8123)
    assert started and "--no-control-socket" in started[0]
    assert "config.wsgi:application" in started[0]
    threads = started[0].index("--threads")
    assert started[0][threads + 1] == "8"  # the measured default on two CPUs
    assert "--reuse-port" in started[0]  # a socket a worker: connections shared out evenly


def test_serve_takes_its_workers_and_threads_from_the_command_line(monkeypatch) -> None:
    import os

    from django.core.management import call_command

    started: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda _exe, argv: started.append(argv))
    call_command("web_serve", port=8123, workers=3, threads=2)
    argv = started[0]
    assert argv[argv.index("--workers") + 1] == "3" and argv[argv.index("--threads") + 1] == "2"
