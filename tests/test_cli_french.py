"""Operators' commands in French (issue #9): each family run through `harbour` with a French
locale, or inside translation.override, says its messages and errors in French.

These need the compiled French catalogue: a test whose message has no French fails and names
it (tests/test_i18n.py also fails then). The choice of language itself is tested in
tests/test_cli_language.py.
"""

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.utils import translation
from django.utils.translation import gettext

from harbour.audit import chain
from harbour.audit.chain import Problem
from harbour.audit.management.commands._problems import DESCRIPTIONS, first_bad_event
from harbour.cli import main

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def _french_has(*msgids: str) -> None:
    with translation.override("fr"):
        missing = [m for m in msgids if gettext(m) == m]
    assert not missing, f"the French catalogue does not have {missing[0]!r}"


@pytest.fixture
def french_locale(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`harbour` run in this process as from a shell with LANG=fr_CA.UTF-8."""
    for name in ("HARBOUR_LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "fr_CA.UTF-8")
    monkeypatch.setenv("HARBOUR_VAR_DIR", str(tmp_path))
    # Django closes every connection after a command run from a command line (the process ends
    # next); here the test's transaction must outlive it (PostgreSQL would lose it).
    monkeypatch.setattr(connections, "close_all", lambda: None)


def _in_french(command: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with translation.override("fr"):
        call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _refused_in_french(command: str, *args: str) -> str:
    with translation.override("fr"), pytest.raises(CommandError) as refused:
        call_command(command, *args, stdout=io.StringIO(), stderr=io.StringIO())
    return str(refused.value)


# --- audit ------------------------------------------------------------------------------------


def test_audit_verify_through_harbour_says_the_trail_is_intact_in_french(
    french_locale: None, case: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _french_has("audit trail intact: %(checked)d events verified")
    main(["audit", "verify"])
    assert f"piste de vérification intacte{NBSP}: " in capsys.readouterr().out


def test_audit_verify_through_harbour_refuses_an_unreadable_checkpoint_in_french(
    french_locale: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _french_has("%(path)s: cannot be read (%(error)s)")
    missing = tmp_path / "absent.txt"
    with pytest.raises(SystemExit) as stopped:
        main(["audit", "verify", "--checkpoint", str(missing)])
    assert stopped.value.code == 1
    assert f"{missing}{NBSP}: illisible (" in capsys.readouterr().err


def test_the_first_bad_event_is_described_in_french() -> None:
    _french_has(
        "first bad event in chain %(chain)s: event #%(seq)s (id %(id)s, %(action)s): %(what)s",
        str(DESCRIPTIONS["altered"]),
    )
    with translation.override("fr"):
        line = first_bad_event(Problem("org-1", 7, "altered", 42, "case.updated"))
    assert line.startswith(f"premier événement invalide dans la chaîne org-1{NBSP}: ")
    assert "(id 42, case.updated)" in line and "empreinte" in line


def test_the_translatable_descriptions_are_the_chain_s_own_english() -> None:
    """The copy here must not drift from harbour.audit.chain's wording (the
    tampering tests and logs use the latter)."""
    assert {k: str(v) for k, v in DESCRIPTIONS.items()} == chain.DESCRIPTIONS
    problem = Problem("org-1", 7, "gap", 42, "case.updated")
    assert first_bad_event(problem) == f"first bad event in {problem}"
    bare = Problem("org-1", 3, "chain_missing")
    assert first_bad_event(bare) == f"first bad event in {bare}"


def test_audit_prune_refusals_without_language_follows_the_command_line(
    french_locale: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its --language chooses its messages; without it, the command line's language (LANG)."""
    _french_has("--keep-days must be at least 1 (today's count is still kept): %(keep)d")
    with pytest.raises(SystemExit):
        main(["audit", "prune-refusals", "--keep-days", "0"])
    assert (
        f"--keep-days doit valoir au moins 1 (le décompte du jour est toujours conservé){NBSP}: 0"
        in (capsys.readouterr().err)
    )


