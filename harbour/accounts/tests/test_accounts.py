"""Sign-in, throttling, passwords, sessions, staff management and API tokens."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from harbour.accounts import actions
from harbour.accounts.models import ApiToken
from harbour.accounts.policy import ROLE_PERMISSIONS, Perm, Role, can
from harbour.accounts.tests.factors import enrol_totp, sign_in
from harbour.audit.models import AuditEvent
from harbour.testenv import PASSWORD

pytestmark = pytest.mark.django_db


def _sign_in(client, email: str, password: str):
    return client.post("/accounts/sign-in/", {"email": email, "password": password})


def test_sign_in_lands_each_role_on_its_page(client, make_user, org) -> None:
    landings = {
        "caseworker": "/cases/",
        "supervisor": "/dashboard/",
        "org_admin": "/dashboard/",
        "national_analyst": "/national/",
        "researcher": "/research/",
        "auditor": "/audit/",
        "system_admin": "/organisations/",
    }
    for role, url in landings.items():
        user = make_user(role, org)
        secret, _codes = enrol_totp(user)
        client.logout()
        sign_in(client, user, secret)
        home = client.get("/")
        assert home.status_code == 302 and home["Location"] == url, role
        assert client.get(url).status_code == 200, role


def test_wrong_password_is_refused_and_audited(client, caseworker) -> None:
    page = _sign_in(client, caseworker.email, "wrong password!!")
    assert page.status_code == 200 and "not correct" in page.content.decode()
    assert AuditEvent.objects.filter(action="user.sign_in_failed").count() == 1


def test_sessions_expire_when_idle() -> None:
    assert "harbour.accounts.middleware.SessionRefreshMiddleware" in settings.MIDDLEWARE
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_MINUTES * 60 <= 60 * 60
    assert settings.SESSION_COOKIE_HTTPONLY


def test_roles_never_mix_case_data_with_national_or_platform_work() -> None:
    for role in (Role.NATIONAL_ANALYST, Role.RESEARCHER, Role.SYSTEM_ADMIN, Role.AUDITOR):
        assert Perm.SURVIVOR_IDENTITY_VIEW not in ROLE_PERMISSIONS[role]
        assert Perm.CASE_VIEW not in ROLE_PERMISSIONS[role]


def test_tokens_are_stored_hashed_and_can_be_revoked(caseworker) -> None:
    token, plain = actions.issue_token(by=caseworker, name="laptop")
    assert plain not in ApiToken.objects.values_list("digest", flat=True)
    assert token.digest == ApiToken.digest_of(plain) and token.is_live
    actions.revoke_token(by=caseworker, token_id=token.pk)
    token.refresh_from_db()
    assert not token.is_live


def test_inactive_users_have_no_permissions(caseworker) -> None:
    caseworker.is_active = False
    assert not can(caseworker, Perm.CASE_VIEW)


def test_expired_tokens_do_not_authenticate(api_for, caseworker, client) -> None:
    _token, plain = actions.issue_token(by=caseworker, name="old")
    ApiToken.objects.filter(prefix=plain[:12]).update(expires_at=timezone.now() - dt.timedelta(1))
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 401


def test_the_language_choice_follows_the_account(client, caseworker) -> None:
    _sign_in(client, caseworker.email, PASSWORD)
    client.post("/i18n/setlang/", {"language": "fr", "next": "/cases/"})
    caseworker.refresh_from_db()
    assert caseworker.preferred_language == "fr"
    client.logout()
    client.cookies.pop("django_language", None)
    _sign_in(client, caseworker.email, PASSWORD)
    assert '<html lang="fr">' in client.get("/cases/").content.decode()


# --- throttling (issue 7, ADR 9) ------------------------------------------------------------------


def _wrong(client, email: str) -> None:
    page = _sign_in(client, email, "wrong password!!")
    assert page.status_code == 200


def test_an_account_is_slowed_down_more_after_each_failure(client, caseworker) -> None:
    from harbour.accounts.models import LoginThrottle

    for _ in range(settings.LOGIN_THROTTLE_FAILURES):
        _wrong(client, caseworker.email)
    page = _sign_in(client, caseworker.email, PASSWORD)  # right password, but must wait
    assert "Too many failed attempts" in page.content.decode()
    assert "_auth_user_id" not in client.session
    first = LoginThrottle.objects.get(locked_until__isnull=False)
    assert first.locked_until is not None
    first_wait = first.locked_until - first.window_started_at
    LoginThrottle.objects.filter(pk=first.pk).update(locked_until=timezone.now())
    _wrong(client, caseworker.email)
    second = LoginThrottle.objects.get(pk=first.pk)
    assert second.locked_until is not None
    assert second.locked_until - second.window_started_at == 2 * first_wait
    LoginThrottle.objects.filter(pk=first.pk).update(locked_until=timezone.now())
    assert _sign_in(client, caseworker.email, PASSWORD).status_code == 302


def test_failures_for_one_account_never_block_another_from_the_same_address(
    client, make_user, org
) -> None:
    alice, bob = make_user("caseworker", org), make_user("caseworker", org)
    for _ in range(settings.LOGIN_THROTTLE_FAILURES * 2):
        _wrong(client, alice.email)
    assert _sign_in(client, bob.email, PASSWORD).status_code == 302


def test_a_known_browser_is_not_locked_out_by_guesses_made_elsewhere(caseworker) -> None:
    from django.test import Client

    usual = Client()
    assert _sign_in(usual, caseworker.email, PASSWORD).status_code == 302
    usual.post("/accounts/sign-out/")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(settings.LOGIN_THROTTLE_FAILURES + 3):
        _wrong(attacker, caseworker.email)
    assert "Too many" in _sign_in(attacker, caseworker.email, PASSWORD).content.decode()
    assert _sign_in(usual, caseworker.email, PASSWORD).status_code == 302
    # A forged or foreign device cookie is only a stranger's browser.
    forger = Client(REMOTE_ADDR="203.0.113.9")
    forger.cookies["harbour_device"] = "forged:cookie"
    assert _sign_in(forger, caseworker.email, PASSWORD).status_code == 200


def test_an_address_past_its_limit_cannot_retry_but_fresh_accounts_still_sign_in(
    client, make_user, org, settings
) -> None:
    settings.LOGIN_ADDRESS_FAILURES = 3
    tried = [make_user("caseworker", org) for _ in range(3)]
    fresh = make_user("caseworker", org)
    for user in tried:
        _wrong(client, user.email)
    assert "Too many" in _sign_in(client, tried[0].email, PASSWORD).content.decode()
    assert _sign_in(client, fresh.email, PASSWORD).status_code == 302
    elsewhere = client_from("198.51.100.7")
    assert _sign_in(elsewhere, tried[0].email, PASSWORD).status_code == 302


def client_from(address: str):
    from django.test import Client

    return Client(REMOTE_ADDR=address)


def test_the_throttle_table_holds_no_address_or_e_mail(client, caseworker) -> None:
    from harbour.accounts.models import LoginThrottle

    _wrong(client, caseworker.email)
    stored = " ".join(LoginThrottle.objects.values_list("key", flat=True))
    assert caseworker.email not in stored and "127.0.0.1" not in stored


def test_a_session_ends_after_its_maximum_length_however_active(client, caseworker) -> None:
    from harbour.accounts.middleware import SIGNED_IN_AT

    assert _sign_in(client, caseworker.email, PASSWORD).status_code == 302
    assert client.get("/cases/").status_code == 200
    session = client.session
    session[SIGNED_IN_AT] = session[SIGNED_IN_AT] - settings.SESSION_MAX_HOURS * 3600 - 1
    session.save()
    ended = client.get("/cases/")
    assert ended.status_code == 302 and ended["Location"].startswith("/accounts/sign-in/")
    assert "_auth_user_id" not in client.session


def test_hsts_is_sent_when_configured(client, settings) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/accounts/sign-in/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
