"""The `harbour` command: its mapping onto management commands, and `harbour check`."""

import re

import pytest
from django.core.management import call_command

from harbour.cli import translate
from harbour.web.management.commands.help_harbour import MAIN

pytestmark = pytest.mark.django_db


def test_subcommands_map_onto_management_commands() -> None:
    assert translate(["demo", "--no-serve"]) == ["web_demo", "--no-serve"]
    assert translate(["audit", "verify"]) == ["audit_verify"]
    assert translate(["orgs", "rotate-data-key", "x"]) == ["orgs_rotate_data_key", "x"]
    assert translate(["migrate"]) == ["migrate"]
    assert translate([]) == ["help_harbour"]


def test_every_command_the_help_lists_runs_that_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`harbour demo load` is listed: it must run `demo_load`, not `harbour demo` (issue 10)."""
    call_command("help_harbour")
    listed = [
        tuple(line.split()[1:3])
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("  harbour ")
    ]
    apps = listed[len(MAIN) :]  # after `harbour demo`, `serve`, `check`
    assert ("demo", "load") in apps
    for app, verb in apps:
        assert translate([app, verb])[0] == f"{app}_{verb.replace('-', '_')}", (app, verb)
    assert translate(["demo", "load", "--seed", "3"]) == ["demo_load", "--seed", "3"]
    assert translate(["demo"]) == ["web_demo"]


def test_check_passes_on_a_healthy_installation(case, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("web_check")
    out = capsys.readouterr().out
    assert "Harbour check passed." in out and "audit trail intact" in out


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("help_harbour")
    out = capsys.readouterr().out
    for command in ("harbour demo", "harbour audit verify", "harbour standard export"):
        assert command in out


def test_identifying_data_is_never_in_a_page_title(client_for, caseworker, case) -> None:
    for url in (
        f"/cases/{case.pk}/",
        f"/sharing/survivors/{case.survivor_id}/consents/",
        f"/sharing/survivors/{case.survivor_id}/rights/",
    ):
        page = client_for(caseworker).get(url).content.decode()
        title = re.search(r"<title>(.*?)</title>", page, re.S)
        assert title and "Élodie" not in title.group(1) and "Tremblay" not in title.group(1)
        # "Page · Harbour": what a browser tab or a history entry shows
        assert re.fullmatch(r"\S.* · Harbour", title.group(1).strip()), title.group(1)


def test_check_asks_for_reseal_while_survivor_data_is_under_organisation_keys(case) -> None:
    from django.core.management.base import CommandError

    from harbour.cases.models import Survivor
    from harbour.orgs import crypto

    old = crypto.seal(case.org_id, {"given_name": "Élodie"}, aad=crypto.record_aad(case.survivor))
    Survivor.objects.filter(pk=case.survivor_id).update(sealed=old)
    with pytest.raises(CommandError, match="harbour orgs reseal"):
        call_command("web_check")
    call_command("orgs_reseal")
    call_command("web_check")
