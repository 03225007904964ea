"""A release says how its persons were unduplicated (issues 11 and 12, ADR 27): the record-linkage
run with its figures, or the fallback to referral links; frozen at publication, on the page, in
every download and in the API."""

import io
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from harbour.audit.actions import SystemActor
from harbour.core.errors import Conflict
from harbour.linkage import actions as linkage
from harbour.linkage.core import matching
from harbour.stats import actions, presentation, queries
from harbour.stats.models import BudgetSpend, Release
from harbour.stats.tests.conftest import intake

pytestmark = pytest.mark.django_db
LINKER = SystemActor("linkage tests")


def _publish(analyst: Any, reviewer: Any, **config: Any) -> Release:
    values = {"title": "By province", "row_variable": "province", "method": "suppression"}
    draft = actions.create_release(by=analyst, **(values | config))
    return actions.publish_release(by=reviewer, release=draft)


def _page(release: Release, **headers: Any) -> str:
    return Client().get(f"/statistics/releases/{release.pk}/", **headers).content.decode()


AMIRA = {
    "given_name": "Amira",
    "family_name": "Haddad",
    "birth_date": "1990-07-21",
    "mobile_phone": "+15145550123",
}


def _persons_paragraph(release: Release) -> str:
    found = re.search(r"<p [^>]*data-persons=.*?</p>", _page(release), re.S)
    assert found is not None
    return found.group(0)


def _the_same_person_elsewhere(make_case: Any, make_user: Any, org: Any, other_org: Any) -> None:
    """A counted survivor seen again by an organisation that never referred her."""
    make_case(make_user("caseworker", org), survivor=AMIRA)
    make_case(make_user("caseworker", other_org), survivor=AMIRA | {"mobile_phone": None})


def test_a_release_after_a_linkage_run_records_and_shows_its_figures(
    counted_cases, make_case, make_user, org, other_org, analyst, reviewer
) -> None:
    _the_same_person_elsewhere(make_case, make_user, org, other_org)
    run = linkage.run_linkage(by=LINKER)
    assert run.records == 30 and run.persons < run.records  # the run found the duplicate
    release = _publish(analyst, reviewer)
    recorded = release.config["persons"]
    assert recorded["by"] == "record_linkage" and recorded["run"] == str(run.pk)
    assert recorded["records_per_person"] == 1 and release.config["persons_unduplicated"]
    assert (recorded["records"], recorded["persons"]) == (run.records, run.persons)
    assert recorded["persons_expected"] == run.persons_expected
    assert recorded["persons_if_uncertain_merged"] == run.persons_if_uncertain_merged
    assert recorded["run_at"] == run.created_at.isoformat()
    assert recorded["thresholds"] == run.weights["thresholds"]  # what it merged at, kept with it
    assert recorded["thresholds"]["merge"] == matching.Thresholds().merge
    note = presentation.persons_note(release)
    day = timezone.localtime(run.created_at).date().isoformat()
    assert note.startswith(f"Persons unduplicated by the record-linkage run of {day}")
    assert "30" not in note and str(run.persons) not in note  # no count leaves, only shares
    page = _page(release)
    assert note in page and str(run.pk) in page


def test_the_uncertainty_of_the_run_is_reported() -> None:
    release = Release(method="dp", status="published", config={"persons": _recorded(100, 90, 84)})
    assert presentation.persons_note(release) == (
        "Persons unduplicated by the record-linkage run of 2026-12-01: were every uncertain pair "
        "one person, 6.7 % fewer persons would be counted (expected: 3.3 % fewer)."
    )
    older = _recorded(100, 90, 84) | {"persons_expected": None}
    release.config = {"persons": older}  # a run made before the estimate existed
    assert "one person, 6.7 % fewer persons would be counted." in (
        presentation.persons_note(release)
    )
    release.config = {"persons": _recorded(1200, 1180, 1180)}
    assert presentation.persons_note(release).endswith("2026-12-01 (no uncertain pair).")


def _recorded(records: int, persons: int, merged: int) -> dict[str, Any]:
    return {
        "by": "record_linkage",
        "records_per_person": 1,
        "run": "6f1c0c1e-0000-4000-8000-000000000001",
        "run_at": "2026-12-01T12:00:00+00:00",
        "records": records,
        "persons": persons,
        "persons_expected": (persons + merged) // 2,
        "persons_if_uncertain_merged": merged,
        "uncertain_pairs": persons - merged,
        "weak_records": 0,
        "stale_records": 0,
    }


def test_without_a_run_a_release_says_the_fallback(
    counted_cases, analyst, reviewer, budget
) -> None:
    suppressed = _publish(analyst, reviewer)
    assert suppressed.config["persons"] == {"by": "referral_links", "records_per_person": 2}
    page = _page(suppressed)
    assert "No record-linkage run: records were joined only by referrals and transfers" in page
    assert "sensitivity was doubled" not in page  # no noise to widen
    assert "Linkage run:" not in page
    noisy = _publish(analyst, reviewer, method="dp", epsilon="0.5")
    assert "The differential-privacy sensitivity was doubled to cover it." in _page(noisy)


