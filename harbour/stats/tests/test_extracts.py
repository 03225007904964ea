"""Research extracts: consent coverage, approval by an analyst, k-anonymity checked independently
of the generator, the data package, and every download audited."""

import csv
import io
import json
import zipfile
from collections import Counter
from typing import Any

import pytest
from django.test import Client

from harbour.audit.models import AuditEvent
from harbour.core.errors import Conflict, InvalidInput
from harbour.sharing import actions as sharing
from harbour.stats import actions
from harbour.stats.tests.conftest import intake

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


PURPOSE = "Study of recruitment pathways, ethics board approval REB-2026-114."
QIDS = ("year", "province", "age_band", "gender")


def _consent_to_research(worker: Any, cases: list[Any]) -> None:
    for case in cases:
        sharing.record_consent(
            by=worker,
            survivor=case.survivor,
            recipient_kind="research",
            categories=["case_summary"],
            purposes=["research"],
            method="written",
        )


def test_a_request_without_any_research_consent_is_not_approved(
    counted_cases, researcher, analyst
) -> None:
    request = actions.request_extract(by=researcher, purpose=PURPOSE)
    with pytest.raises(Conflict):
        actions.decide_extract(by=analyst, request=request, approve=True)
    request.refresh_from_db()
    assert request.status == "requested"


@pytest.mark.parametrize(
    ("values", "field"),
    [({"purpose": "too short"}, "purpose"), ({"k": 5}, "k"), ({"first_year": 1200}, "first_year")],
)
def test_bad_requests_are_refused(researcher, values, field) -> None:
    with pytest.raises(InvalidInput) as refused:
        actions.request_extract(by=researcher, **({"purpose": PURPOSE} | values))
    assert field in refused.value.errors


def test_the_extract_is_k_anonymous_consented_only_and_documented(
    make_case, caseworker, researcher, analyst, tmp_path
) -> None:
    consented = intake(make_case, caseworker, 30)
    intake(make_case, caseworker, 5)  # no research consent: never in the extract
    _consent_to_research(caseworker, consented)
    client = signed_in(researcher)
    assert client.get("/research/").status_code == 200
    assert client.post("/statistics/extracts/new/", {"purpose": PURPOSE}).status_code == 302
    request = actions.ExtractRequest.objects.get()
    assert client.get(f"/statistics/extracts/{request.pk}/download/").status_code == 404
    decided = signed_in(analyst).post(f"/statistics/extracts/{request.pk}/approve/")
    assert decided.status_code == 302
    answer = client.get(f"/statistics/extracts/{request.pk}/download/")
    assert answer.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    rows = list(csv.DictReader(io.StringIO(archive.read("data/persons.csv").decode())))
    assert 0 < len(rows) <= 30
    groups = Counter(tuple(r[q] for q in QIDS) for r in rows)
    assert min(groups.values()) >= 11
    package = json.loads(archive.read("datapackage.json"))
    assert package["harbour"]["k"] == 11
    assert "HTCDS" in package["sources"][0]["title"]
    assert "k-anonymity" in archive.read("README.md").decode()
    assert not {"given_name", "family_name", "birth_date"} & set(rows[0])
    assert AuditEvent.objects.filter(action="stats.extract_downloaded").count() == 1
    assert _valid_package(archive, tmp_path)


def _valid_package(archive: zipfile.ZipFile, folder: Any) -> bool:
    from frictionless import validate

    archive.extractall(folder)
    report = validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])[:5]
    return True


def test_only_the_researcher_who_asked_downloads(
    make_case, caseworker, researcher, analyst, make_user, national
) -> None:
    _consent_to_research(caseworker, intake(make_case, caseworker, 12))
    request = actions.request_extract(by=researcher, purpose=PURPOSE)
    actions.decide_extract(by=analyst, request=request, approve=True)
    other = make_user("researcher", national)
    assert signed_in(other).get(f"/statistics/extracts/{request.pk}/download/").status_code == 404
    assert signed_in(analyst).get(f"/statistics/extracts/{request.pk}/download/").status_code == 404


def test_refusing_a_request(researcher, analyst) -> None:
    request = actions.request_extract(by=researcher, purpose=PURPOSE)
    assert signed_in(analyst).post(f"/statistics/extracts/{request.pk}/refuse/").status_code == 302
    request.refresh_from_db()
    assert request.status == "refused"
    with pytest.raises(Conflict):
        actions.decide_extract(by=analyst, request=request, approve=True)
