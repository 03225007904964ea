"""Grants jobs that write several organisations' chains take them in one order (ADR 35): the
deadline reminders and an awards file, whatever the organisations' names or the file's order."""

from collections.abc import Callable
from typing import Any

import pytest

from harbour.audit.tests.crossing import chains_taken
from harbour.grants import actions, tabular
from harbour.grants.models import Award
from harbour.grants.tests.conftest import SYSTEM, TODAY
from harbour.orgs.models import Organisation

pytestmark = pytest.mark.django_db


def _named_against_their_ids(make_org: Callable[..., Any]) -> list[Any]:
    """Two organisations whose names sort the other way round from their ids."""
    orgs = sorted((make_org(), make_org()), key=lambda o: str(o.pk), reverse=True)
    for org, name in zip(orgs, ("Alpha shelter", "Beta shelter"), strict=True):
        Organisation.objects.filter(pk=org.pk).update(name_en=name)
    return orgs


def test_deadline_reminders_write_the_chains_in_their_order(
    monkeypatch: pytest.MonkeyPatch, make_org: Callable[..., Any], make_program: Any
) -> None:
    orgs = _named_against_their_ids(make_org)
    make_program(code="soon", name_en="Soon fund", provinces=[], deadline="2027-03-10")
    taken = chains_taken(monkeypatch)
    assert actions.send_deadline_reminders(by=SYSTEM, today=TODAY, days=14) >= 2
    assert {str(o.pk) for o in orgs} <= set(taken)
    assert taken == sorted(taken)


def test_an_awards_file_takes_the_chains_in_their_order_not_the_files(
    monkeypatch: pytest.MonkeyPatch, make_org: Callable[..., Any], program: Any
) -> None:
    orgs = sorted((make_org(), make_org()), key=lambda o: str(o.pk), reverse=True)
    lines = [
        "org,program,amount,starts_on,ends_on,province,pillars,populations,purpose_en,purpose_fr"
    ]
    lines += [
        f"{o.short_name},{program.code},25000,2026-04-01,2027-03-31,CA-ON,protection,youth,Beds,Lits"
        for o in orgs
    ]
    taken = chains_taken(monkeypatch)
    report = tabular.import_csv(by=SYSTEM, kind="awards", data="\r\n".join(lines).encode())
    assert report.problems == [] and Award.objects.count() == 2
    assert [c for c in taken if c in {str(o.pk) for o in orgs}] == sorted(str(o.pk) for o in orgs)
    assert taken == sorted(taken)
