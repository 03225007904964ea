"""Releases end to end: who is counted, suppression, two-person publication, the budget, the
public page and downloads; a differencing attempt across two releases."""

from typing import Any

import pytest
from django.test import Client

from harbour.audit.models import AuditEvent
from harbour.core.errors import Conflict, Forbidden, InvalidInput
from harbour.stats import actions, queries
from harbour.stats.models import BudgetSpend
from harbour.stats.tables import ALL, Table
from harbour.stats.tests.conftest import intake

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _publish(analyst: Any, reviewer: Any, **config: Any) -> Any:
    values = {"title": "By province", "row_variable": "province", "method": "suppression"}
    draft = actions.create_release(by=analyst, **(values | config))
    return actions.publish_release(by=reviewer, release=draft)


def test_only_cases_under_a_statistics_agreement_or_consent_are_counted(
    counted_cases, make_case, make_user, other_org
) -> None:
    outside = intake(make_case, make_user("caseworker", other_org), 2)
    counted = set(queries.statistics_cases().values_list("pk", flat=True))
    assert {c.pk for c in counted_cases} <= counted
    assert not {c.pk for c in outside} & counted


def test_a_published_table_withholds_small_cells_and_their_complements(
    counted_cases, analyst, reviewer
) -> None:
    release = _publish(analyst, reviewer)
    table = Table.from_json(release.result)
    assert table.cells[("CA-ON", ALL)] is None or table.cells[("CA-ON", ALL)] == 25
    assert table.cells[("CA-MB", ALL)] is None  # 3 persons: withheld
    figures = [*table.cells.values(), *table.row_totals.values(), table.total]
    assert all(v is None or v == 0 or v >= 10 for v in figures)
    assert not (table.total == 28 and table.cells[("CA-ON", ALL)] == 25)  # no subtraction
    assert AuditEvent.objects.filter(action="stats.release_published").count() == 1


def test_the_author_cannot_publish_their_own_release(counted_cases, analyst) -> None:
    draft = actions.create_release(
        by=analyst, title="Mine", row_variable="province", method="suppression"
    )
    with pytest.raises(Forbidden):
        actions.publish_release(by=analyst, release=draft)


def test_published_releases_never_change(counted_cases, analyst, reviewer) -> None:
    release = _publish(analyst, reviewer)
    with pytest.raises(Conflict):
        actions.publish_release(by=reviewer, release=release)
    with pytest.raises(Conflict):
        actions.reject_release(by=reviewer, release=release)


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"row_variable": "given_name"}, "row_variable"),
        ({"row_variable": "province", "col_variable": "province"}, "col_variable"),
        ({"method": "dp", "epsilon": "abc"}, "epsilon"),
        ({"method": "dp", "epsilon": "-1"}, "epsilon"),
        ({"method": "dp", "epsilon": "NaN"}, "epsilon"),
        ({"method": "magic"}, "method"),
        ({"first_year": 2026, "last_year": 2020}, "last_year"),
        ({"title": "  "}, "title"),
    ],
)
def test_bad_release_definitions_are_refused(analyst, config, field) -> None:
    values = {"title": "T", "row_variable": "province", "method": "suppression"} | config
    with pytest.raises(InvalidInput) as refused:
        actions.create_release(by=analyst, **values)
    assert field in refused.value.errors


def test_a_period_without_data_publishes_nothing(counted_cases, analyst, reviewer) -> None:
    draft = actions.create_release(
        by=analyst,
        title="Old",
        row_variable="province",
        method="suppression",
        first_year=1995,
        last_year=1996,
    )
    with pytest.raises(Conflict):
        actions.publish_release(by=reviewer, release=draft)
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.result == {}


def test_dp_releases_spend_the_budget_and_are_refused_beyond_it(
    counted_cases, analyst, reviewer, budget
) -> None:
    first = _publish(analyst, reviewer, method="dp", epsilon="1.5")
    meta = first.result["meta"]
    assert meta["epsilon"] == "1.500" and meta["error_95"] > 0 and meta["delta"] == "0"
    # Two records per person until linkage: the noise covers both.
    assert meta["sensitivity"] == 2
    assert all(v is not None and v >= 0 for v in first.result["row_totals"].values())
    with pytest.raises(Conflict):
        _publish(analyst, reviewer, method="dp", epsilon="0.6")
    assert [s.epsilon for s in BudgetSpend.objects.all()] == [first.epsilon]
    assert AuditEvent.objects.filter(action="stats.budget_spent").count() == 1


