"""`check --deploy` is clean with the production settings the deployment guide gives: the test
reads the guide's environment block itself, so the two cannot drift apart."""

import base64
import io
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

GUIDE = Path(settings.BASE_DIR) / "docs" / "how-to" / "deploy.md"
MARKER = "<!-- production-environment"


def production_environment() -> dict[str, str]:
    text = GUIDE.read_text(encoding="utf-8")
    block = text.split(MARKER, 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    env = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
    fill = {
        "HARBOUR_SECRET_KEY": secrets.token_urlsafe(50),
        "HARBOUR_MASTER_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="),
        "HARBOUR_AUDIT_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="),
        "HARBOUR_LINKAGE_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="),
    }
    for name, value in env.items():
        env[name] = fill.get(name) or re.sub(r"<[^>]*>", "placeholder", value)
    return env


def _deploy_check(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = env | {"HARBOUR_VAR_DIR": str(tmp_path)}
    run_env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings"} | env
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=run_env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=120,
    )


def test_the_documented_production_settings_pass_the_deployment_checks(tmp_path) -> None:
    result = _deploy_check(production_environment(), tmp_path)
    found = set(re.findall(r"\(([\w.]+\.[EW]\d+)\)", result.stdout + result.stderr))
    assert found == set(), result.stdout + result.stderr


def test_the_deployment_checks_catch_harbours_own_mistakes(tmp_path) -> None:
    env = production_environment()
    del env["HARBOUR_AUDIT_KEY"], env["HARBOUR_LINKAGE_KEY"]
    env["HARBOUR_SITE_URL"] = "http://harbour.example.ca"
    env["HARBOUR_KEYSTORE_URL"] = env["HARBOUR_DATABASE_URL"]
    env["HARBOUR_FAST_PASSWORD_HASHER"] = "1"
    result = _deploy_check(env, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for check in ("harbour.W101", "harbour.E102", "harbour.W104", "harbour.W106", "harbour.W109"):
        assert check in output, output
    env["HARBOUR_LINKAGE_KEY"] = "dG9vIHNob3J0"  # base64 of 9 bytes: refused, not at intake
    bad_key = _deploy_check(env, tmp_path)
    assert "harbour.E107" in bad_key.stdout + bad_key.stderr
    del env["HARBOUR_LINKAGE_KEY"]
    del env["HARBOUR_DATABASE_URL"], env["HARBOUR_KEYSTORE_URL"]  # SQLite, key store beside it
    beside = _deploy_check(env, tmp_path)
    assert "harbour.W103" in beside.stdout + beside.stderr


@pytest.mark.django_db
def test_harbour_check_deploy_runs_the_deployment_checks() -> None:
    """The test settings are not production ones: `harbour check --deploy` says so, by id."""
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    with pytest.raises(SystemCheckError) as found:
        call_command("web_check", "--deploy", stdout=io.StringIO(), stderr=io.StringIO())
    assert "harbour.W104" in str(found.value)  # the test site is http://
