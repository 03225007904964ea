"""Synthetic research extracts (ADR 29): pac-synth under differential privacy, the research budget
spent once at approval, the same stored file at every download, a valid documented package with
catalogue codes only, and refusals that spend nothing."""

import csv
import io
import json
import random
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from harbour.audit.actions import SystemActor
from harbour.audit.models import AuditEvent
from harbour.core.errors import Conflict, InvalidInput
from harbour.stats import actions, synthetic
from harbour.stats.catalogue import RESEARCH_VARIABLES
from harbour.stats.core import synth
from harbour.stats.models import RESEARCH, BudgetSpend, ExtractRequest
from harbour.stats.tests.conftest import intake
from harbour.stats.tests.test_extracts import PURPOSE, _consent_to_research, _valid_package

# --- the pure synthesiser (no database) --------------------------------------------------------

COLUMNS = ("year", "province", "age", "exploitation")
CATEGORIES = {
    "year": [],
    "province": ["CA-ON", "CA-QC", "CA-MB", "unknown"],
    "age": ["18_24", "25_34", "35_44", "unknown"],
    "exploitation": ["sexual", "labour", "forced_criminality", "unknown"],
}


def _people(n: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        province = rng.choices(["CA-ON", "CA-QC", "CA-MB"], weights=[5, 3, 2])[0]
        kinds = rng.sample(["sexual", "labour", "forced_criminality"], rng.choice([1, 1, 2]))
        out.append(
            {
                "year": rng.choice(["2024", "2025"]),
                "province": province,
                "age": rng.choices(["18_24", "25_34", "35_44"], weights=[4, 3, 1])[0],
                "exploitation": ";".join(sorted(kinds)),
            }
        )
    return out


def _synth(rows: list[dict[str, str]], epsilon: float = 1.0) -> synth.Synthesis:
    return synth.synthesise(
        rows, COLUMNS, CATEGORIES, multi={"exploitation"}, epsilon=epsilon, unknown="unknown"
    )


def test_synthetic_rows_hold_only_the_columns_and_codes_given() -> None:
    rows = _people(600, seed=1)
    made = _synth(rows, epsilon=4.0)
    assert made.rows and made.epsilon == 4.0 and 0 < made.delta < 1e-2
    years = {r["year"] for r in rows} | {"unknown"}
    for row in made.rows:
        assert tuple(row) == COLUMNS
        assert row["year"] in years
        for column in ("province", "age"):
            assert row[column] in CATEGORIES[column]
        assert set(row["exploitation"].split(";")) <= set(CATEGORIES["exploitation"])
    # the synthesiser keeps the structure: Ontario, the largest province, stays the largest
    provinces = synth.two_way_marginals(made.rows, COLUMNS)[("year", "province")]
    by_province = {
        p: sum(n for (_y, q), n in provinces.items() if q == p) for p in CATEGORIES["province"]
    }
    assert max(by_province, key=lambda p: by_province[p]) == "CA-ON"


def test_neighbouring_datasets_give_extracts_equal_only_within_noise() -> None:
    """Two datasets differing in one person: their synthetic two-way tables differ by noise (the
    output is random, never a function of that one person), yet both stay near the truth."""
    rows = _people(1500, seed=2)
    neighbour = [*rows[:-1], {**rows[-1], "province": "CA-MB", "age": "35_44"}]
    first, second = _synth(rows, epsilon=4.0), _synth(neighbour, epsilon=4.0)
    assert first.rows != second.rows  # randomised: no deterministic copy of the input
    between = synth.two_way_error(first.rows, second.rows, COLUMNS)
    assert 0 < between < 0.25  # measured: 0.04 to 0.07 over 30 runs
    assert synth.two_way_error(rows, first.rows, COLUMNS) < 0.25
    assert synth.two_way_error(rows, second.rows, COLUMNS) < 0.25
    # the measure itself: identical tables are 0 apart, disjoint ones 2 (here the 3 pairs of
    # the 6 with the year are disjoint, the others identical)
    assert synth.two_way_error(rows, rows, COLUMNS) == 0
    other = [{**r, "year": "1999"} for r in rows]
    assert synth.two_way_error(rows, other, COLUMNS) == pytest.approx(1.0)


@pytest.mark.parametrize("epsilon", [0.0, 0.05, 11.0])
def test_epsilon_outside_its_bounds_is_refused(epsilon: float) -> None:
    with pytest.raises(ValueError):
        _synth(_people(20, seed=3), epsilon=epsilon)


# --- requests, approval, the ledger and downloads -----------------------------------------------


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _research_budget(total: str) -> Any:
    return actions.set_budget(by=SystemActor("tests"), epsilon_total=total, dataset=RESEARCH)


@pytest.fixture
def consented(make_case: Any, caseworker: Any) -> list[Any]:
    # Enough persons that pac-synth's noisy record count (5 % of ε) is never negative at ε = 10:
    # with a handful it panics and the approval is refused (test_a_failed_synthesis_...).
    cases = intake(make_case, caseworker, 40)
    _consent_to_research(caseworker, cases)
    return cases


@pytest.mark.django_db
def test_a_synthetic_extract_spends_once_and_is_the_same_file_at_every_download(
    consented, researcher, analyst, tmp_path
) -> None:
    _research_budget("12")
    client = signed_in(researcher)
    form = {"purpose": PURPOSE, "method": "synthetic", "epsilon": "10"}
    assert client.post("/statistics/extracts/new/", form).status_code == 302
    request = ExtractRequest.objects.get()
    assert (request.method, request.epsilon) == ("synthetic", Decimal("10.000"))
    assert not BudgetSpend.objects.exists()  # nothing spent before approval
    page = signed_in(analyst).get("/national/").content.decode()
    assert "synthetic microdata (differentially private), ε = 10.000" in page
    assert 'value="synthetic"' in client.get("/research/").content.decode()
    assert signed_in(analyst).post(f"/statistics/extracts/{request.pk}/approve/").status_code == 302
    spend = BudgetSpend.objects.get()
    assert (spend.extract_id, spend.release_id, spend.epsilon) == (request.pk, None, Decimal(10))
    assert spend.budget.dataset == RESEARCH and spend.spent_by == analyst
    assert AuditEvent.objects.filter(action="stats.budget_spent").count() == 1

    first = client.get(f"/statistics/extracts/{request.pk}/download/")
    second = client.get(f"/statistics/extracts/{request.pk}/download/")
    assert first.status_code == second.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(first.content))
    data = archive.read("data/persons.csv")
    assert data == zipfile.ZipFile(io.BytesIO(second.content)).read("data/persons.csv")
    assert BudgetSpend.objects.count() == 1  # downloads spend nothing
    assert AuditEvent.objects.filter(action="stats.extract_downloaded").count() == 2

    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert rows and tuple(rows[0]) == RESEARCH_VARIABLES
    allowed = synthetic.categories()
    for row in rows:
        for column, value in row.items():
            if allowed[column]:
                assert set(value.split(";")) <= set(allowed[column]), (column, value)
            else:
                assert value == "unknown" or value.isdigit()
    package = json.loads(archive.read("datapackage.json"))
    meta = package["harbour"]
    assert meta["rows_are_synthetic"] is True and meta["epsilon"] == "10.000"
    assert meta["reporting_length"] == 2 and 0 < meta["delta"] < 1
    assert "pac-synth" in meta["library"] and "differentially private" in package["title"]
    assert "HTCDS" in package["sources"][0]["title"]
    readme = archive.read("README.md").decode()
    assert "SYNTHETIC" in readme and "epsilon = 10.000" in readme and "HTCDS" in readme
    assert _valid_package(archive, tmp_path)


