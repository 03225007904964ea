"""A referral between two organisations in a real browser, with the consent receipt.

A caseworker at organisation A records the survivor's consent (and gets the bilingual receipt),
previews exactly what B will see, sends the referral; a caseworker at B finds it in their
notifications, sees only the consented information and accepts it. Screenshots of each step go
to tests/screenshots/ (gitignored). Database work happens before the browser starts and after it
closes: Playwright's loop runs in this thread, where Django forbids ORM calls.
"""

import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from harbour.sharing import actions
from harbour.sharing.models import Consent, Referral
from harbour.sharing.policy import receipt_digest
from harbour.testenv import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/sign-in/")
    page.fill("#id_email", email)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator(".user-menu")).to_be_visible()


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"referral-{name}.png"), full_page=True)
    expect(page.locator("#quick-exit")).to_be_visible()


def test_a_consented_referral_accepted_by_another_organisation(
    live_server, make_org, make_user, make_case, chromium
) -> None:
    a, b = make_org(province="CA-ON"), make_org(province="CA-MB", type="shelter")
    sender, receiver = make_user("caseworker", a), make_user("caseworker", b)
    case = make_case(
        sender,
        survivor={"given_name": "Ophélie", "family_name": "Marchand"},
        case={"current_needs": ["safe_housing", "legal"], "exploitation_types": ["forced_labour"]},
    )
    agreement = actions.propose_agreement(
        by=make_user("org_admin", a),
        title="ON–MB",
        partners=[b],
        categories=["identity_contact", "needs", "case_summary"],
        purposes=["referral"],
        valid_from=timezone.localdate(),
    )
    actions.accept_agreement(by=make_user("org_admin", b), agreement=agreement)
    base = live_server.url

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        # A: the consent, then its receipt.
        _sign_in(page, base, sender.email)
        page.goto(f"{base}/cases/{case.pk}/")
        page.click("text=Consents")
        expect(page.locator("text=Services never depend on consent")).to_be_visible()
        page.check("input[name=recipient_kind][value=organisation]")
        page.select_option("#id_recipient_org", str(b.pk))
        for category in ("identity_contact", "needs"):
            page.check(f"input[name=categories][value={category}]")
        page.check("input[name=purposes][value=referral]")
        page.check("input[name=method][value=written]")
        page.click("main form button[type=submit]")
        expect(page.locator(".receipt-code")).to_be_visible()
        code = page.locator(".receipt-code").inner_text().strip()
        assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
        expect(page.locator("section[lang=fr] h1")).to_be_visible()
        _shot(page, "1-receipt")
        # A: refer, preview what will be shared, send.
        page.goto(f"{base}/sharing/cases/{case.pk}/refer/")
        page.select_option("#id_receiving_org", str(b.pk))
        page.fill("#id_referral__referral_date", timezone.localdate().isoformat())
        page.click("button[name=preview]")
        preview = page.locator("#preview")
        expect(preview).to_contain_text("Who you are and how to reach you")
        expect(preview).not_to_contain_text("What happened to you")
        _shot(page, "2-preview")
        page.click("button[name=confirm]")
        expect(page.locator("h1")).to_contain_text("→")
        _shot(page, "3-sent")
        page.context.clear_cookies()
        # B: the notification, the shared information, acceptance.
        _sign_in(page, base, receiver.email)
        page.goto(f"{base}/sharing/notifications/")
        page.click("text=A new referral is waiting for your organisation.")
        expect(page.locator("main")).to_contain_text("Ophélie")
        expect(page.locator("main")).not_to_contain_text("Forced labour")
        _shot(page, "4-received")
        page.click("main form button:has-text('Accept')")
        expect(page.locator(".badge").first).to_contain_text("Accepted")
        _shot(page, "5-accepted")

    referral = Referral.objects.get()
    assert referral.status == "accepted" and referral.receiving_org_id == b.pk
    stored = Consent.objects.get()
    assert stored.receipt_digest == receipt_digest(stored.org_id, code)
