"""Roles and permissions, as code: reviewed in pull requests, not clicked together in an admin.

A role is a fixed set of permissions. Record-level rules (which case, which organisation) live in
each domain's policy module; this module answers only "may this role do this kind of thing?".
"""

from contextlib import nullcontext
from enum import StrEnum
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from harbour.core import tenancy


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    SUPERVISOR = "supervisor", _("Supervisor")
    ORG_ADMIN = "org_admin", _("Organisation admin")
    NATIONAL_ANALYST = "national_analyst", _("National analyst")
    RESEARCHER = "researcher", _("Researcher")
    AUDITOR = "auditor", _("Auditor")
    SYSTEM_ADMIN = "system_admin", _("System admin")


class Perm(StrEnum):
    SURVIVOR_IDENTITY_VIEW = "survivor.identity.view"
    CASE_VIEW = "case.view"
    CASE_CREATE = "case.create"
    CASE_EDIT = "case.edit"
    CASE_REASSIGN = "case.reassign"
    CASE_REOPEN = "case.reopen"
    ORG_DASHBOARD = "org.dashboard"
    STAFF_MANAGE = "staff.manage"
    AUDIT_VIEW_ORG = "audit.view_org"
    STATS_NATIONAL = "stats.national"
    RESEARCH_EXTRACT = "research.extract"
    ORGS_MANAGE = "orgs.manage"
    USERS_MANAGE_ALL = "users.manage_all"
    REFERENCE_DATA_MANAGE = "reference.manage"
    API_USE = "api.use"
    # The service directory: a provider keeps its own entries; the platform keeps everyone's.
    DIRECTORY_MANAGE = "directory.manage"
    DIRECTORY_MANAGE_ALL = "directory.manage_all"
    # Grants inventory and partner network: national coordinators curate funders, programs and
    # committees; an organisation's admins keep its own partner profile and awards.
    GRANTS_CURATE = "grants.curate"
    PARTNERS_EDIT_OWN = "partners.edit_own"
    # Bulk files in and out of an organisation's own cases (interchange).
    CASE_IMPORT = "case.import"
    CASE_EXPORT = "case.export"


_CASEWORK = {
    Perm.SURVIVOR_IDENTITY_VIEW,
    Perm.CASE_VIEW,
    Perm.CASE_CREATE,
    Perm.CASE_EDIT,
    Perm.API_USE,
}

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.CASEWORKER: frozenset(_CASEWORK),
    Role.SUPERVISOR: frozenset(
        _CASEWORK
        | {Perm.CASE_REASSIGN, Perm.CASE_REOPEN, Perm.ORG_DASHBOARD, Perm.DIRECTORY_MANAGE}
        | {Perm.CASE_IMPORT, Perm.CASE_EXPORT}
    ),
    # A director manages people and sees the organisation's numbers, not survivors' identities.
    Role.ORG_ADMIN: frozenset(
        {
            Perm.STAFF_MANAGE,
            Perm.AUDIT_VIEW_ORG,
            Perm.ORG_DASHBOARD,
            Perm.API_USE,
            Perm.DIRECTORY_MANAGE,
            Perm.PARTNERS_EDIT_OWN,
        }
    ),
    # Never identifying data (invariant 4): aggregate, disclosure-controlled figures only.
    Role.NATIONAL_ANALYST: frozenset({Perm.STATS_NATIONAL, Perm.API_USE, Perm.GRANTS_CURATE}),
    Role.RESEARCHER: frozenset({Perm.RESEARCH_EXTRACT, Perm.API_USE}),
    Role.AUDITOR: frozenset({Perm.AUDIT_VIEW_ORG}),
    # Runs the platform; sees no case data at all.
    Role.SYSTEM_ADMIN: frozenset(
        {
            Perm.ORGS_MANAGE,
            Perm.USERS_MANAGE_ALL,
            Perm.REFERENCE_DATA_MANAGE,
            Perm.DIRECTORY_MANAGE_ALL,
            # directory imports from a scheduled feed (docs/adr/0043); no case endpoint opens
            Perm.API_USE,
        }
    ),
}

