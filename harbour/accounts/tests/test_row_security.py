"""The accounts' secrets under PostgreSQL row-level security (ADR 40, amended 2026-12-06).

TOTP devices, recovery codes, passkeys, API tokens, invitations and the second-factor policy
pass only for their user's organisation. A raw query with no organisation set reads none of
them, one organisation's connection none of another's; and everything that reads them before
anyone is known (the second step of a sign-in, a bearer token, an e-mailed link) still works as
the application role, with the web server's starting scope (none), because it scopes or widens
explicitly. Run as an ordinary role: superusers bypass row-level security.
"""

import json
import re
from typing import Any

import pyotp
import pytest
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.test import Client

from harbour.accounts import actions
from harbour.accounts.actions.passkeys import relying_party
from harbour.accounts.models import Invitation, Passkey, SecondFactorPolicy, TotpDevice
from harbour.accounts.tests.factors import enrol_totp
from harbour.accounts.tests.soft_authenticator import SoftAuthenticator
from harbour.core import tenancy
from harbour.core.testing import application_role, raw_count, served, set_scope
from harbour.testenv import PASSWORD

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row-level security is PostgreSQL's"
    ),
]

SECRET_TABLES = {
    "accounts_totpdevice",
    "accounts_recoverycode",
    "accounts_passkey",
    "accounts_apitoken",
    "accounts_invitation",
    "accounts_secondfactorpolicy",
}
NEW_PASSWORD = "a passphrase of my own 42"


def _raw_orgs(table: str) -> set[str]:
    """The organisations of the rows this connection sees, through their user or their org."""
    if table in {"accounts_totpdevice", "accounts_invitation", "accounts_secondfactorpolicy"}:
        sql = f"SELECT DISTINCT org_id::text FROM {table}"  # noqa: S608
    else:
        sql = (
            f"SELECT DISTINCT u.org_id::text FROM {table} t"  # noqa: S608
            " JOIN accounts_user u ON u.id = t.user_id"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {row[0] for row in cursor.fetchall()}


def _secrets_of(user: Any, org_admin: Any) -> None:
    """One row of every secret table for `user`'s organisation."""
    enrol_totp(user)  # a device and its recovery codes
    Passkey.objects.create(user=user, name="Key", credential_id=f"cred-{user.pk}", public_key="k")
    actions.issue_token(by=user, name="laptop")
    actions.invite(by=org_admin, org=user.org, email=f"new-{user.pk}@example.org", full_name="N",
                   role="caseworker")  # fmt: skip
    SecondFactorPolicy.objects.create(org=user.org, caseworkers_required=False)


@pytest.fixture
def two_orgs(supervisor, org_admin, outsider, make_user) -> tuple[str, str]:
    _secrets_of(supervisor, org_admin)
    _secrets_of(outsider, make_user("org_admin", outsider.org))
    return str(supervisor.org_id), str(outsider.org_id)


def test_the_secret_tables_are_under_a_forced_policy() -> None:
    assert set(tenancy.secured_tables()) >= SECRET_TABLES
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relrowsecurity AND relforcerowsecurity"
            " AND relname = ANY(%s)",
            [sorted(SECRET_TABLES)],
        )
        assert {row[0] for row in cursor.fetchall()} == SECRET_TABLES


def test_a_raw_query_without_an_organisation_returns_no_secret(two_orgs) -> None:
    mine, theirs = two_orgs
    for table in SECRET_TABLES:
        assert _raw_orgs(table) == {mine, theirs}, table  # the rows are there
    with application_role():
        set_scope("", tenancy.NONE)
        for table in sorted(SECRET_TABLES):
            assert raw_count(table) == 0, table


def test_an_organisation_sees_its_own_secrets_and_none_of_anothers(two_orgs) -> None:
    mine, theirs = two_orgs
    with application_role():
        set_scope(mine, "org")
        for table in sorted(SECRET_TABLES):
            assert _raw_orgs(table) == {mine}, table
        set_scope(theirs, "org")
        for table in sorted(SECRET_TABLES):
            assert _raw_orgs(table) == {theirs}, table


def test_another_organisations_device_cannot_be_written(two_orgs, supervisor, outsider) -> None:
    mine, _theirs = two_orgs
    with application_role():
        set_scope(mine, "org")
        forged = TotpDevice(user=outsider, org=outsider.org, name="Forged", sealed="x")
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            forged.save(force_insert=True)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM accounts_recoverycode WHERE user_id = %s", [outsider.pk])
            assert cursor.rowcount == 0


def test_sign_in_with_an_app_code_asks_for_it_and_passes(caseworker) -> None:
    """A caseworker's factor is optional: read unscoped, the device would be missed and the
    person signed in on the password alone."""
    secret, _codes = enrol_totp(caseworker)
    with application_role(), served():
        client = Client()
        signed = client.post(
            "/accounts/sign-in/", {"email": caseworker.email, "password": PASSWORD}
        )
        assert signed.status_code == 302 and signed["Location"] == "/accounts/second-factor/"
        wrong = client.post("/accounts/second-factor/", {"code": "000000"})
        assert wrong.status_code == 200
        passed = client.post("/accounts/second-factor/", {"code": pyotp.TOTP(secret).now()})
        assert passed.status_code == 302 and "second-factor" not in passed["Location"]
        assert client.get("/cases/").status_code == 200