@pytest.mark.django_db
def test_a_request_beyond_the_research_budget_is_refused_and_spends_nothing(
    consented, researcher, analyst
) -> None:
    _research_budget("15")
    # two requests that each fit, but not together: the second approval is refused
    one = actions.request_extract(by=researcher, purpose=PURPOSE, method="synthetic", epsilon="10")
    two = actions.request_extract(by=researcher, purpose=PURPOSE, method="synthetic", epsilon="10")
    actions.decide_extract(by=analyst, request=one, approve=True)
    with pytest.raises(Conflict, match="research privacy budget"):
        actions.decide_extract(by=analyst, request=two, approve=True)
    two.refresh_from_db()
    assert two.status == "requested" and two.synthetic_csv == ""
    assert [s.extract_id for s in BudgetSpend.objects.all()] == [one.pk]

    # a new request beyond what is left is refused at once, with the reason, and not recorded
    client = signed_in(researcher)
    form = {"purpose": PURPOSE, "method": "synthetic", "epsilon": "6"}
    answer = client.post("/statistics/extracts/new/", form)
    assert answer.status_code == 422
    assert "would exceed the research privacy budget (5.000 left)" in answer.content.decode()
    assert ExtractRequest.objects.count() == 2 and BudgetSpend.objects.count() == 1