# Which roles an organisation admin may hand out to their own staff: case roles in a partner
# organisation, national roles (never case data) in the national coordinating body.
ORG_ASSIGNABLE_ROLES = (Role.CASEWORKER, Role.SUPERVISOR, Role.ORG_ADMIN, Role.AUDITOR)
NATIONAL_ASSIGNABLE_ROLES = (
    Role.NATIONAL_ANALYST,
    Role.RESEARCHER,
    Role.AUDITOR,
    Role.ORG_ADMIN,
    Role.SYSTEM_ADMIN,
)
NATIONAL_ORG_TYPE = "national_coordinating_body"
# Roles that read survivors' cases: nobody may hand one to an account they could sign in to.
CASE_ROLES = frozenset(r for r, perms in ROLE_PERMISSIONS.items() if Perm.CASE_VIEW in perms)


def assignable_roles(by: Any, org: Any) -> tuple[Role, ...]:
    """The roles `by` may give (invite or change to) in `org` (separation of duties, ADR 9).

    A system admin only brings in an organisation's first administrator; everything else is the
    organisation's own administrators' business, within the roles of that kind of organisation.
    """
    if can(by, Perm.STAFF_MANAGE) and by.org_id == org.pk:
        return NATIONAL_ASSIGNABLE_ROLES if org.type == NATIONAL_ORG_TYPE else ORG_ASSIGNABLE_ROLES
    if can(by, Perm.USERS_MANAGE_ALL) and not _has_active_admin(org):
        return (Role.ORG_ADMIN,)
    return ()


def _has_active_admin(org: Any) -> bool:
    from harbour.accounts.models import User

    return User.objects.filter(org=org, role=Role.ORG_ADMIN, is_active=True).exists()


# Second factors (ADR 38): every role sees identifying data or administers something, so every
# role needs one; caseworkers only where their organisation's administrators ask for it.
SECOND_FACTOR_OPTIONAL_ROLES = frozenset({Role.CASEWORKER})


def second_factor_required(user: Any) -> bool:
    """Must this account have a second factor before it may do anything?"""
    if user.role not in SECOND_FACTOR_OPTIONAL_ROLES:
        return True
    from harbour.accounts.models import SecondFactorPolicy

    return SecondFactorPolicy.objects.filter(org_id=user.org_id, caseworkers_required=True).exists()


def can(user: Any, perm: Perm) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return perm in ROLE_PERMISSIONS.get(user.role, frozenset())


def permissions_of(role: str) -> frozenset[Perm]:
    return ROLE_PERMISSIONS.get(role, frozenset())


def staff_visible_to(user: Any) -> Any:
    """Whose accounts this user may manage: their own organisation's, or everyone's."""
    from harbour.accounts.models import User

    if can(user, Perm.USERS_MANAGE_ALL):
        return User.objects.select_related("org")
    if can(user, Perm.STAFF_MANAGE):
        return User.objects.filter(org_id=user.org_id).select_related("org")
    return User.objects.none()


def staff_member_for(user: Any, user_id: Any) -> Any:
    from harbour.core.errors import NotFound, parsed_id

    found = staff_visible_to(user).filter(pk=parsed_id(user_id)).first()
    if found is None:
        raise NotFound()
    return found


def invitation_for(user: Any, invitation_id: Any) -> Any:
    """A pending invitation the user may see: their organisation's, or any for a system admin."""
    from harbour.accounts.models import Invitation
    from harbour.core.errors import NotFound
    from harbour.core.forms import uuid_or_none

    wanted = uuid_or_none(invitation_id)
    every_org = can(user, Perm.USERS_MANAGE_ALL)
    # A system admin manages every organisation's invitations: that reading widens (ADR 40).
    reading = (
        tenancy.widened("accounts: a system admin's invitation") if every_org else nullcontext()
    )
    with reading:
        found = Invitation.objects.filter(pk=wanted).first() if wanted else None
    if found is None or not (
        every_org or (can(user, Perm.STAFF_MANAGE) and found.org_id == user.org_id)
    ):
        raise NotFound()
    return found