def test_sign_in_with_a_recovery_code_once(supervisor) -> None:
    _secret, codes = enrol_totp(supervisor)
    with application_role(), served():
        for attempt in (1, 2):
            client = Client()
            client.post("/accounts/sign-in/", {"email": supervisor.email, "password": PASSWORD})
            answer = client.post("/accounts/second-factor/", {"code": codes[0]})
            if attempt == 1:
                assert answer.status_code == 302 and "second-factor" not in answer["Location"]
            else:
                assert answer.status_code == 200  # used once already
    assert actions.recovery_codes_left(supervisor) == len(codes) - 1


def _challenge(options: dict) -> bytes:
    from webauthn.helpers import base64url_to_bytes

    return base64url_to_bytes(options["challenge"])


def test_sign_in_with_a_passkey(supervisor, settings) -> None:
    settings.HARBOUR_SITE_URL = "https://harbour.test"
    rp_id, origin = relying_party()
    authenticator = SoftAuthenticator(rp_id=rp_id, origin=origin)
    with application_role(), served():
        client = Client()
        client.post("/accounts/sign-in/", {"email": supervisor.email, "password": PASSWORD})
        options = client.post("/accounts/security/passkey/options/").json()
        answer = json.loads(authenticator.register(_challenge(options)))
        registered = client.post(
            "/accounts/security/passkey/",
            json.dumps({"name": "Laptop", "credential": answer}),
            content_type="application/json",
        )
        assert registered.status_code == 200, registered.content
        fresh = Client()
        signed = fresh.post("/accounts/sign-in/", {"email": supervisor.email, "password": PASSWORD})
        assert signed["Location"] == "/accounts/second-factor/"
        options = fresh.post("/accounts/second-factor/passkey/options/").json()
        passed = fresh.post(
            "/accounts/second-factor/passkey/?next=/dashboard/",
            json.dumps({"credential": json.loads(authenticator.sign_in(_challenge(options)))}),
            content_type="application/json",
        )
        assert passed.json() == {"redirect": "/dashboard/"}
    assert Passkey.objects.get(user=supervisor).sign_count == authenticator.sign_count


def test_an_api_call_with_a_token(caseworker, case, api_for) -> None:
    api = api_for(caseworker)
    with application_role(), served():
        listed = api.get("/api/v1/cases")
        assert listed.status_code == 200, listed.content
        assert str(case.pk) in listed.content.decode()
        assert (
            Client().get("/api/v1/cases", HTTP_AUTHORIZATION="Bearer hbr_nope").status_code == 401
        )
        assert raw_count("accounts_apitoken") == 0  # the request's scope ended with it


def _link(message: Any) -> str:
    found = re.search(r"https?://\S+/accounts/(?:welcome|reset)/\S+/", message.body)
    assert found, message.body
    return "/" + found.group(0).split("/", 3)[3]


def _set_password(link: str) -> Any:
    person = Client()
    opened = person.get(link)
    assert opened.status_code == 302, opened
    return person.post(
        opened["Location"], {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    )


def test_an_invitation_is_accepted(org_admin, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        actions.invite(by=org_admin, org=org_admin.org, email="rose@example.org",
                       full_name="Rose", role="caseworker")  # fmt: skip
    link = _link(mail.outbox[-1])
    with application_role(), served():
        assert _set_password(link).status_code == 302
        signed = Client().post(
            "/accounts/sign-in/", {"email": "rose@example.org", "password": NEW_PASSWORD}
        )
        assert signed.status_code == 302 and "sign-in" not in signed["Location"]
    assert Invitation.objects.get(email="rose@example.org").used_at is not None


def test_a_forgotten_password_is_reset(
    caseworker, api_for, django_capture_on_commit_callbacks
) -> None:
    api_for(caseworker)  # a live token, revoked by the reset
    with application_role(), served():
        with django_capture_on_commit_callbacks(execute=True):
            Client().post("/accounts/forgot/", {"email": caseworker.email})
        assert _set_password(_link(mail.outbox[-1])).status_code == 302
    assert not caseworker.api_tokens.filter(revoked_at__isnull=True).exists()
    assert Invitation.objects.get(user=caseworker, purpose="reset").used_at is not None


def test_a_system_admin_manages_another_organisations_invitation(
    make_org, make_user, django_capture_on_commit_callbacks
) -> None:
    national = make_org(type="national_coordinating_body", short_name="national-rls")
    sysadmin = make_user("system_admin", national)
    fresh = make_org(short_name="fresh-rls")
    with application_role(), served():
        web = Client()
        web.force_login(sysadmin)
        with django_capture_on_commit_callbacks(execute=True):
            sent = web.post(
                "/accounts/staff/invite/",
                {"org": str(fresh.pk), "full_name": "First Admin", "email": "first@example.org",
                 "role": "org_admin", "preferred_language": "en"},
            )  # fmt: skip
        assert sent.status_code == 302, sent.content
        assert b"first@example.org" in web.get("/accounts/staff/").content
        invitation = tenancy_all(lambda: Invitation.objects.get(email="first@example.org"))
        assert str(invitation.org_id) == str(fresh.pk)
        revoked = web.post(f"/accounts/staff/invitations/{invitation.pk}/revoke/")
        assert revoked.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def tenancy_all(read: Any) -> Any:
    with tenancy.widened("test: reading what the request wrote"):
        return read()
