"""Second factors on the web (ADR 38): two-step sign-in, enrolment that comes before anything
else, recovery codes shown once, passkeys over JSON, the administrator's reset, the policy."""

import json
import re

import pyotp
import pytest
from django.test import Client

from harbour.accounts import actions
from harbour.accounts.actions.passkeys import relying_party
from harbour.accounts.models import ApiToken, Passkey, TotpDevice
from harbour.accounts.tests.factors import enrol_totp, sign_in
from harbour.accounts.tests.soft_authenticator import SoftAuthenticator
from harbour.audit.actions import SystemActor
from harbour.testenv import PASSWORD

pytestmark = pytest.mark.django_db


def password_only(user) -> Client:
    client = Client()
    response = client.post("/accounts/sign-in/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_a_role_that_needs_a_factor_enrols_before_anything_else(org_admin) -> None:
    client = password_only(org_admin)
    for path in ("/", "/dashboard/", "/accounts/staff/", "/accounts/tokens/", "/audit/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/accounts/security/", path
    page = client.get("/accounts/security/")
    assert page.status_code == 200 and b"Your role needs a second factor" in page.content

    assert client.get("/accounts/security/app/").status_code == 200
    started = client.post("/accounts/security/app/", {"name": "Work phone"})
    device = TotpDevice.objects.get(user=org_admin)
    assert started["Location"] == f"/accounts/security/app/{device.pk}/"
    shown = client.get(started["Location"])
    secret = actions.totp_secret(device)
    assert b"<svg" in shown.content and b"https://" not in shown.content.split(b"<svg")[1][:2000]
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in shown.text

    wrong = client.post(started["Location"], {"code": "000000"})
    assert wrong.status_code == 200 and "not correct" in wrong.text
    code = pyotp.TOTP(secret).now()
    confirmed = client.post(started["Location"], {"code": code})
    assert confirmed["Location"] == "/accounts/security/recovery-codes/"
    twice = client.post(started["Location"], {"code": code})  # a double submission
    assert twice.status_code == 302 and twice["Location"] == "/accounts/security/"
    waiting = client.session["harbour_new_recovery_codes"]
    codes_page = client.get("/accounts/security/recovery-codes/")
    assert codes_page.status_code == 200 and codes_page.text.count("<li><code>") == 10
    printed = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", codes_page.text)
    assert waiting.startswith("hbr1.") and not any(c in waiting for c in printed)
    again = client.get("/accounts/security/recovery-codes/")  # shown once
    assert again.status_code == 302
    assert client.get("/dashboard/").status_code == 200  # enrolling counts as passing


def test_sign_in_asks_for_the_code_after_the_password(supervisor) -> None:
    secret, _codes = enrol_totp(supervisor)
    client = Client()
    response = client.post(
        "/accounts/sign-in/?next=/dashboard/", {"email": supervisor.email, "password": PASSWORD}
    )
    assert response["Location"] == "/accounts/second-factor/?next=%2Fdashboard%2F"
    blocked = client.get("/cases/")
    assert blocked.status_code == 302 and blocked["Location"].startswith("/accounts/second-factor/")
    assert client.get("/accounts/tokens/").status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200 and b"authenticator app" in page.content
    wrong = client.post(response["Location"], {"code": "123456"})
    assert wrong.status_code == 200 and "not correct" in wrong.text
    code = pyotp.TOTP(secret).now()
    passed = client.post(response["Location"], {"code": code})
    assert passed.status_code == 302 and passed["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/accounts/second-factor/").status_code == 302  # nothing more to do

    replay = password_only(supervisor).post("/accounts/second-factor/", {"code": code})
    assert replay.status_code == 200 and "already been used" in replay.text


def test_a_recovery_code_signs_in_once_and_warns(supervisor) -> None:
    _secret, codes = enrol_totp(supervisor)
    client = password_only(supervisor)
    passed = client.post("/accounts/second-factor/", {"code": codes[0]}, follow=True)
    assert passed.status_code == 200 and "recovery code" in passed.text
    again = password_only(supervisor).post("/accounts/second-factor/", {"code": codes[0]})
    assert "already been used" in again.text


def test_a_caseworker_may_go_without_unless_the_organisation_requires_it(
    caseworker, org_admin
) -> None:
    client = password_only(caseworker)
    assert client.get("/cases/").status_code == 200
    tokens = client.get("/accounts/tokens/")
    assert "passed a second factor" in tokens.text
    client.post("/accounts/tokens/", {"name": "laptop"})
    assert not ApiToken.objects.filter(user=caseworker).exists()  # no token on a password alone

    admin = Client()
    admin.force_login(org_admin)
    assert (
        admin.post("/accounts/staff/second-factor-policy/", {"caseworkers_required": "1"})[
            "Location"
        ]
        == "/accounts/staff/"
    )
    assert "Make it optional for caseworkers" in admin.get("/accounts/staff/").text
    assert password_only(caseworker).get("/cases/")["Location"] == "/accounts/security/"
    admin.post("/accounts/staff/second-factor-policy/", {"caseworkers_required": "0"})
    assert password_only(caseworker).get("/cases/").status_code == 200


def test_tokens_need_a_session_that_passed_the_factor(caseworker) -> None:
    secret, _codes = enrol_totp(caseworker)
    client = Client()
    sign_in(client, caseworker, secret)
    client.post("/accounts/tokens/", {"name": "laptop"})
    assert ApiToken.objects.filter(user=caseworker).count() == 1


def test_managing_ones_own_factors(caseworker) -> None:
    secret, _old = enrol_totp(caseworker)
    client = Client()
    sign_in(client, caseworker, secret)
    page = client.get("/accounts/security/")
    assert page.status_code == 200 and "10 unused recovery codes left" in page.text
    renewed = client.post("/accounts/security/recovery-codes/new/")
    assert renewed["Location"] == "/accounts/security/recovery-codes/"
    assert client.get(renewed["Location"]).status_code == 200
    device = TotpDevice.objects.get(user=caseworker)
    assert client.post(f"/accounts/security/totp/{device.pk}/remove/").status_code == 302
    assert not actions.has_second_factor(caseworker)
    missing = client.post(f"/accounts/security/sms/{device.pk}/remove/")
    assert missing.status_code == 404


def test_the_last_factor_of_a_required_role_stays(supervisor) -> None:
    secret, _codes = enrol_totp(supervisor)
    client = Client()
    sign_in(client, supervisor, secret)
    device = TotpDevice.objects.get(user=supervisor)
    followed = client.post(f"/accounts/security/totp/{device.pk}/remove/", follow=True)
    assert "add another one before you remove this one" in followed.text
    assert actions.has_second_factor(supervisor)


def test_another_administrator_resets_from_the_staff_page(org_admin, supervisor) -> None:
    enrol_totp(supervisor)
    admin = Client()
    admin.force_login(org_admin)
    page = admin.get(f"/accounts/staff/{supervisor.pk}/")
    assert "Reset the second factor" in page.text
    listing = admin.get("/accounts/staff/")
    assert listing.status_code == 200 and "Second factor" in listing.text
    done = admin.post(f"/accounts/staff/{supervisor.pk}/reset-second-factor/")
    assert done.status_code == 302 and not actions.has_second_factor(supervisor)
    own = admin.post(f"/accounts/staff/{org_admin.pk}/reset-second-factor/", follow=True)
    assert "ask another administrator" in own.text


def test_passkeys_over_the_web(supervisor, caseworker, settings) -> None:
    settings.HARBOUR_SITE_URL = "https://harbour.test"
    rp_id, origin = relying_party()
    authenticator = SoftAuthenticator(rp_id=rp_id, origin=origin)
    client = password_only(supervisor)  # must enrol: a passkey will do
    options = client.post("/accounts/security/passkey/options/").json()
    assert options["rp"]["id"] == rp_id
    challenge = _challenge(options)
    registered = client.post(
        "/accounts/security/passkey/",
        json.dumps({"name": "Laptop", "credential": json.loads(authenticator.register(challenge))}),
        content_type="application/json",
    )
    assert registered.json() == {"redirect": "/accounts/security/recovery-codes/"}
    assert Passkey.objects.filter(user=supervisor).count() == 1

    fresh = password_only(supervisor)
    page = fresh.get("/accounts/second-factor/")
    assert b"data-passkey-sign-in" in page.content and b"harbour/passkeys.js" in page.content
    options = fresh.post("/accounts/second-factor/passkey/options/").json()
    answer = authenticator.sign_in(_challenge(options))
    passed = fresh.post(
        "/accounts/second-factor/passkey/?next=/dashboard/",
        json.dumps({"credential": json.loads(answer)}),
        content_type="application/json",
    )
    assert passed.json() == {"redirect": "/dashboard/"}
    assert fresh.get("/dashboard/").status_code == 200

    other = password_only(caseworker)  # the supervisor's passkey is not the caseworker's
    options = other.post("/accounts/second-factor/passkey/options/").json()
    refused = other.post(
        "/accounts/second-factor/passkey/",
        json.dumps({"credential": json.loads(authenticator.sign_in(_challenge(options)))}),
        content_type="application/json",
    )
    assert (
        refused.status_code == 422 and "not registered to this account" in refused.json()["error"]
    )


def _challenge(options: dict) -> bytes:
    from webauthn.helpers import base64url_to_bytes

    return base64url_to_bytes(options["challenge"])


@pytest.mark.parametrize(
    "body", [b"", b"{", b"[]", b'{"credential": 5}', b"\xff\xfe", b'{"credential": {}}']
)
def test_malformed_passkey_answers_are_a_clear_refusal(supervisor, body, settings) -> None:
    settings.HARBOUR_SITE_URL = "https://harbour.test"
    client = password_only(supervisor)
    for url in ("/accounts/security/passkey/", "/accounts/second-factor/passkey/"):
        client.post(url.replace("passkey/", "passkey/options/"))
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 422 and response.json()["error"], (url, body)
    assert not Passkey.objects.filter(user=supervisor).exists()


def test_no_passkeys_on_a_site_reached_by_its_ip_address(supervisor, settings) -> None:
    settings.HARBOUR_SITE_URL = "http://127.0.0.1:8000"
    page = password_only(supervisor).get("/accounts/security/")
    assert b"data-passkey-register" not in page.content
    assert "not by an IP address" in page.text


def test_the_pages_in_french(supervisor) -> None:
    enrol_totp(supervisor)
    client = password_only(supervisor)
    client.cookies["django_language"] = "fr"
    page = client.get("/accounts/second-factor/")
    assert "Confirmez que c'est bien vous" in page.text


def test_an_invitee_enrols_right_after_choosing_a_password(make_org) -> None:
    org = make_org()
    links: list[str] = []
    actions.invite(
        by=SystemActor("tests"),
        org=org,
        email="rose@example.org",
        full_name="Rose Tremblay",
        role="org_admin",
        on_link=links.append,
    )
    invitee = Client()
    opened = invitee.get("/" + links[0].split("/", 3)[3])
    password = "a passphrase of my own 42"
    invitee.post(opened["Location"], {"new_password": password, "confirm_password": password})
    signed = invitee.post("/accounts/sign-in/", {"email": "rose@example.org", "password": password})
    assert signed["Location"] == "/accounts/security/"
    assert invitee.get("/dashboard/")["Location"] == "/accounts/security/"
