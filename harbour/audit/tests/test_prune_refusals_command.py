"""`harbour audit prune-refusals` speaks the operator's language (--language en|fr, issue #9) and
refuses a bad --keep-days in it, changing nothing."""

import datetime as dt

import pytest
from django.core.management import CommandError
from django.utils import timezone, translation
from django.utils.translation import gettext

from harbour.audit.models import AuditEvent, RefusalTally
from harbour.audit.tests.refusal_rows import prune as _prune
from harbour.audit.tests.refusal_rows import tally as _tally

pytestmark = pytest.mark.django_db

DONE = "%(deleted)d daily count(s) of refused reads older than %(keep)d day(s) deleted"
TOO_SHORT = "--keep-days must be at least 1 (today's count is still kept): %(keep)d"


def _french_catalogue_has(msgid: str) -> None:
    with translation.override("fr"):
        assert gettext(msgid) != msgid, f"the French catalogue does not have {msgid!r}"


def test_it_reports_in_english_by_default() -> None:
    _tally(40)
    _tally(0)
    assert _prune().strip() == DONE % {"deleted": 1, "keep": 30}


def test_it_reports_in_french_when_asked() -> None:
    _french_catalogue_has(DONE)
    _tally(40)
    _tally(41)
    out = _prune("--language", "fr", "--keep-days", "30")
    assert out.strip() == (
        "2 décompte(s) quotidien(s) de lectures refusées de plus de 30 jour(s) supprimé(s)"
    )
    assert translation.get_language() == "en", "the command's language must not outlive it"


def test_a_bad_retention_is_refused_in_french_and_changes_nothing() -> None:
    _french_catalogue_has(TOO_SHORT)
    _tally(40)
    with pytest.raises(CommandError) as refused:
        _prune("--language", "fr", "--keep-days", "0")
    assert str(refused.value) == (
        "--keep-days doit valoir au moins 1 (le décompte du jour est toujours conservé)\u00a0: 0"
    )
    assert RefusalTally.objects.count() == 1
    assert not AuditEvent.objects.filter(action="audit.refusal_tallies_pruned").exists()


def test_an_unknown_language_is_refused_and_changes_nothing() -> None:
    _tally(40)
    with pytest.raises(CommandError, match="invalid choice"):
        _prune("--language", "de")
    assert RefusalTally.objects.count() == 1
    assert not AuditEvent.objects.filter(action="audit.refusal_tallies_pruned").exists()


def test_the_event_says_the_cut_off_day_and_how_many() -> None:
    _tally(31)
    _tally(30)
    _prune("--keep-days", "30")
    event = AuditEvent.objects.get(action="audit.refusal_tallies_pruned", chain="system")
    before = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    assert event.context == {"before": before, "deleted": 1, "organisations": 1}
    assert event.target_type == "refusal_tally"