@pytest.mark.django_db
def test_a_failed_synthesis_spends_and_approves_nothing(
    consented, researcher, analyst, monkeypatch
) -> None:
    _research_budget("2")
    request = actions.request_extract(by=researcher, purpose=PURPOSE, method="synthetic")

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise synth.SynthesisFailed("delta value must be between 0 and 1")

    monkeypatch.setattr(synth, "synthesise", fail)
    with pytest.raises(Conflict, match="could not be generated"):
        actions.decide_extract(by=analyst, request=request, approve=True)
    request.refresh_from_db()
    assert request.status == "requested" and not BudgetSpend.objects.exists()


def test_tiny_data_synthesises_or_fails_cleanly() -> None:
    """With a handful of persons pac-synth's noisy record count may come out negative, and it
    panics (a BaseException): that arrives as SynthesisFailed, never as a crash."""
    outcomes = set()
    for seed in range(20):
        try:
            made = _synth(_people(5, seed=seed), epsilon=0.1)
        except synth.SynthesisFailed:
            outcomes.add("failed")
        else:
            outcomes.add("made")
            assert made.delta == synth.DELTA == 1e-6
    assert "failed" in outcomes


@pytest.mark.django_db
def test_no_research_budget_no_synthetic_extract(consented, researcher, analyst) -> None:
    with pytest.raises(Conflict, match="No research privacy budget"):
        actions.request_extract(by=researcher, purpose=PURPOSE, method="synthetic")
    _research_budget("1")
    request = actions.request_extract(by=researcher, purpose=PURPOSE, method="synthetic")
    assert request.epsilon == Decimal(1)  # the default


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"method": "synthetic", "epsilon": "0.05"}, "epsilon"),
        ({"method": "synthetic", "epsilon": "11"}, "epsilon"),
        ({"method": "synthetic", "epsilon": "1e0"}, "epsilon"),
        ({"method": "copy"}, "method"),
    ],
)
def test_bad_synthetic_requests_are_refused(researcher, values, field) -> None:
    _research_budget("20")
    with pytest.raises(InvalidInput) as refused:
        actions.request_extract(by=researcher, purpose=PURPOSE, **values)
    assert field in refused.value.errors


@pytest.mark.django_db
def test_synthetic_extracts_over_the_api_and_the_research_ledger_on_the_command_line(
    consented, researcher, analyst, api_for
) -> None:
    out = io.StringIO()
    call_command("stats_budget", "--dataset", "research", "--set", "10", stdout=out)
    body = {"purpose": PURPOSE, "method": "synthetic", "epsilon": "10"}
    made = api_for(researcher).post(
        "/api/v1/statistics/extracts", body, content_type="application/json"
    )
    assert made.status_code == 201
    assert (made.json()["method"], made.json()["epsilon"]) == ("synthetic", "10.000")
    decided = api_for(analyst).post(
        f"/api/v1/statistics/extracts/{made.json()['id']}/decision",
        {"approve": True},
        content_type="application/json",
    )
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    out = io.StringIO()
    call_command("stats_budget", "--dataset", "research", stdout=out)
    text = out.getvalue()
    assert "spent 10.000" in text and "synthetic extract" in text
    call_command("stats_budget", stdout=(national := io.StringIO()))
    assert "No privacy budget is set" in national.getvalue()  # the national one is apart
