"""The care map and the coverage map in a real browser, as the public and as a partner.

The public builds a care map for a city in the south and a community in the north (where the
demo directory has deliberate gaps), prints the bilingual handout, and opens the national
coverage map; a caseworker builds the care map from a case. No hidden address may appear on
any of these pages. Screenshots go to tests/screenshots/ (gitignored).
"""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from harbour.audit.actions import SystemActor
from harbour.directory import demo
from harbour.testenv import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SYSTEM = SystemActor("tests")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"care-map-{name}.png"), full_page=True)
    expect(page.locator("#quick-exit")).to_be_visible()


def _build(page: Page, base: str, place: str, needs: list[str]) -> None:
    page.goto(f"{base}/directory/care-map/")
    page.fill("#id_place", place)
    for need in needs:
        page.check(f"input[name=needs][value={need}]")
    page.click("main form button[type=submit]")
    expect(page.locator("ol.pathway")).to_be_visible()


def _no_hidden_address(page: Page, hidden: list[str], where: str) -> None:
    text = page.content()
    for street in hidden:
        assert street not in text, f"{where} shows the hidden address {street!r}"


def test_care_maps_south_and_north_the_handout_and_the_coverage_map(
    live_server, make_org, make_user, make_case, make_hidden_safe_house, chromium: Any
) -> None:
    org, other = make_org(province="CA-ON", city="Toronto"), make_org(province="CA-NU")
    demo.load_demo(by=SYSTEM, orgs=[org, other], seed=7)
    street, postal = "4242 Vesper Lane", "M5V 9Z9"
    make_hidden_safe_house(
        org, name="Quiet Harbour", street=street, postal=postal, at=(43.65, -79.38)
    )
    hidden = [street, postal, "43.65", "-79.38"]
    worker = make_user("caseworker", org)
    case = make_case(worker, case={"current_needs": ["safe_housing", "trauma_care"]})
    base = live_server.url

    errors: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        _build(page, base, "Toronto", ["safe_housing", "trauma_care"])
        expect(page.locator("ol.pathway > li.needed").first).to_be_visible()
        expect(page.locator("ol.pathway .match").first).to_be_visible()
        expect(page.locator("ol.pathway")).to_contain_text("Quiet Harbour Safe House")
        _no_hidden_address(page, hidden, "Toronto care map")
        _shot(page, "1-toronto")

        _build(page, base, "Iqaluit", ["safe_housing", "detox_addiction_treatment"])
        expect(page.locator("ol.pathway > li.gap").first).to_be_visible()
        expect(page.locator("ol.pathway")).to_contain_text("Nearest alternatives")
        _no_hidden_address(page, hidden, "Iqaluit care map")
        _shot(page, "2-iqaluit")

        page.click("text=Printable handout (English and French)")
        expect(page.locator("body")).to_contain_text("Your care map")
        expect(page.locator("body")).to_contain_text("Votre parcours de soins")
        _no_hidden_address(page, hidden, "handout")
        page.emulate_media(media="print")
        expect(page.locator("#quick-exit")).to_be_hidden()  # not on the survivor's printout
        page.screenshot(path=str(SCREENSHOTS / "care-map-3-handout-print.png"), full_page=True)
        page.emulate_media(media="screen")
        _shot(page, "3-handout")

        page.goto(f"{base}/directory/coverage/?stage=shelter")
        expect(page.locator("svg.canada-map path")).to_have_count(13)
        national = page.locator("main table:has(th:has-text('Median distance')) tbody tr")
        expect(national).to_have_count(13)
        _shot(page, "4-coverage")

        page.goto(f"{base}/accounts/sign-in/")
        page.fill("#id_email", worker.email)
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        expect(page.locator(".user-menu")).to_be_visible()
        page.goto(f"{base}/directory/care-map/case/{case.pk}/")
        expect(page.locator("input[name=needs][value=safe_housing]")).to_be_checked()
        expect(page.locator("ol.pathway")).to_be_visible()
        _shot(page, "5-from-a-case")
    # Everything is served from Harbour itself under a strict Content Security Policy.
    assert not [e for e in errors if "Content Security Policy" in e], errors
