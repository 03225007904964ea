"""The caseworker's main job in a real browser: sign in, switch to French, record an intake, screen.

Drives headless Chromium (Debian's /usr/bin/chromium; never `playwright install`) against
pytest-django's live server, and saves a full-page screenshot of each step, plus the intake on a
phone-sized viewport, under tests/screenshots/ (gitignored) for people to look at.

Playwright's sync API keeps an asyncio loop running in this thread, and Django refuses ORM calls
from a thread with a running loop, so every database write happens before the browser starts and
every database check after it has closed. The live server answers from its own thread.
"""

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Browser, Page, ViewportSize, expect

from harbour.accounts.models import User
from harbour.cases.models import Case, Screening
from harbour.standard import delphi

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000
PASSWORD = "a-browser-test-password-77"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

QUICK_EXIT_TARGET = settings.HARBOUR_QUICK_EXIT_URL
SET_ID = "adult-sexual"
# Ticked indicators and the dimensions they make positive under the Delphi rules:
# one strong + one medium; three medium (this dimension has no strong indicator); two strong.
TICKED = {
    "deceptive_recruitment": ["nature_of_job", "conditions_of_work"],
    "exploitative_conditions": [
        "excessive_working_hours",
        "bad_living_conditions",
        "low_or_no_salary",
    ],
    "coercion_at_destination": ["confiscation_of_documents", "forced_tasks_or_clients"],
}


