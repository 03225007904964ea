"""Invariant 6: every user-facing string is translatable and the French catalogue is complete."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def test_the_french_catalogue_has_no_missing_or_fuzzy_entries() -> None:
    catalogue = polib.pofile(str(PO))
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []
    assert catalogue.percent_translated() == 100


def test_the_compiled_catalogue_matches_the_source() -> None:
    mo = PO.with_suffix(".mo")
    compiled = polib.mofile(str(mo))
    source = polib.pofile(str(PO))
    # Keyed by (context, text): the same English word may read differently in French by context.
    assert {(e.msgctxt, e.msgid): e.msgstr for e in compiled if e.msgid} == {
        (e.msgctxt, e.msgid): e.msgstr for e in source.translated_entries() if not e.msgid_plural
    } | {(e.msgctxt, e.msgid): e.msgstr for e in compiled if e.msgid_plural}


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext")
def test_every_marked_string_is_in_the_catalogue(tmp_path: Path) -> None:
    """Re-extract the strings from the code and templates: none may be missing from the .po."""
    project = Path(settings.BASE_DIR)
    work = tmp_path / "project"
    shutil.copytree(
        project,
        work,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "var", "node_modules", "*.pyc", "__pycache__", ".hypothesis"
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "fr",
            "--no-location",
            "--ignore=.venv/*",
            "--ignore=benchmarks/*",
            "--ignore=tests/*",
        ],
        cwd=work,
        check=True,
        capture_output=True,
        env={**_env(), "PYTHONPATH": str(work)},
    )
    extracted = polib.pofile(str(work / "locale" / "fr" / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in extracted if not e.obsolete and not e.translated()]
    assert missing == [], "run `./dev messages` and translate the new strings"


def _env() -> dict[str, str]:
    import os

    return dict(os.environ.items()) | {"DJANGO_SETTINGS_MODULE": "config.settings"}