def test_audit_checkpoint_reports_in_french(case: Any, tmp_path: Path) -> None:
    _french_has("checkpoint of %(issued)s UTC -> %(path)s")
    out, _err = _in_french("audit_checkpoint", "--out", str(tmp_path))
    assert out.startswith("point de contrôle du ")


def test_audit_export_speaks_french_but_writes_the_spreadsheet_it_was_asked_for(
    org: Any, case: Any, tmp_path: Path
) -> None:
    """--language is the spreadsheet's language; the messages follow the command line's."""
    _french_has("Wrote %(count)d events to %(path)s.")
    target = tmp_path / "trail.csv"
    _out, err = _in_french("audit_export", org.short_name, "--out", str(target), "--language", "en")
    assert "événements écrits dans" in err
    assert target.read_text(encoding="utf-8-sig").startswith("When,Who,Role,Action")


def test_audit_export_refuses_an_unknown_organisation_in_french() -> None:
    _french_has("No organisation with the short name %(org)r.")
    assert _refused_in_french("audit_export", "nowhere") == (
        "Aucun organisme ne porte le nom abrégé 'nowhere'."
    )


def test_several_refusals_on_one_line_are_separated_as_french_writes_them(org: Any) -> None:
    """French sets a narrow no-break space before ';' (accounts invite, audit export, cases
    immigration, stats budget and stats release join their refusals this way)."""
    _french_has("No organisation with the short name %(org)r.")
    with translation.override("fr"):
        assert gettext("; ") == "; "  # not the separator: that one has a context
    refused = _refused_in_french(
        "audit_export", org.short_name, "--since", "not a date", "--until", "nor this"
    )
    assert refused.count("\u202f; ") == 1, refused
    assert " ; " not in refused and refused.count(";") == 1


def test_the_separator_of_refusals_stays_plain_in_english() -> None:
    from harbour.core.errors import InvalidInput, one_line

    with translation.override("en"):
        assert one_line(InvalidInput({"a": ["One."], "b": ["Two."]})) == "One.; Two."
    with translation.override("fr"):
        assert one_line(InvalidInput({"a": ["Un."], "b": ["Deux."]})) == "Un.\u202f; Deux."


# --- orgs -------------------------------------------------------------------------------------


def test_orgs_sweep_keys_reports_in_french() -> None:
    _french_has("%(count)d erased survivor key(s) destroyed")
    out, _err = _in_french("orgs_sweep_keys")
    assert out.strip() == "0 clé(s) de personnes survivantes effacées détruite(s)"


def test_orgs_reseal_refuses_an_unknown_organisation_in_french() -> None:
    _french_has("no organisation with short name %(org)r")
    refused = _refused_in_french("orgs_reseal", "--org", "nowhere")
    assert refused == "aucun organisme ne porte le nom abrégé 'nowhere'"


def test_orgs_reseal_reports_in_french(org: Any) -> None:
    _french_has("%(total)d record(s) re-encrypted in %(orgs)d organisation(s)")
    out, _err = _in_french("orgs_reseal", "--org", org.short_name)
    assert out.strip().endswith("rechiffré(s) dans 1 organisme(s)")


# --- accounts ---------------------------------------------------------------------------------


def test_accounts_second_factor_policy_reports_in_french(org: Any) -> None:
    _french_has("%(org)s: a second factor is required for caseworkers.")
    out, _err = _in_french("accounts_second_factor_policy", org.short_name, "--require")
    assert out.strip() == (
        f"{org.short_name}{NBSP}: un deuxième facteur est obligatoire pour les intervenant·e·s."
    )


def test_accounts_reset_second_factor_refuses_an_unknown_address_in_french() -> None:
    _french_has("No account has this e-mail address.")
    refused = _refused_in_french("accounts_reset_second_factor", "nobody@example.org")
    assert refused == "Aucun compte n’a cette adresse courriel."


