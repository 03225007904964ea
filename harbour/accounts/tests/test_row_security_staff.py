"""A system administrator acting on ANOTHER organisation's member, as the application role
(ADR 40, amended 2026-12-06).

The system admin belongs to the national body; the member to another organisation, whose
tokens, reset links and audit chain that organisation's scope alone lets through. Each change
must happen, end the member's tokens where it says so, and leave its event in the member's
organisation's chain (not the national body's) — all with the web server's starting scope
(none), as in production. Run as an ordinary role: superusers bypass row-level security.
"""

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from harbour.accounts.models import ApiToken, Invitation, LinkPurpose, TotpDevice
from harbour.accounts.tests.factors import enrol_totp
from harbour.audit.models import AuditEvent
from harbour.core import tenancy
from harbour.core.testing import served_fixture  # noqa: F401 - the `served` fixture

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row-level security is PostgreSQL's"
    ),
]


@pytest.fixture
def sysadmin(make_org, make_user) -> Any:
    national = make_org(type="national_coordinating_body", short_name="national-staff-rls")
    return make_user("system_admin", national)


@pytest.fixture
def web(sysadmin) -> Client:
    client = Client()
    client.force_login(sysadmin)
    return client


def _events(member: Any, action: str) -> list[AuditEvent]:
    with tenancy.widened("test: reading every chain"):
        return list(AuditEvent.objects.filter(action=action, target_id=str(member.pk)))


def _landed_in_members_chain(member: Any, sysadmin: Any, action: str) -> None:
    events = _events(member, action)
    assert len(events) == 1, action
    event = events[0]
    assert event.chain == str(member.org_id) != str(sysadmin.org_id)
    assert event.actor_id == sysadmin.pk and event.actor_org_id == sysadmin.org_id


def _live_tokens(member: Any) -> int:
    with tenancy.widened("test: reading the member's tokens"):
        return ApiToken.objects.filter(user=member, revoked_at__isnull=True).count()


def _chains_verify() -> None:
    out = io.StringIO()
    with tenancy.widened("test: audit verify reads every chain"):
        call_command("audit_verify", stdout=out)
    assert "intact" in out.getvalue().lower(), out.getvalue()


def test_a_system_admin_makes_another_organisations_member_its_first_admin(
    sysadmin, web, make_user, other_org, api_for, served
) -> None:
    """The one role a system admin may give elsewhere: a first administrator (ADR 9)."""
    member = make_user("supervisor", other_org)
    with tenancy.widened("test: issuing the member a token"):
        api_for(member)
    assert _live_tokens(member) == 1
    answer = web.post(
        f"/accounts/staff/{member.pk}/",
        {"full_name": member.full_name, "job_title": "", "role": "org_admin"},
    )
    assert answer.status_code == 302, answer.content
    member.refresh_from_db()
    assert member.role == "org_admin"
    assert _live_tokens(member) == 0  # a new role revokes its tokens, across the boundary
    _landed_in_members_chain(member, sysadmin, "user.updated")
    _chains_verify()


def test_a_system_admin_deactivates_and_reactivates_another_organisations_member(
    sysadmin, web, make_user, other_org, api_for, served
) -> None:
    member = make_user("caseworker", other_org)
    with tenancy.widened("test: issuing the member a token"):
        api_for(member)
    answer = web.post(f"/accounts/staff/{member.pk}/active/", {"active": "0"})
    assert answer.status_code == 302
    member.refresh_from_db()
    assert not member.is_active
    assert _live_tokens(member) == 0
    _landed_in_members_chain(member, sysadmin, "user.deactivated")
    web.post(f"/accounts/staff/{member.pk}/active/", {"active": "1"})
    member.refresh_from_db()
    assert member.is_active
    _landed_in_members_chain(member, sysadmin, "user.reactivated")
    _chains_verify()


def test_a_system_admin_forces_another_organisations_member_to_reset_their_password(
    sysadmin, web, make_user, other_org, api_for, served, django_capture_on_commit_callbacks
) -> None:
    member = make_user("caseworker", other_org)
    with tenancy.widened("test: issuing the member a token"):
        api_for(member)
    with django_capture_on_commit_callbacks(execute=True):
        answer = web.post(f"/accounts/staff/{member.pk}/require-reset/")
    assert answer.status_code == 302
    member.refresh_from_db()
    assert not member.has_usable_password()
    assert _live_tokens(member) == 0
    with tenancy.widened("test: reading the member's reset link"):
        link = Invitation.objects.get(user=member, purpose=LinkPurpose.RESET)
    assert link.org_id == member.org_id and link.used_at is None  # the member's org's row
    _landed_in_members_chain(member, sysadmin, "user.password_reset_required")
    _chains_verify()


def test_a_system_admin_cannot_reset_another_organisations_second_factor(
    sysadmin, web, make_user, other_org, served
) -> None:
    """A lost device is the member's own organisation's administrators' business (ADR 38):
    the system admin's request is refused (the page says so) and nothing is removed or audited."""
    member = make_user("supervisor", other_org)
    with tenancy.widened("test: enrolling the member"):
        enrol_totp(member)
    answer = web.post(f"/accounts/staff/{member.pk}/reset-second-factor/", follow=True)
    assert answer.status_code == 200
    assert "Done: their second factors" not in answer.content.decode()
    page = web.get(f"/accounts/staff/{member.pk}/")
    assert page.status_code == 200
    assert f"/accounts/staff/{member.pk}/reset-second-factor/" not in page.content.decode()
    with tenancy.widened("test: reading the member's device"):
        assert TotpDevice.objects.filter(user=member).exists()
    assert _events(member, "user.second_factor_reset") == []


def test_the_members_own_admin_resets_their_second_factor_as_the_application_role(
    make_user, other_org, api_for, served
) -> None:
    """The path the system admin is refused, as it is meant to run: inside one organisation."""
    member = make_user("supervisor", other_org)
    admin = make_user("org_admin", other_org)
    with tenancy.widened("test: enrolling the member"):
        enrol_totp(member)
    with tenancy.widened("test: issuing the member a token"):
        api_for(member)
    web = Client()
    web.force_login(admin)
    answer = web.post(f"/accounts/staff/{member.pk}/reset-second-factor/")
    assert answer.status_code == 302
    with tenancy.widened("test: reading the member's device"):
        assert not TotpDevice.objects.filter(user=member).exists()
    assert _live_tokens(member) == 0
    events = _events(member, "user.second_factor_reset")
    assert [(e.chain, e.actor_id) for e in events] == [(str(other_org.pk), admin.pk)]
    _chains_verify()