class Visit:
    """Checks every page the same way and keeps what the browser complained about."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.problems: list[str] = []
        page.on("pageerror", lambda exc: self._note(f"JavaScript error: {exc}"))
        page.on("console", self._console)
        page.on("response", self._response)

    def _note(self, problem: str) -> None:
        if problem not in self.problems:
            self.problems.append(problem)

    def _console(self, message: Any) -> None:
        # Content-Security-Policy violations (inline styles or scripts) arrive here too.
        if message.type == "error":
            path = self.page.url.removeprefix(self.base_url)
            self._note(f"console error on {path}: {message.text[:160]}")

    def _response(self, response: Any) -> None:
        if response.url.startswith(self.base_url) and response.status >= 400:
            self._note(f"HTTP {response.status}: {response.url.removeprefix(self.base_url)}")

    def arrived(self, path: str) -> None:
        """Wait for a page whose path matches `path`, saying what went wrong if it never comes."""
        try:
            expect(self.page).to_have_url(re.compile(f"^{re.escape(self.base_url)}{path}$"))
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nThe browser reported: {self.problems}") from None

    def check(self, shot: str, *, lang: str) -> None:
        """The page is in `lang`, shows the quick exit, does not scroll sideways; screenshot."""
        page = self.page
        expect(page.locator("html")).to_have_attribute("lang", lang)
        quick_exit = page.locator("#quick-exit")
        expect(quick_exit).to_have_attribute("href", "/exit/")
        expect(quick_exit).to_be_visible()
        expect(quick_exit).to_be_in_viewport()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{shot}: the page scrolls sideways by {overflow}px"
        # From the top, so fixed elements (the quick exit) are drawn where a person first sees them.
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)


def _indicator(dimension: str, name: str) -> str:
    return f'input[name="indicators"][value="{SET_ID}.{dimension}.{name}"]'


def sign_in_and_switch_to_french(visit: Visit, user: User) -> None:
    page = visit.page
    page.goto(f"{visit.base_url}/accounts/sign-in/")
    visit.check("01-sign-in", lang="en")
    page.fill('input[name="email"]', user.email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator("main form button[type=submit]").click()
    visit.arrived("/cases/")  # a caseworker lands on the case list
    page.get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    visit.arrived("/cases/")
    # The switch now offers the way back.
    expect(page.locator('.lang-switch button[value="en"]')).to_have_text("English")
    visit.check("02-case-list-fr", lang="fr")


def fill_intake(visit: Visit, intake_date: dt.date) -> None:
    page = visit.page
    page.locator('main a[href="/cases/intake/"]').first.click()
    visit.arrived("/cases/intake/")
    visit.check("03-intake-empty-fr", lang="fr")
    page.fill('input[name="case__intake_date"]', intake_date.isoformat())
    page.select_option('select[name="case__intake_province"]', "CA-QC")
    page.check('input[name="case__consent_to_record"][value="true"]')
    page.check('input[name="case__trafficking_status"][value="possible"]')
    page.check('input[name="case__exploitation_types"][value="sexual_exploitation"]')
    page.check('input[name="case__current_needs"][value="safe_housing"]')
    page.check('input[name="case__current_needs"][value="trauma_care"]')
    page.select_option('select[name="survivor__gender_identity"]', "woman")
    page.check('input[name="survivor__pronouns"][value="elle"]')
    page.select_option('select[name="survivor__primary_language"]', "fra")
    page.fill('input[name="survivor__estimated_age"]', "24")
    # One of the optional sections: names (sealed at rest, shown only inside the org).
    section = page.locator("#section-survivor-name")
    section.locator("summary").click()
    expect(section).to_have_attribute("open", "")
    page.fill('input[name="survivor__given_name"]', "Amina")
    page.fill('input[name="survivor__family_name"]', "Gagnon-Ouellet")
    visit.check("04-intake-filled-fr", lang="fr")


def intake_on_a_phone(browser: Browser, visit: Visit) -> None:
    """The same signed-in session on a phone-sized screen."""
    state = visit.page.context.storage_state()
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, storage_state=state
    )
    try:
        phone = Visit(context.new_page(), visit.base_url)
        phone.page.set_default_timeout(TIMEOUT_MS)
        phone.page.goto(f"{visit.base_url}/cases/intake/")
        phone.check("05-intake-phone-fr", lang="fr")
        visit.problems += phone.problems
    finally:
        context.close()


def save_intake(visit: Visit) -> str:
    page = visit.page
    page.locator('button[name="submit"]').click()
    visit.arrived(f"/cases/{UUID}/")
    expect(page.locator(".message.success")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Amina")
    expect(page.locator("main h1")).to_contain_text(re.compile(r"C-[0-9A-Z]{7}"))
    expect(page.locator("main h1 .badge")).to_have_text(re.compile(r"\S"))  # the case status
    visit.check("06-case-fr", lang="fr")
    found = re.search(UUID, page.url)
    assert found is not None
    return found.group(0)


def screen(visit: Visit, case_id: str, indicator_set: delphi.IndicatorSet) -> None:
    page = visit.page
    menu = page.locator("main .page-actions details").first
    menu.locator("summary").click()
    expect(menu).to_have_attribute("open", "")
    page.screenshot(path=str(SCREENSHOTS / "07-screening-menu-fr.png"))
    menu.get_by_role("link", name=indicator_set.title.fr, exact=True).click()
    visit.arrived(f"/cases/{case_id}/screening/new/{SET_ID}/")
    expect(page.locator("main h1")).to_have_text(indicator_set.title.fr)
    for dimension, names in TICKED.items():
        for name in names:
            page.check(_indicator(dimension, name))
    visit.check("08-screening-form-fr", lang="fr")
    page.locator("main form button[type=submit]").click()
    visit.arrived(f"/cases/{case_id}/screening/{UUID}/")


def check_result(visit: Visit, indicator_set: delphi.IndicatorSet) -> None:
    page = visit.page
    expect(page.locator(".verdict.met")).to_be_visible()
    fired = [indicator_set.dimension(d).title.fr for d in TICKED]
    expect(page.locator("section.dimension.positive h2")).to_have_text(fired)
    expect(page.locator("section.dimension:not(.positive)")).to_have_count(
        len(indicator_set.dimensions) - len(TICKED)
    )
    for dimension, names in TICKED.items():
        title = indicator_set.dimension(dimension).title.fr
        listed = (
            page.locator("section.dimension.positive")
            .filter(has=page.get_by_role("heading", name=title, exact=True))
            .locator("li")
        )
        expect(listed).to_have_count(len(names))
        for name in names:
            text = indicator_set.indicator(f"{SET_ID}.{dimension}.{name}").text.fr
            expect(listed.filter(has_text=text)).to_have_count(1)
    visit.check("09-screening-result-fr", lang="fr")


@pytest.fixture
def caseworker(make_user: Any, org: Any) -> User:
    user: User = make_user("caseworker", org, password=PASSWORD, full_name="Dominique Lévesque")
    return user


def quick_exit(visit: Visit) -> None:
    """The quick exit leaves for a neutral site (stubbed: no network) and ends the session."""
    page = visit.page
    page.route(
        f"{QUICK_EXIT_TARGET}**",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<html><body>neutral</body></html>"
        ),
    )
    page.locator("#quick-exit").click()
    expect(page).to_have_url(QUICK_EXIT_TARGET)
    page.goto(f"{visit.base_url}/cases/")
    visit.arrived(r"/accounts/sign-in/\?next=/cases/")


def test_sign_in_switch_to_french_intake_and_screening(
    live_server: Any, caseworker: User, chromium: Any
) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    intake_date = timezone.localdate() - dt.timedelta(days=2)
    indicator_set = delphi.load_catalogue().get_set(SET_ID)
    with chromium() as browser:
        context = browser.new_context(viewport=DESKTOP, locale="en-CA")
        visit = Visit(context.new_page(), live_server.url)
        visit.page.set_default_timeout(TIMEOUT_MS)
        sign_in_and_switch_to_french(visit, caseworker)
        fill_intake(visit, intake_date)
        intake_on_a_phone(browser, visit)
        case_id = save_intake(visit)
        screen(visit, case_id, indicator_set)
        check_result(visit, indicator_set)
        quick_exit(visit)
        context.close()
    case = Case.objects.get()
    assert str(case.pk) == case_id
    assert (case.intake_date, case.intake_province, case.org_id) == (
        intake_date,
        "CA-QC",
        caseworker.org_id,
    )
    screening = Screening.objects.get(case=case)
    assert screening.indicators_met is True
    assert not visit.problems, "the browser reported problems:\n" + "\n".join(visit.problems)
