"""Sign-in, throttling, passwords, sessions, staff management and API tokens."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from harbour.accounts import actions
from harbour.accounts.models import ApiToken, User
from harbour.accounts.policy import ROLE_PERMISSIONS, Perm, Role, can
from harbour.audit.models import AuditEvent
from harbour.core.errors import Conflict, InvalidInput, NotFound
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
        client.logout()
        assert _sign_in(client, user.email, PASSWORD).status_code == 302
        home = client.get("/")
        assert home.status_code == 302 and home["Location"] == url, role
        assert client.get(url).status_code == 200, role


def test_wrong_password_is_refused_and_audited(client, caseworker) -> None:
    page = _sign_in(client, caseworker.email, "wrong password!!")
    assert page.status_code == 200 and "not correct" in page.content.decode()
    assert AuditEvent.objects.filter(action="user.sign_in_failed").count() == 1


def test_throttling_locks_the_account_after_repeated_failures(client, caseworker) -> None:
    for _ in range(settings.LOGIN_THROTTLE_FAILURES):
        _sign_in(client, caseworker.email, "wrong password!!")
    page = _sign_in(client, caseworker.email, PASSWORD)  # right password, but locked
    assert "Too many failed attempts" in page.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_temporary_password_must_be_changed_first(client, make_user, org) -> None:
    user = make_user("caseworker", org, must_change_password=True)
    _sign_in(client, user.email, PASSWORD)
    assert client.get("/cases/")["Location"] == "/accounts/password/"
    weak = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password": "12345678", "confirm_password": "12345678"},
    )
    assert weak.status_code == 200 and not User.objects.get(pk=user.pk).check_password("12345678")
    done = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password": "a brand new passphrase 7",
            "confirm_password": "a brand new passphrase 7",
        },
    )
    assert done.status_code == 302
    assert client.get("/cases/").status_code == 200


def test_sessions_expire_when_idle() -> None:
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_MINUTES * 60 <= 60 * 60
    assert settings.SESSION_COOKIE_HTTPONLY


def test_org_admin_manages_only_their_own_staff(make_user, org, other_org, org_admin) -> None:
    mine = actions.create_user(
        by=org_admin,
        email="new@example.org",
        full_name="New Person",
        org_id=org.pk,
        role="caseworker",
        password="temporary pass 123",
    )
    assert mine.must_change_password
    with pytest.raises(NotFound):
        actions.create_user(
            by=org_admin,
            email="x@example.org",
            full_name="X",
            org_id=other_org.pk,
            role="caseworker",
            password="temporary pass 123",
        )
    with pytest.raises(InvalidInput):
        actions.create_user(
            by=org_admin,
            email="y@example.org",
            full_name="Y",
            org_id=org.pk,
            role="national_analyst",
            password="temporary pass 123",
        )
    theirs = make_user("caseworker", other_org)
    with pytest.raises(NotFound):
        actions.update_user(by=org_admin, user=theirs, role="supervisor")
    with pytest.raises(Conflict):
        actions.update_user(by=org_admin, user=org_admin, is_active=False)


def test_staff_pages(client_for, org_admin, outsider) -> None:
    client = client_for(org_admin)
    assert client.get("/accounts/staff/").status_code == 200
    assert client.get(f"/accounts/staff/{outsider.pk}/").status_code == 404
    created = client.post(
        "/accounts/staff/new/",
        {
            "full_name": "Marie Roy",
            "email": "marie@example.org",
            "role": "caseworker",
            "password": "temporary pass 123",
            "job_title": "Intervenante",
        },
    )
    assert created.status_code == 302
    assert User.objects.get(email="marie@example.org").org_id == org_admin.org_id


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
