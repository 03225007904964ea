"""Passkeys in a real browser (ADR 38): headless Chromium with the DevTools Protocol's virtual
authenticator (WebAuthn.enable + WebAuthn.addVirtualAuthenticator), so the registration and
sign-in ceremonies run end to end through static/harbour/passkeys.js and py_webauthn. The
relying party is the live server's own origin. Database work happens before the browser starts
and after it closes (Playwright's loop runs in this thread, where Django forbids ORM calls)."""

from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect

from harbour.accounts.models import Passkey
from harbour.audit.models import AuditEvent
from harbour.testenv import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"


def _password(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/sign-in/")
    page.fill("#id_email", email)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"passkey-{name}.png"), full_page=True)


def test_a_supervisor_enrols_a_passkey_and_signs_in_with_it(
    live_server, make_user, org, chromium, settings
) -> None:
    settings.HARBOUR_SITE_URL = live_server.url  # the RP id and origin come from it
    supervisor = make_user("supervisor", org, preferred_language="fr")
    base = live_server.url
    errors: list[str] = []
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        authenticator = cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        # A supervisor without a second factor is sent to set one up, and nothing else works.
        _password(page, base, supervisor.email)
        expect(page).to_have_url(f"{base}/accounts/security/")
        expect(page.locator(".message.warning")).to_be_visible()
        page.goto(f"{base}/cases/")
        expect(page).to_have_url(f"{base}/accounts/security/")
        _shot(page, "1-enrol-fr")

        page.fill("[data-passkey-register] input[name=name]", "Ordinateur portable")
        page.click("[data-passkey-register] [data-passkey-start]")
        expect(page).to_have_url(f"{base}/accounts/security/recovery-codes/")
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        _shot(page, "2-recovery-codes-fr")
        stored = cdp.send(
            "WebAuthn.getCredentials", {"authenticatorId": authenticator["authenticatorId"]}
        )
        assert len(stored["credentials"]) == 1

        # A new session (the same browser and authenticator): the password, then the passkey.
        context.clear_cookies()
        _password(page, base, supervisor.email)
        expect(page).to_have_url(f"{base}/accounts/second-factor/")
        _shot(page, "3-second-factor-fr")
        page.click("[data-passkey-sign-in] [data-passkey-start]")
        expect(page).to_have_url(f"{base}/dashboard/")
        page.goto(f"{base}/cases/")
        expect(page).to_have_url(f"{base}/cases/")

        # An authenticator app as well: the QR code is drawn in the page, the key is shown too.
        page.goto(f"{base}/accounts/security/app/")
        page.fill("#id_name", "Téléphone")
        page.click("main form[data-once] button[type=submit]")
        expect(page.locator("figure.qr svg")).to_be_visible()
        _shot(page, "4-authenticator-app-fr")
        secret = page.locator("#totp-secret").inner_text().replace(" ", "")
        page.fill("#id_code", pyotp.TOTP(secret).now())
        page.click("main form[data-once] button[type=submit]")
        expect(page).to_have_url(f"{base}/accounts/security/")
        expect(page.locator("main")).to_contain_text("Téléphone")
        context.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors
    passkey = Passkey.objects.get(user=supervisor)
    assert passkey.name == "Ordinateur portable" and passkey.last_used_at is not None
    done = set(
        AuditEvent.objects.filter(target_id=str(supervisor.pk)).values_list("action", flat=True)
    )
    assert {"second_factor.enrolled", "user.second_factor_passed"} <= done