def test_dp_without_a_budget_is_refused(counted_cases, analyst, reviewer) -> None:
    with pytest.raises(Conflict):
        _publish(analyst, reviewer, method="dp", epsilon="1")


def test_differencing_two_suppressed_releases_reveals_no_one(
    counted_cases, make_case, caseworker, analyst, reviewer
) -> None:
    """A survivor added between two releases: the figures that changed are all withheld or
    large, so the newcomer's province cannot be read off the difference."""
    before = Table.from_json(_publish(analyst, reviewer).result)
    intake(make_case, caseworker, 1, intake_province="CA-MB", exploitation_types=["forced_labour"])
    after = Table.from_json(_publish(analyst, reviewer, title="Again").result)
    for key in before.cells:
        a, b = before.cells[key], after.cells.get(key)
        if a is not None and b is not None:
            assert a == b or min(a, b) >= 10
    assert after.cells[("CA-MB", ALL)] is None


def test_public_page_downloads_and_drafts(counted_cases, analyst, reviewer, client) -> None:
    release = _publish(analyst, reviewer)
    draft = actions.create_release(
        by=analyst, title="Draft", row_variable="gender", method="suppression"
    )
    assert client.get("/statistics/").status_code == 200
    page = client.get(f"/statistics/releases/{release.pk}/")
    assert page.status_code == 200 and "By province" in page.content.decode()
    assert "Manitoba: suppressed" in page.content.decode()  # the map, withheld in grey
    csv = client.get(f"/statistics/releases/{release.pk}/download.csv")
    assert csv.status_code == 200 and b"# method,suppression" in csv.content
    data = client.get(f"/statistics/releases/{release.pk}/download.json").json()
    assert data["metadata"]["version"] == release.version
    xlsx = client.get(f"/statistics/releases/{release.pk}/download.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get(f"/statistics/releases/{release.pk}/download.exe").status_code == 404
    # A draft is nobody's business but the analysts'.
    assert client.get(f"/statistics/releases/{draft.pk}/").status_code == 404
    assert client.get(f"/statistics/releases/{draft.pk}/download.csv").status_code == 404
    assert client.get("/statistics/releases/not-an-id/").status_code == 404


def test_analysts_define_and_publish_through_the_pages(counted_cases, analyst, reviewer) -> None:
    page = signed_in(analyst).get("/national/?row=exploitation_type&col=province")
    assert page.status_code == 200
    for preset in ("row=exploitation_type&col=year", "row=recruitment_method&col=control_method"):
        assert signed_in(analyst).get(f"/national/?{preset}").status_code == 200
    assert signed_in(analyst).get("/national/?row=given_name").status_code == 200  # no preview
    created = signed_in(analyst).post(
        "/statistics/releases/new/",
        {"title": "By gender", "row_variable": "gender", "method": "suppression"},
    )
    assert created.status_code == 302
    release_url = created["Location"]
    assert signed_in(analyst).get(release_url).status_code == 200
    published = signed_in(reviewer).post(release_url + "publish/")
    assert published.status_code == 302
    rejected_draft = actions.create_release(
        by=analyst, title="No", row_variable="gender", method="suppression"
    )
    signed_in(reviewer).post(f"/statistics/releases/{rejected_draft.pk}/reject/")
    rejected_draft.refresh_from_db()
    assert rejected_draft.status == "rejected"
    bad = signed_in(analyst).post(
        "/statistics/releases/new/",
        {"title": "DP", "row_variable": "gender", "method": "dp", "epsilon": "lots"},
    )
    assert bad.status_code == 422 and "Epsilon" in bad.content.decode()


def test_other_roles_cannot_reach_the_national_pages(counted_cases, caseworker, researcher) -> None:
    for user in (caseworker, researcher):
        assert signed_in(user).get("/national/").status_code == 404
        assert signed_in(user).post("/statistics/releases/new/", {}).status_code == 404


def test_the_organisation_dashboard_shows_its_own_exact_numbers(
    counted_cases, supervisor, analyst, reviewer
) -> None:
    _publish(analyst, reviewer, row_variable="exploitation_type", title="Exploitation")
    page = signed_in(supervisor).get("/dashboard/?first_year=2020")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Forced labour: 3" in text  # own data: exact, even below 10
    assert "National picture" in text
    assert signed_in(supervisor).get("/dashboard/?first_year=abc").status_code == 200


def test_spreadsheet_cells_never_start_a_formula() -> None:
    from harbour.stats.presentation import safe_cell

    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("+1") == "'+1" and safe_cell("Ontario") == "Ontario"
    assert safe_cell(None) == "" and safe_cell(12) == 12


def test_pages_speak_french(counted_cases, analyst, reviewer, client) -> None:
    release = _publish(analyst, reviewer, title_fr="Par province")
    page = client.get(f"/statistics/releases/{release.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    text = page.content.decode()
    assert "Télécharger en JSON" in text and "masqués" in text and "Par province" in text
    national = signed_in(analyst).get("/national/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Budget de confidentialité" in national.content.decode()


def test_analysts_see_data_quality_and_sharing_gaps(counted_cases, analyst, caseworker) -> None:
    page = signed_in(analyst).get("/statistics/quality/")
    text = page.content.decode()
    assert page.status_code == 200
    assert counted_cases[0].org.name in text  # contributors are named to analysts
    assert "Ontario" in text  # intake there, and no referral leaves
    assert signed_in(caseworker).get("/statistics/quality/").status_code == 404


def test_a_funder_report_for_any_period_printable_and_as_csv(counted_cases, org_admin) -> None:
    client = signed_in(org_admin)
    page = client.get("/statistics/report/?first_year=2020&last_year=2030")
    assert page.status_code == 200 and "data-print" in page.content.decode()
    assert "Forced labour" in page.content.decode()
    csv = client.get("/statistics/report/?first_year=2020&format=csv")
    assert csv.status_code == 200 and b"forced_labour" in csv.content
    assert signed_in(org_admin).get("/statistics/report/?first_year=x").status_code == 200


def test_a_cross_table_withholds_its_margins_where_the_one_way_release_does(
    counted_cases, analyst, reviewer
) -> None:
    one = Table.from_json(_publish(analyst, reviewer).result)
    two = Table.from_json(
        _publish(analyst, reviewer, title="By province and gender", col_variable="gender").result
    )
    withheld = {r for r in one.rows if one.cells[(r, ALL)] is None}
    assert withheld and {r for r, v in two.row_totals.items() if v is None} == withheld
    assert all(two.row_totals[r] == one.cells[(r, ALL)] for r in one.rows if r not in withheld)


def test_needs_versus_services_received_and_referral_outcomes(counted_cases, caseworker) -> None:
    from harbour.cases import actions as case_actions
    from harbour.cases.models import ServiceProvided
    from harbour.stats.tables import Spec, count

    case_actions.add_record(
        by=caseworker,
        case=counted_cases[0],
        model=ServiceProvided,
        values={
            "service_type": "safe_house",
            "provided_on": counted_cases[0].intake_date.isoformat(),
            "need_addressed": "safe_housing",
        },
    )
    people, _linked = queries.person_rows(queries.statistics_cases())
    needs = count(Spec("need"), people)
    served = count(Spec("need_served"), people)
    assert needs.cells[("safe_housing", ALL)] == 28 and served.cells[("safe_housing", ALL)] == 1
    outcomes = count(Spec("referral_outcome"), people)
    assert outcomes.cells[("unknown", ALL)] == 28  # nobody was referred


def test_version_numbers_survive_a_collision(analyst, monkeypatch) -> None:
    """Two drafts saved at once read the same highest version: the second takes the next."""
    first = actions.create_release(by=analyst, title="A", row_variable="year", method="suppression")
    from django.db.models import QuerySet

    real = QuerySet.aggregate
    calls = {"n": 0}

    def stale(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        return {"v": 0} if calls["n"] == 1 else real(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "aggregate", stale)
    second = actions.create_release(
        by=analyst, title="B", row_variable="year", method="suppression"
    )
    assert (first.version, second.version) == (1, 2)
