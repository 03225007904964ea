"""In a real browser: the filter box on long lists, Swagger UI served from here under the
Content-Security-Policy, and the header at desktop and phone widths (screenshots for people)."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from harbour.accounts.models import User

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
PASSWORD = "a-browser-test-password-78"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def caseworker(make_user: Any, org: Any) -> User:
    user: User = make_user("caseworker", org, password=PASSWORD, full_name="Dominique Lévesque")
    return user


def _errors(page: Page) -> list[str]:
    found: list[str] = []
    page.on("pageerror", lambda exc: found.append(f"JavaScript error: {exc}"))
    page.on("console", lambda m: found.append(m.text) if m.type == "error" else None)
    return found


def _sign_in_in_french(page: Page, base: str, user: User) -> None:
    page.goto(f"{base}/accounts/sign-in/")
    page.fill('input[name="email"]', user.email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def test_filter_box_swagger_and_the_french_header(
    live_server: Any, caseworker: User, chromium: Any
) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    with chromium() as browser:
        context = browser.new_context(viewport=DESKTOP, locale="fr-CA")
        page = context.new_page()
        page.set_default_timeout(10_000)
        errors = _errors(page)
        _sign_in_in_french(page, live_server.url, caseworker)
        page.screenshot(path=str(SCREENSHOTS / "header-fr-1280.png"))
        page.goto(f"{live_server.url}/cases/intake/")
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        select = page.locator('select[name="survivor__primary_language"]')
        box = page.locator('input.list-filter[aria-controls="id_survivor__primary_language"]')
        box.fill("ukr")
        expect(select.locator('option[value="ukr"]')).to_have_js_property("hidden", False)
        expect(select.locator('option[value="eng"]')).to_have_js_property("hidden", True)
        box.fill("")
        expect(select.locator('option[value="eng"]')).to_have_js_property("hidden", False)
        page.goto(f"{live_server.url}/api/v1/docs")
        # Swagger UI builds the page from the whole OpenAPI document in the browser: on a
        # loaded CI machine that took over expect's default 5 s (the page rendered after it).
        expect(page.locator(".swagger-ui .info .title")).to_be_visible(timeout=30_000)
        expect(page.locator("#quick-exit")).to_be_visible()
        phone_context = browser.new_context(viewport=PHONE, locale="fr-CA")
        phone_context.add_cookies(context.cookies())
        phone = phone_context.new_page()
        phone.goto(f"{live_server.url}/cases/")
        expect(phone.locator("html")).to_have_attribute("lang", "fr")
        phone.screenshot(path=str(SCREENSHOTS / "header-fr-phone.png"))
        context.close()
    assert errors == []
