"""Gaps in the statistics pages (issue 11): the analysts' previews say how persons are counted in
the words of the published release; headings never skip a level; the research privacy budget is
shown beside the national one, on the page and in the API."""

import itertools
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from harbour.audit.actions import SystemActor
from harbour.core.errors import Conflict
from harbour.linkage import actions as linkage
from harbour.stats import actions, presentation, queries
from harbour.stats.models import RESEARCH, Release
from harbour.stats.tests.conftest import intake
from harbour.stats.tests.test_extracts import PURPOSE, _consent_to_research

pytestmark = pytest.mark.django_db
LINKER = SystemActor("page gap tests")
PERSONS = re.compile(r'<p [^>]*data-persons="([^"]*)"[^>]*>(.*?)</p>', re.S)


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _draft(analyst: Any, **config: Any) -> Release:
    values = {"title": "By province", "row_variable": "province", "method": "suppression"}
    return actions.create_release(by=analyst, **(values | config))


def _persons_said(page: str) -> tuple[str, str]:
    found = PERSONS.search(page)
    assert found is not None, "the page does not say how persons are counted"
    return found.group(1), " ".join(found.group(2).split())


def _page(client: Client, url: str) -> str:
    answer = client.get(url)
    assert answer.status_code == 200, url
    return answer.content.decode()


# --- 1. the preview says how persons are counted, as the published page does -----------------


@pytest.mark.parametrize("method", ["suppression", "dp"])
def test_a_draft_says_the_fallback_in_the_words_its_publication_will_use(
    counted_cases, analyst, reviewer, budget, method
) -> None:
    config = {"method": method, "epsilon": "0.5"} if method == "dp" else {}
    draft = _draft(analyst, **config)
    url = f"/statistics/releases/{draft.pk}/"
    by, said = _persons_said(_page(_client(analyst), url))
    assert by == "referral_links"
    assert said.startswith("If it were published now: No record-linkage run")
    assert ("sensitivity was doubled" in said) is (method == "dp")
    published = actions.publish_release(by=reviewer, release=draft)
    note = presentation.persons_note(published)
    assert said.endswith(note)  # the same sentence, from the same function
    assert _persons_said(_page(_client(), url)) == ("referral_links", note)


def test_a_draft_after_a_linkage_run_names_the_run_its_publication_records(
    counted_cases, analyst, reviewer
) -> None:
    run = linkage.run_linkage(by=LINKER)
    draft = _draft(analyst)
    page = _page(_client(analyst), f"/statistics/releases/{draft.pk}/")
    by, said = _persons_said(page)
    assert by == "record_linkage" and str(run.pk) in said
    assert "Persons unduplicated by the record-linkage run of" in said
    published = actions.publish_release(by=reviewer, release=draft)
    assert published.config["persons"]["run"] == str(run.pk)
    assert presentation.persons_note(published) in said


def test_a_rejected_draft_says_nothing_about_persons(counted_cases, analyst, reviewer) -> None:
    draft = actions.reject_release(by=reviewer, release=_draft(analyst))
    page = _page(_client(analyst), f"/statistics/releases/{draft.pk}/")
    assert PERSONS.search(page) is None


@pytest.mark.parametrize("linked", [False, True])
def test_the_national_preview_says_how_its_persons_were_counted(
    counted_cases, analyst, linked
) -> None:
    if linked:
        linkage.run_linkage(by=LINKER)
    page = _page(_client(analyst), "/national/?row=province")
    by, said = _persons_said(page)
    recorded = queries.persons_now()
    assert by == ("record_linkage" if linked else "referral_links") == recorded["by"]
    assert presentation.persons_sentence(recorded, "suppression") in said


# --- 2. headings: h1, then h2, then h3, never a level skipped ----------------------------------


class _Headings(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.levels: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self.levels.append(int(tag[1]))


def _outline_is_correct(page: str) -> list[int]:
    parser = _Headings()
    parser.feed(page)
    levels = parser.levels
    assert levels and levels[0] == 1 and levels.count(1) == 1, levels
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"h{before} then h{after}: {levels}"
    return levels


THREE_WAY = {"row_variable": "recruitment_method", "col_variable": "control_method"}


def test_the_statistics_pages_never_skip_a_heading_level(
    counted_cases, analyst, reviewer, budget
) -> None:
    two_way = _draft(analyst, col_variable="exploitation_type")
    three_way = _draft(analyst, **THREE_WAY, layer_variable="province", method="rounding")
    draft = _draft(analyst, col_variable="exploitation_type")
    for release in (two_way, three_way):
        actions.publish_release(by=reviewer, release=release)
    public, signed_in = _client(), _client(analyst)
    pages = {
        "public index": (public, "/statistics/"),
        "two-way release": (public, f"/statistics/releases/{two_way.pk}/"),
        "three-way release": (public, f"/statistics/releases/{three_way.pk}/"),
        "draft": (signed_in, f"/statistics/releases/{draft.pk}/"),
        "national": (signed_in, "/national/"),
        "two-way preview": (signed_in, "/national/?row=exploitation_type&col=province"),
        "three-way preview": (
            signed_in,
            "/national/?row=recruitment_method&col=control_method&layer=province",
        ),
    }
    levels = {name: _outline_is_correct(_page(*where)) for name, where in pages.items()}
    # the chart panels are there (h3), so the check covered them
    for name in ("two-way release", "three-way release", "two-way preview", "three-way preview"):
        assert 3 in levels[name], name


def test_the_outline_check_catches_a_skipped_level() -> None:
    with pytest.raises(AssertionError):
        _outline_is_correct("<h1>Release</h1><section><h3>Ontario</h3></section>")
    assert _outline_is_correct("<h1>a</h1><h2>b</h2><h3>c</h3><h2>d</h2>") == [1, 2, 3, 2]


# --- 3. the research budget beside the national one -------------------------------------------


@pytest.fixture
def research_spent(make_case: Any, caseworker: Any, researcher: Any, analyst: Any) -> Any:
    """A research budget of 5 with one approved synthetic extract at ε = 2."""
    cases = intake(make_case, caseworker, 40)  # enough persons for pac-synth (test_synthetic)
    _consent_to_research(caseworker, cases)
    actions.set_budget(by=SystemActor("tests"), epsilon_total="5", dataset=RESEARCH)
    request = actions.request_extract(
        by=researcher, purpose=PURPOSE, method="synthetic", epsilon="2"
    )
    # At ε = 2 pac-synth's noisy record count (5 % of ε) falls below zero for 40 persons now
    # and then (it did once in CI): the approval is then refused and changes nothing
    # (test_synthetic), so ask again; these tests are about the budgets shown, not synthesis.
    for _attempt in range(4):
        try:
            return actions.decide_extract(by=analyst, request=request, approve=True)
        except Conflict:
            request.refresh_from_db()
    return actions.decide_extract(by=analyst, request=request, approve=True)


def _budget_section(page: str) -> str:
    start = page.index("Privacy budget</h2>")
    return page[start : page.index("</section>", start)]


def test_the_national_page_shows_both_budgets(research_spent, analyst, researcher, budget) -> None:
    section = _budget_section(_page(_client(analyst), "/national/"))
    national, research = section.split("Synthetic research extracts</h3>", 1)
    assert "Total ε = 2.000; spent 0.000; left 2.000." in national
    assert "Total ε = 5.000; spent 2.000; left 3.000." in research
    line = f"Synthetic extract {str(research_spent.pk)[:8]} for {researcher.full_name}"
    assert line in research and analyst.full_name in research


def test_the_national_page_says_when_no_research_budget_is_set(analyst) -> None:
    section = _budget_section(_page(_client(analyst), "/national/"))
    assert "No research budget is set" in section and "No privacy budget is set" in section


def test_the_budget_api_gives_the_research_budget_too(
    research_spent, analyst, api_for, budget
) -> None:
    body = api_for(analyst).get("/api/v1/statistics/budget").json()
    assert (body["dataset"], body["epsilon_total"], body["epsilon_left"]) == (
        "national",
        "2.000",
        "2.000",
    )
    assert body["is_set"] and body["ledger"] == []
    research = body["research"]
    assert research["dataset"] == "research" and research["is_set"]
    assert (research["epsilon_total"], research["epsilon_spent"], research["epsilon_left"]) == (
        "5.000",
        "2.000",
        "3.000",
    )
    (line,) = research["ledger"]
    assert line["extract"] == str(research_spent.pk) and line["epsilon"] == "2.000"


def test_without_budgets_the_api_says_neither_is_set(analyst, caseworker, api_for) -> None:
    body = api_for(analyst).get("/api/v1/statistics/budget").json()
    assert not body["is_set"] and not body["research"]["is_set"]
    assert body["research"]["ledger"] == []
    assert api_for(caseworker).get("/api/v1/statistics/budget").status_code == 404
