"""A published three-way release in a real browser: one chart per region side by side on one
scale, the figures also as tables, in English and French, with nothing loaded from elsewhere.
Database work happens before the browser starts (Playwright's loop runs in this thread, where
Django forbids ORM calls). Screenshots go to tests/screenshots/ (gitignored)."""

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from harbour.sharing import actions as sharing
from harbour.stats import actions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"


def _shot(page: Page, name: str) -> None:
    """The whole page, and the charts alone (the tables below them are long)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"stats-charts-{name}.png"), full_page=True)
    charts = page.locator("figure.layer-charts")
    charts.screenshot(path=str(SCREENSHOTS / f"stats-charts-{name}-charts.png"))


def _cases(make_case: Any, worker: Any, n: int, **case: Any) -> None:
    for i in range(n):
        survivor = {"given_name": f"P{i}", "estimated_age": 20 + i % 30, "birth_date": None}
        make_case(worker, survivor=survivor, case=case)


def test_a_three_way_release_is_drawn_as_small_multiples(
    live_server, make_org, make_user, make_case, chromium: Any
) -> None:
    org, national = make_org(province="CA-ON"), make_org(type="national_coordinating_body")
    agreement = sharing.create_national_protocol(
        by=make_user("org_admin", national),
        title="Statistics",
        categories=["case_summary"],
        purposes=["statistics"],
        valid_from=dt.date(2020, 1, 1),
    )
    sharing.adopt_national_protocol(by=make_user("org_admin", org), agreement=agreement)
    worker = make_user("caseworker", org)
    sexual, labour = ["sexual_exploitation"], ["forced_labour"]
    _cases(
        make_case,
        worker,
        20,
        exploitation_types=sexual,
        recruitment_methods=["online_social_network"],
    )
    _cases(make_case, worker, 10, exploitation_types=labour, recruitment_methods=["at_work"])
    _cases(make_case, worker, 5, exploitation_types=sexual, recruitment_methods=["at_work"])
    for province in ("CA-MB", "CA-QC"):
        _cases(
            make_case,
            worker,
            5,
            exploitation_types=labour,
            recruitment_methods=["at_work"],
            intake_province=province,
        )
    draft = actions.create_release(
        by=make_user("national_analyst", national),
        title="Exploitation by recruitment, per region",
        row_variable="exploitation_type",
        col_variable="recruitment_method",
        layer_variable="province",
        method="rounding",
    )
    release = actions.publish_release(by=make_user("national_analyst", national), release=draft)
    url = f"{live_server.url}/statistics/releases/{release.pk}/"

    errors: list[str] = []
    requests: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("request", lambda r: requests.append(r.url))
        page.goto(url)
        panels = page.locator("figure.layer-chart svg")
        expect(panels).to_have_count(3)
        for i, name in enumerate(["Quebec", "Ontario", "Manitoba"]):
            expect(panels.nth(i).locator("> title")).to_have_text(name)
        # Side by side: the first two panels share a line, and they are drawn the same size.
        first, second = panels.nth(0).bounding_box(), panels.nth(1).bounding_box()
        assert first and second and first["y"] == second["y"] and first["x"] < second["x"]
        assert first["width"] == second["width"] and first["height"] == second["height"]
        # One scale: a 5 is as long in Ontario as in Quebec.
        five = "rect.bar"
        ontario_five = panels.nth(0).locator("g[data-value='5'] " + five).bounding_box()
        quebec_five = panels.nth(1).locator("g[data-value='5'] " + five).bounding_box()
        assert ontario_five and quebec_five and ontario_five["width"] == quebec_five["width"]
        expect(page.locator("main table caption")).to_have_count(5)  # and the tables stay
        _shot(page, "1-en")

        page.set_extra_http_headers({"Accept-Language": "fr"})
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.locator("figure.layer-chart svg")).to_have_count(3)
        expect(page.locator("figure.layer-chart").first).to_contain_text("Exploitation sexuelle")
        _shot(page, "2-fr")
    assert not errors, errors
    assert all(r.startswith(live_server.url) for r in requests), requests  # nothing from elsewhere
