"""An organisation's auditor keeps proof of its audit trail: signs and downloads a checkpoint,
checks it (the trail extends it), then — after someone alters an event in the database — checks
it again and is told which event is bad. In French and English, screenshots to tests/screenshots/.
Database work happens before the browser starts and after it closes (Playwright's loop runs in
this thread, where Django forbids ORM calls)."""

from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import Page, expect

from harbour.accounts.tests.factors import enrol_totp
from harbour.audit.actions import signer_name
from harbour.audit.models import AuditEvent
from harbour.testenv import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"checkpoints-{name}.png"), full_page=True)
    expect(page.locator("#quick-exit")).to_be_visible()


def _check(page: Page, kept: Path) -> None:
    page.set_input_files("#id_file", str(kept))
    page.click("main form[enctype] button[type=submit]")


def test_an_auditor_keeps_and_checks_a_checkpoint(
    live_server, make_user, org, case, chromium, tmp_path
) -> None:
    auditor = make_user("auditor", org, preferred_language="fr")
    _secret, codes = enrol_totp(auditor)  # an auditor's role needs a second factor (ADR 38)
    base = live_server.url
    errors: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{base}/accounts/sign-in/")
        page.fill("#id_email", auditor.email)
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.fill("#id_code", codes.pop())  # a recovery code: each sign-in uses its own
        page.click("main form[data-once] button[type=submit]")
        page.goto(f"{base}/audit/")
        page.click("a[href='/audit/checkpoints/']")
        expect(page.locator("h1")).to_have_text("Points de contrôle de la piste de vérification")
        _shot(page, "1-page-fr")
        with page.expect_download() as download:
            page.click("form[action='/audit/checkpoints/sign/'] button")
        kept = tmp_path / download.value.suggested_filename
        download.value.save_as(kept)
        page.goto(f"{base}/audit/checkpoints/")
        _check(page, kept)
        expect(page.locator(".message.success h2")).to_have_text(
            "La piste prolonge ce point de contrôle"
        )
        _shot(page, "2-extends-fr")
    assert kept.read_text().startswith(f"{signer_name()}\nHarbour audit checkpoint v1\n")

    first = AuditEvent.objects.filter(chain=str(org.pk)).order_by("seq")[1]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'x.y' WHERE id = %s", [first.id])

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{base}/accounts/sign-in/")
        page.fill("#id_email", auditor.email)
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.fill("#id_code", codes.pop())  # a recovery code: each sign-in uses its own
        page.click("main form[data-once] button[type=submit]")
        page.goto(f"{base}/audit/checkpoints/")
        _check(page, kept)
        alert = page.locator(".message.error")
        expect(alert).to_contain_text("La piste ne prolonge PAS ce point de contrôle")
        expect(alert).to_contain_text("n°\u00a02")
        _shot(page, "3-tampered-fr")
        page.set_viewport_size({"width": 390, "height": 844})
        _shot(page, "4-phone-fr")
    assert errors == [], errors  # no CSP violation or script error
