"""The stats commands: budget, release, publish, export; refusals are clear and change nothing."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from harbour.stats.models import PrivacyBudget, Release

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_define_publish_and_export_from_the_command_line(
    counted_cases, analyst, reviewer, tmp_path
) -> None:
    assert "5.000" in _run("stats_budget", "--set", "5")
    made = _run(
        "stats_release",
        "--by",
        analyst.email,
        "--title",
        "By year",
        "--row",
        "year",
        "--method",
        "dp",
        "--epsilon",
        "0.25",
    )
    release_id = made.strip().split()[-1]
    with pytest.raises(CommandError):
        _run("stats_publish", release_id, "--by", analyst.email)  # not by its author
    assert "Published" in _run("stats_publish", release_id, "--by", reviewer.email)
    assert "0.250" in _run("stats_budget")
    target = tmp_path / "release.json"
    _run("stats_export", release_id, str(target), "--format", "json")
    assert json.loads(target.read_text())["metadata"]["epsilon"] == "0.250"
    csv_target = tmp_path / "release.csv"
    _run("stats_export", release_id, str(csv_target))
    assert csv_target.read_text().startswith("# release,")


def test_refusals_change_nothing(analyst, tmp_path) -> None:
    with pytest.raises(CommandError):
        _run("stats_budget", "--set", "lots")
    with pytest.raises(CommandError):
        _run(
            "stats_release",
            "--by",
            "nobody@example.org",
            "--title",
            "T",
            "--row",
            "year",
            "--method",
            "suppression",
        )
    with pytest.raises(CommandError):
        _run(
            "stats_release",
            "--by",
            analyst.email,
            "--title",
            "T",
            "--row",
            "year",
            "--method",
            "dp",
            "--epsilon",
            "0",
        )
    with pytest.raises(CommandError):
        _run("stats_export", "not-an-id", str(tmp_path / "x.csv"))
    assert not PrivacyBudget.objects.exists() and not Release.objects.exists()