def test_accounts_demo_code_refuses_a_real_account_in_french(caseworker: Any) -> None:
    _french_has(
        "No demo account with an authenticator has this address (this command works only for "
        "the synthetic demo organisations)."
    )
    refused = _refused_in_french("accounts_demo_code", caseworker.email)
    assert refused.startswith("Aucun compte de démonstration")


# --- sharing and harbour check ----------------------------------------------------------------


def test_sharing_remind_reports_in_french() -> None:
    _french_has(
        "%(overdue_referrals)d overdue referral(s), %(expiring_consents)d expiring consent(s), "
        "%(expiring_permits)d permit(s) ending, %(waiting_applications)d waiting immigration "
        "application(s) notified"
    )
    out, _err = _in_french("sharing_remind")
    assert out.startswith("notifications envoyées pour 0 orientation(s) sans réponse")


def test_harbour_check_through_harbour_passes_in_french(
    french_locale: None, case: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _french_has("Harbour check passed.", "database schema up to date")
    main(["check"])
    out = capsys.readouterr().out
    assert "schéma de la base de données à jour" in out
    assert "Vérification de Harbour réussie." in out


# --- imports -------------------------------------------------------------------------------------


def test_grants_import_locates_each_problem_in_french(tmp_path: Path) -> None:
    _french_has("%(where)s: %(message)s", "row %(n)s, %(column)s")
    path = tmp_path / "funders.csv"
    path.write_text(
        "short_name,name_en,name_fr,kind,province,website\r\n"
        "city-fund,City of Toronto,Ville de Toronto,municipal,CA-ZZ,https://example.org\r\n",
        encoding="utf-8",
    )
    err = io.StringIO()
    with translation.override("fr"), pytest.raises(CommandError):
        call_command("grants_import", "funders", str(path), stdout=io.StringIO(), stderr=err)
    assert f"ligne 2, province{NBSP}: " in err.getvalue()


def test_directory_import_refuses_a_bad_file_in_french(tmp_path: Path) -> None:
    _french_has("%(where)s: %(message)s", "Nothing was imported: %(n)d problems.")
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"[1]")
    err = io.StringIO()
    with translation.override("fr"), pytest.raises(CommandError) as refused:
        call_command("directory_import", str(bad), "--dry-run", stderr=err)
    assert str(refused.value).startswith("Rien n") and f"{NBSP}: " in err.getvalue()


# --- files a command writes keep their own language ---------------------------------------------


def test_the_openapi_reference_is_english_even_from_a_french_command_line(tmp_path: Path) -> None:
    """docs/reference/openapi.json is the English document whatever LANG says."""
    from harbour.api.management.commands.api_openapi import openapi_text

    english = openapi_text()
    target = tmp_path / "openapi.json"
    _in_french("api_openapi", "--out", str(target))
    assert target.read_text(encoding="utf-8") == english


def test_the_data_dictionary_reference_is_the_same_from_a_french_command_line(
    tmp_path: Path,
) -> None:
    """docs/reference/data-dictionary.md shows both languages side by side."""
    english, french = tmp_path / "en.md", tmp_path / "fr.md"
    call_command("standard_docs", "--out", str(english), stdout=io.StringIO())
    _in_french("standard_docs", "--out", str(french))
    assert french.read_text(encoding="utf-8") == english.read_text(encoding="utf-8")


def test_api_openapi_and_standard_docs_report_in_french(tmp_path: Path) -> None:
    _french_has("wrote %(path)s")
    out, _err = _in_french("standard_docs", "--out", str(tmp_path / "dictionary.md"))
    assert out.strip() == f"{tmp_path / 'dictionary.md'} écrit"


def test_demo_load_refuses_a_bad_count_in_french() -> None:
    _french_has("--cases must be at least 1.")
    refused = _refused_in_french("demo_load", "--cases", "0", "--password", "x" * 16)
    assert refused == "--cases doit valoir au moins 1."
