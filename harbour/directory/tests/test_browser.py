"""The care map and the disparity map in a real headless Chromium, with screenshots to look at
(tests/screenshots/, gitignored). Data is written before the browser starts: Playwright's sync
API keeps an asyncio loop in this thread and Django refuses ORM calls from it."""

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from harbour.audit.actions import SystemActor
from harbour.directory.demo import load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "tests" / "screenshots"


def test_care_map_and_disparity_map_in_a_browser(live_server, org) -> None:
    load_demo(by=SystemActor("browser-test"), orgs=[org], seed=11)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            profile,
            executable_path="/usr/bin/chromium",
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(
            f"{live_server.url}/directory/care-map/?place=Toronto&needs=safe_housing"
            "&needs=detox_addiction_treatment&needs=legal&gender=woman&age=24"
        )
        page.wait_for_selector(".pathway")
        assert page.locator(".pathway > li").count() == 8
        page.screenshot(path=str(SCREENSHOTS / "directory-care-map-south.png"), full_page=True)
        page.goto(
            f"{live_server.url}/directory/care-map/?place=X0A&needs=safe_housing"
            "&needs=detox_addiction_treatment&needs=trauma_care"
        )
        assert page.locator(".pathway > li.gap").count() >= 2
        page.screenshot(path=str(SCREENSHOTS / "directory-care-map-north.png"), full_page=True)
        page.goto(
            f"{live_server.url}/directory/care-map/handout/?place=Whitehorse"
            "&needs=emergency_shelter&needs=mental_health"
        )
        page.emulate_media(media="print")
        page.screenshot(path=str(SCREENSHOTS / "directory-handout-print.png"), full_page=True)
        page.emulate_media(media="screen")
        page.goto(f"{live_server.url}/directory/coverage/?stage=shelter")
        assert page.locator("svg.canada-map path").count() == 13
        page.screenshot(path=str(SCREENSHOTS / "directory-coverage-map.png"), full_page=True)
        browser.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors
