"""Separation of duties (issue 7, ADR 9): nobody chooses another person's password; people are
invited and set their own; a system admin brings in only an organisation's first
administrator; credential and role changes end sessions and revoke tokens."""

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from harbour.accounts import actions
from harbour.accounts.models import ApiToken, Invitation, User
from harbour.audit.actions import SystemActor
from harbour.audit.models import AuditEvent
from harbour.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from harbour.testenv import PASSWORD

# Real commits: the e-mails leave only once the transaction has committed (transaction.on_commit).
pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "a passphrase of my own 42"


def _link(message: Any) -> str:
    found = re.search(r"https?://\S+/accounts/(?:welcome|reset)/\S+/", message.body)
    assert found, message.body
    return "/" + found.group(0).split("/", 3)[3]


def _invite_on_the_web(admin: User, **fields: str) -> Any:
    client = Client()
    client.force_login(admin)
    values = {
        "full_name": "Marie Roy",
        "email": "marie@example.org",
        "role": "caseworker",
        "job_title": "Intervenante",
        "preferred_language": "fr",
        "org": str(admin.org_id),
    } | fields
    return client.post("/accounts/staff/invite/", values)


def _accept(link: str, password: str = NEW_PASSWORD) -> Any:
    invitee = Client()
    opened = invitee.get(link)
    if opened.status_code != 302:
        return opened
    assert "/set-password/" in opened["Location"] and link not in opened["Location"]
    page = invitee.get(opened["Location"])
    assert page.status_code == 200
    return invitee.post(
        opened["Location"], {"new_password": password, "confirm_password": password}
    )


def test_an_invitee_sets_their_own_password_and_the_admin_never_sees_the_link(org_admin) -> None:
    response = _invite_on_the_web(org_admin)
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="marie@example.org")
    assert not User.objects.filter(email="marie@example.org").exists()
    to_invitee = [m for m in mail.outbox if m.to == ["marie@example.org"]]
    assert len(to_invitee) == 1 and "Harbour" in to_invitee[0].subject
    link = _link(to_invitee[0])
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert Invitation.digest_of(token) == invitation.digest and token not in invitation.digest
    admin_pages = Client()
    admin_pages.force_login(org_admin)
    assert token not in admin_pages.get("/accounts/staff/").content.decode()

    assert _accept(link).status_code == 302
    marie = User.objects.get(email="marie@example.org")
    assert marie.role == "caseworker" and marie.org_id == org_admin.org_id
    assert marie.check_password(NEW_PASSWORD) and not marie.must_change_password
    assert (
        Client()
        .post("/accounts/sign-in/", {"email": "marie@example.org", "password": NEW_PASSWORD})
        .status_code
        == 302
    )
    # Single use: the same link does not work twice.
    assert Client().get(link).status_code == 404
    actions_done = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"invitation.sent", "invitation.accepted"} <= actions_done


def test_invitation_links_expire(org_admin) -> None:
    _invite_on_the_web(org_admin)
    link = _link(mail.outbox[-1])
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    dead = Client().get(link)
    assert dead.status_code == 404 and "expired" in dead.content.decode()


def test_nobody_creates_an_account_with_a_password_of_their_choosing(org_admin, org) -> None:
    for admin in (org_admin,):
        with pytest.raises(Forbidden):
            actions.create_user(
                by=admin,
                email="mine@example.org",
                full_name="Me Too",
                org_id=org.pk,
                role="caseworker",
                password="a password I know 1",
            )
    old_route = Client()
    old_route.force_login(org_admin)
    assert old_route.post("/accounts/staff/new/", {"password": "x"}).status_code == 404


def test_a_system_admin_invites_only_a_first_administrator(
    make_org, make_user, org, org_admin
) -> None:
    national = make_org(type="national_coordinating_body", short_name="national-x")
    sysadmin = make_user("system_admin", national)
    with pytest.raises(InvalidInput):  # org already has an administrator
        actions.invite(by=sysadmin, org=org, email="a@example.org", full_name="A", role="org_admin")
    fresh = make_org(short_name="fresh-org")
    for role in ("caseworker", "supervisor", "auditor"):
        with pytest.raises(InvalidInput):
            actions.invite(by=sysadmin, org=fresh, email="c@example.org", full_name="C", role=role)
    invitation = actions.invite(
        by=sysadmin, org=fresh, email="first@example.org", full_name="First", role="org_admin"
    )
    assert invitation.role == "org_admin"
    web = Client()
    web.force_login(sysadmin)
    refused = web.post(
        "/accounts/staff/invite/",
        {
            "org": str(fresh.pk),
            "full_name": "Case Worker",
            "email": "cw@example.org",
            "role": "caseworker",
            "preferred_language": "en",
        },
    )
    assert refused.status_code == 200 and not Invitation.objects.filter(email="cw@example.org")
    # Once the organisation has an administrator, a system admin's pending invitation is void.
    make_user("org_admin", fresh)
    assert _accept(_link(mail.outbox[-1])).status_code == 404


def test_roles_follow_the_kind_of_organisation(make_org, make_user, org_admin) -> None:
    with pytest.raises(InvalidInput):
        actions.invite(
            by=org_admin, org=org_admin.org, email="n@example.org", full_name="N",
            role="national_analyst",
        )  # fmt: skip
    national = make_org(type="national_coordinating_body", short_name="national-y")
    national_admin = make_user("org_admin", national)
    with pytest.raises(InvalidInput):
        actions.invite(
            by=national_admin, org=national, email="c@example.org", full_name="C",
            role="caseworker",
        )  # fmt: skip
    actions.invite(
        by=national_admin, org=national, email="an@example.org", full_name="An",
        role="national_analyst",
    )  # fmt: skip


def test_an_admin_manages_only_their_own_organisation(org_admin, outsider, other_org) -> None:
    with pytest.raises(NotFound):
        actions.invite(
            by=org_admin, org=other_org, email="x@example.org", full_name="X", role="caseworker"
        )
    with pytest.raises(NotFound):
        actions.update_user(by=org_admin, user=outsider, role="supervisor")
    with pytest.raises(Conflict):
        actions.set_active(by=org_admin, user=org_admin, active=False)
    with pytest.raises(Conflict):
        actions.update_user(by=org_admin, user=org_admin, role="caseworker")
    web = Client()
    web.force_login(org_admin)
    assert web.get(f"/accounts/staff/{outsider.pk}/").status_code == 404


def test_other_administrators_are_told(org_admin, make_user, caseworker) -> None:
    colleague = make_user("org_admin", org_admin.org)
    mail.outbox.clear()
    actions.invite(
        by=org_admin, org=org_admin.org, email="n@example.org", full_name="Nora", role="supervisor"
    )
    actions.update_user(by=org_admin, user=caseworker, role="supervisor")
    actions.set_active(by=org_admin, user=caseworker, active=False)
    to_colleague = [m.body for m in mail.outbox if m.to == [colleague.email]]
    assert len(to_colleague) == 3
    assert org_admin.full_name in to_colleague[0] and "Nora" in to_colleague[0]
    assert not [m for m in mail.outbox if m.to == [org_admin.email]]


def _token_client(user: User) -> tuple[Client, str]:
    _token, plain = actions.issue_token(by=user, name="laptop")
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}"), plain


def _web(user: User) -> Client:
    client = Client()
    assert (
        client.post("/accounts/sign-in/", {"email": user.email, "password": PASSWORD}).status_code
        == 302
    )
    return client


@pytest.mark.parametrize("change", ["role", "deactivate", "reset"])
def test_credential_and_role_changes_end_sessions_and_tokens(change, org_admin, caseworker) -> None:
    api, _plain = _token_client(caseworker)
    web = _web(caseworker)
    assert api.get("/api/v1/me").status_code == 200 and web.get("/cases/").status_code == 200
    if change == "role":
        actions.update_user(by=org_admin, user=caseworker, role="supervisor")
    elif change == "deactivate":
        actions.set_active(by=org_admin, user=caseworker, active=False)
    else:
        actions.require_password_reset(by=org_admin, user=caseworker)
    assert api.get("/api/v1/me").status_code == 401
    assert web.get("/cases/").status_code == 302  # back to the sign-in page
    assert not ApiToken.objects.filter(user=caseworker, revoked_at__isnull=True).exists()
    event = AuditEvent.objects.filter(target_id=caseworker.pk).latest("seq")
    assert event.context["tokens_revoked"] == 1


def test_a_required_reset_sends_the_person_a_link_and_the_old_password_stops(
    org_admin, caseworker
) -> None:
    mail.outbox.clear()
    actions.require_password_reset(by=org_admin, user=caseworker)
    assert (
        Client()
        .post("/accounts/sign-in/", {"email": caseworker.email, "password": PASSWORD})
        .status_code
        == 200
    )
    [message] = [m for m in mail.outbox if m.to == [caseworker.email]]
    assert _accept(_link(message)).status_code == 302
    caseworker.refresh_from_db()
    assert caseworker.check_password(NEW_PASSWORD)


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(caseworker) -> None:
    api, _plain = _token_client(caseworker)
    here, elsewhere = _web(caseworker), _web(caseworker)
    changed = here.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 302
    assert here.get("/cases/").status_code == 200
    assert elsewhere.get("/cases/").status_code == 302
    assert api.get("/api/v1/me").status_code == 401


def test_an_account_that_must_change_its_password_cannot_use_its_tokens(caseworker) -> None:
    api, _plain = _token_client(caseworker)
    User.objects.filter(pk=caseworker.pk).update(must_change_password=True)
    assert api.get("/api/v1/me").status_code == 401


def test_forgot_password_answers_the_same_whether_or_not_the_account_exists(caseworker) -> None:
    mail.outbox.clear()
    known = Client().post("/accounts/forgot/", {"email": caseworker.email}, follow=True)
    unknown = Client().post("/accounts/forgot/", {"email": "nobody@example.org"}, follow=True)
    assert known.status_code == unknown.status_code == 200
    assert [m.to for m in mail.outbox] == [[caseworker.email]]
    # Asking does not disable the current password: only using the link changes it.
    caseworker.refresh_from_db()
    assert caseworker.check_password(PASSWORD)
    assert _accept(_link(mail.outbox[0])).status_code == 302


def test_the_command_line_brings_in_a_first_administrator(make_org, capsys) -> None:
    org = make_org(short_name="new-shelter")
    call_command(
        "accounts_invite", org="new-shelter", email="dir@example.org", name="Dana Director"
    )
    printed = capsys.readouterr().out
    assert "/accounts/welcome/" in printed
    assert Invitation.objects.get(email="dir@example.org").invited_by_system
    assert org.pk == Invitation.objects.get(email="dir@example.org").org_id


def test_system_invitations_are_limited_to_administrators(org) -> None:
    with pytest.raises(InvalidInput):
        actions.invite(
            by=SystemActor("cli"), org=org, email="cw@example.org", full_name="C", role="caseworker"
        )