def test_a_later_run_changes_no_published_release(
    counted_cases, make_case, make_user, org, other_org, caseworker, analyst, reviewer
) -> None:
    before_any_run = _publish(analyst, reviewer)
    first = linkage.run_linkage(by=LINKER)
    after_first = _publish(analyst, reviewer)
    texts = {r.pk: (_persons_paragraph(r), r.config) for r in (before_any_run, after_first)}
    _the_same_person_elsewhere(make_case, make_user, org, other_org)
    intake(make_case, caseworker, 2)
    second = linkage.run_linkage(by=LINKER)
    assert (second.records, second.pk) != (first.records, first.pk)
    for release in (before_any_run, after_first):
        release.refresh_from_db()
        assert (_persons_paragraph(release), release.config) == texts[release.pk]
    assert after_first.config["persons"]["run"] == str(first.pk)
    assert _publish(analyst, reviewer).config["persons"]["run"] == str(second.pk)


def test_a_run_finishing_while_counting_publishes_nothing(
    counted_cases, analyst, reviewer, budget, monkeypatch
) -> None:
    """The persons and the recorded run must be the same run's: one finishing in between is
    refused rather than recorded wrongly (the interleaving is forced; the run is real)."""
    counted = queries.person_rows

    def run_meanwhile(cases: Any) -> Any:
        found = counted(cases)
        linkage.run_linkage(by=LINKER)
        return found

    monkeypatch.setattr(queries, "person_rows", run_meanwhile)
    draft = actions.create_release(
        by=analyst, title="Noisy", row_variable="province", method="dp", epsilon="0.5"
    )
    with pytest.raises(Conflict, match="record-linkage run finished"):
        actions.publish_release(by=reviewer, release=draft)
    draft.refresh_from_db()
    assert draft.status == "draft" and not draft.config and not BudgetSpend.objects.exists()


def test_downloads_and_the_api_carry_it(counted_cases, analyst, reviewer, api_for) -> None:
    run = linkage.run_linkage(by=LINKER)
    release = _publish(analyst, reviewer)
    client, base = Client(), f"/statistics/releases/{release.pk}/download"
    csv = client.get(f"{base}.csv").content.decode()
    assert "# persons_counted_by,record_linkage" in csv
    assert f"# linkage_run,{run.pk}" in csv and "# linkage_expected_fewer_percent," in csv
    assert "linkage_records" not in csv and "linkage_persons" not in csv  # shares, no counts
    assert "# persons_note,Persons unduplicated by the record-linkage run of" in csv
    data = client.get(f"{base}.json").json()["metadata"]
    assert data["records_per_person"] == 1 and "linkage_persons" not in data
    merged = run.persons - run.persons_if_uncertain_merged
    assert data["linkage_fewer_if_uncertain_merged_percent"] == round(100 * merged / run.persons, 1)
    sheet = load_workbook(io.BytesIO(client.get(f"{base}.xlsx").content))["metadata"]
    about = {row[0]: row[1] for row in sheet.iter_rows(values_only=True)}
    assert about["persons_counted_by"] == "record_linkage" and about["linkage_run"] == str(run.pk)
    served = api_for(analyst).get(f"/api/v1/statistics/releases/{release.pk}").json()
    assert served["metadata"]["linkage_run"] == str(run.pk)
    assert served["metadata"]["persons_note"] == data["persons_note"]


def test_releases_published_before_the_record_say_what_they_can(
    counted_cases, analyst, reviewer
) -> None:
    release = _publish(analyst, reviewer)
    old = {k: v for k, v in release.config.items() if k not in {"persons", "persons_unduplicated"}}
    Release.objects.filter(pk=release.pk).update(config=old)
    release.refresh_from_db()
    assert "was not recorded for this release" in _page(release)
    assert presentation.release_metadata(release)["persons_counted_by"] == "not_recorded"
    Release.objects.filter(pk=release.pk).update(config=old | {"persons_unduplicated": False})
    release.refresh_from_db()
    assert "No record-linkage run" in _page(release)  # what the old flag meant
    draft = actions.create_release(
        by=analyst, title="Draft", row_variable="gender", method="suppression"
    )
    assert "persons_counted_by" not in presentation.release_metadata(draft)


def test_the_page_says_it_in_french(counted_cases, analyst, reviewer) -> None:
    """Needs the French catalogues (merged by the lead from /work/tr/personcount.json)."""
    linkage.run_linkage(by=LINKER)
    release = _publish(analyst, reviewer)
    page = _page(release, HTTP_ACCEPT_LANGUAGE="fr")
    assert "Personnes dédoublonnées par le couplage d’enregistrements du" in page
    assert "Exécution du couplage\u00a0:" in page
