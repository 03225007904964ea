"""The command line's language (issue #9): HARBOUR_LANGUAGE, else the standard locale variables
(LC_ALL, LC_MESSAGES, LANG, first set wins), else English; an unknown HARBOUR_LANGUAGE is English
with a one-line warning. These tests need no French catalogue and never skip."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from django.utils import translation

from harbour.cli import cli_language, main


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({}, "en"),
        ({"LANG": "fr_CA.UTF-8"}, "fr"),
        ({"LANG": "fr"}, "fr"),
        ({"LANG": "en_CA.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        # POSIX precedence: LC_ALL, then LC_MESSAGES, then LANG; an empty one counts as unset.
        ({"LC_ALL": "fr_FR.UTF-8", "LC_MESSAGES": "en_US.UTF-8", "LANG": "en_CA"}, "fr"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "fr_CA.UTF-8"}, "en"),
        ({"LC_MESSAGES": "fr_CA.UTF-8", "LANG": "en_CA.UTF-8"}, "fr"),
        ({"LC_ALL": "", "LC_MESSAGES": "", "LANG": "fr_CA.UTF-8"}, "fr"),
        # HARBOUR_LANGUAGE overrides the locale, both ways.
        ({"HARBOUR_LANGUAGE": "en", "LC_ALL": "fr_CA.UTF-8"}, "en"),
        ({"HARBOUR_LANGUAGE": "fr", "LANG": "en_CA.UTF-8"}, "fr"),
        ({"HARBOUR_LANGUAGE": " FR ", "LANG": "C"}, "fr"),
        ({"HARBOUR_LANGUAGE": "", "LANG": "fr_CA.UTF-8"}, "fr"),
    ],
)
def test_the_language_follows_the_environment(environ: dict[str, str], language: str) -> None:
    assert cli_language(environ) == (language, "")


@pytest.mark.parametrize("value", ["de", "fr_CA", "french", "x" * 500])
def test_an_unknown_harbour_language_is_english_with_a_one_line_warning(value: str) -> None:
    language, warning = cli_language({"HARBOUR_LANGUAGE": value, "LANG": "fr_CA.UTF-8"})
    assert language == "en"
    assert "HARBOUR_LANGUAGE" in warning and "\n" not in warning and len(warning) < 120


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """A clean locale for harbour.cli.main, run in this process, and English again after it."""
    for name in ("HARBOUR_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HARBOUR_VAR_DIR", str(tmp_path))  # no harbour.env read from var/
    # Django closes every connection after a command run from a command line (the process ends
    # next); here the test's transaction must outlive it (PostgreSQL would lose it).
    monkeypatch.setattr(connections, "close_all", lambda: None)
    yield monkeypatch
    translation.activate("en")


@pytest.mark.django_db
def test_the_command_line_activates_the_locale_s_language_for_the_command(
    cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_env.setenv("LANG", "fr_CA.UTF-8")
    main(["orgs", "new-master-key"])  # prints a key only: safe to run here
    assert translation.get_language() == "fr"
    assert capsys.readouterr().err == ""


@pytest.mark.django_db
def test_the_command_line_warns_once_and_speaks_english_for_an_unknown_value(
    cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_env.setenv("LANG", "fr_CA.UTF-8")
    cli_env.setenv("HARBOUR_LANGUAGE", "klingon")
    main(["orgs", "new-master-key"])
    assert translation.get_language() == "en"
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'klingon'" in err and "English" in err
