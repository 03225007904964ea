"""Staff accounts: invitations, role changes, deactivation and password resets (ADR 9).

Nobody chooses another person's password. An administrator invites; the invitee receives a
single-use, expiring link by e-mail and sets their own password. A reset works the same way:
the administrator ends the account's sessions and tokens and Harbour e-mails the person a link.
Every invitation, role change, deactivation and reset is audited and e-mailed to the
organisation's other administrators.
"""

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from harbour.accounts import notify
from harbour.accounts.actions.common import check_password, revoke_credentials, staff_event
from harbour.accounts.models import Invitation, LinkPurpose, User
from harbour.accounts.policy import Perm, Role, assignable_roles, can
from harbour.audit.actions import Actor, SystemActor, record_event
from harbour.core import tenancy
from harbour.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from harbour.orgs.models import Organisation

MSG_EMAIL_TAKEN = _("An account with this e-mail address already exists.")
MSG_LINK_DEAD = _("This link has expired or has already been used. Ask for a new one.")


@transaction.atomic
def create_user(
    *,
    by: Actor,
    email: str,
    full_name: str,
    org_id: Any,
    role: str,
    password: str,
    job_title: str = "",
    preferred_language: str = "en",
    must_change_password: bool = False,
    password_hash: str | None = None,
) -> User:
    """Create an account with a password — only for system loaders (the demo, tests), never for
    a person: people are invited. `password_hash` lets the demo hash one password once."""
    if isinstance(by, User):
        raise Forbidden(_("Accounts are created by invitation: the person sets their password."))
    email = _normalised(email)
    if User.objects.filter(email__iexact=email).exists():
        raise InvalidInput({"email": [MSG_EMAIL_TAKEN]})
    user = User(
        email=email,
        full_name=full_name.strip(),
        org_id=org_id,
        role=role,
        job_title=job_title,
        preferred_language=preferred_language,
        must_change_password=must_change_password,
    )
    if password_hash:
        user.password = password_hash
    else:
        check_password(password, user)
        user.set_password(password)
    user.save()
    staff_event(by, "user.created", user, ["email", "full_name", "role"])
    return user


def _normalised(email: str) -> str:
    return User.objects.normalize_email(email).strip().lower()


# --- invitations --------------------------------------------------------------------------------


@transaction.atomic
def invite(
    *,
    by: User | SystemActor,
    org: Organisation,
    email: str,
    full_name: str,
    role: str,
    job_title: str = "",
    preferred_language: str = "en",
    on_link: Callable[[str], None] | None = None,
) -> Invitation:
    """Invite a person to join `org` with `role`. The link goes only to their e-mail address
    (and, for the command line only, to `on_link`: its operator already holds the keys)."""
    _check_may_give(by, org, role)
    email = _normalised(email)
    if User.objects.filter(email__iexact=email).exists():
        raise InvalidInput({"email": [MSG_EMAIL_TAKEN]})
    if not full_name.strip():
        raise InvalidInput({"full_name": [_("Enter the person's name.")]})
    if preferred_language not in {"en", "fr"}:
        raise InvalidInput({"preferred_language": [_("Choose English or French.")]})
    # A system admin invites another organisation's first administrator: the invitation is
    # that organisation's row (row-level security, ADR 40).
    with tenancy.as_organisation(org.pk, "accounts: invitation into the organisation"):
        _revoke_pending(org, email)
        invitation, token = _new_link(
            by,
            purpose=LinkPurpose.JOIN,
            org=org,
            email=email,
            full_name=full_name.strip(),
            job_title=job_title.strip(),
            role=role,
            preferred_language=preferred_language,
        )
    _link_event(by, "invitation.sent", invitation, role=role)
    notify.invitation(invitation, token)
    if on_link is not None and not isinstance(by, User):
        on_link(notify.welcome_url(token))
    notify.admins(by, org, "invited", name=invitation.full_name, role=role)
    return invitation


def _check_may_give(by: User | SystemActor, org: Organisation, role: str) -> None:
    """Separation of duties: see accounts.policy.assignable_roles. The command line (a system
    actor: whoever runs it already holds the deployment's keys) may bring in administrators."""
    if isinstance(by, User):
        if not (can(by, Perm.STAFF_MANAGE) or can(by, Perm.USERS_MANAGE_ALL)):
            raise NotFound()
        allowed = assignable_roles(by, org)
        if not allowed and not can(by, Perm.USERS_MANAGE_ALL) and by.org_id != org.pk:
            raise NotFound()
    else:
        allowed = (Role.ORG_ADMIN, Role.SYSTEM_ADMIN)
    if role not in allowed:
        raise InvalidInput({"role": [_msg_role(by, org)]})


def _msg_role(by: User | SystemActor, org: Organisation) -> Any:
    if isinstance(by, User) and can(by, Perm.USERS_MANAGE_ALL) and by.org_id != org.pk:
        return _(
            "A system administrator may only invite an organisation's first administrator; "
            "the organisation's administrators invite everyone else."
        )
    return _("Choose one of the listed roles.")


def _revoke_pending(org: Organisation, email: str) -> None:
    """A new invitation replaces an earlier one to the same address."""
    Invitation.objects.filter(
        org=org, email=email, purpose=LinkPurpose.JOIN, used_at__isnull=True
    ).update(revoked_at=timezone.now())


def _new_link(by: User | SystemActor, **fields: Any) -> tuple[Invitation, str]:
    token = secrets.token_urlsafe(32)
    days = settings.HARBOUR_INVITATION_DAYS
    invitation = Invitation.objects.create(
        digest=Invitation.digest_of(token),
        invited_by=by if isinstance(by, User) else None,
        invited_by_system="" if isinstance(by, User) else by.name,
        expires_at=timezone.now() + dt.timedelta(days=days),
        **fields,
    )
    return invitation, token


def _link_event(by: Actor, action: str, invitation: Invitation, **context: Any) -> None:
    record_event(
        by=by,
        action=action,
        org_id=invitation.org_id,
        target_type="invitation",
        target_id=invitation.pk,
        fields=["email", "full_name"],
        context=context or None,
    )


@transaction.atomic
def revoke_invitation(*, by: User, invitation: Invitation) -> Invitation:
    # The caller found it through `policy.invitation_for`; a system admin's is another org's.
    with tenancy.as_organisation(invitation.org_id, "accounts: invitation revoked"):
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.used_at is not None:
            raise Conflict(_("This invitation has already been used."))
        if invitation.revoked_at is None:
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at", "updated_at"])
            _link_event(by, "invitation.revoked", invitation)
    return invitation


def live_link(token: str, purpose: str) -> Invitation:
    """The invitation or reset behind a link, if it can still be used (else NotFound)."""
    if not token or len(token) > 100:
        raise NotFound()
    # Whoever opens the link is not signed in, so nothing is scoped yet: holding the link is
    # the grant, and the lookup widens for its one row (ADR 40).
    with tenancy.widened(f"accounts: {purpose} link looked up by its digest"):
        found = (
            Invitation.objects.select_related("org", "user")
            .filter(digest=Invitation.digest_of(token), purpose=purpose)
            .first()
        )
    if found is None or not found.is_live:
        raise NotFound(MSG_LINK_DEAD)
    if purpose == LinkPurpose.JOIN:
        _recheck_first_admin(found)
    return found


@transaction.atomic
def accept_invitation(*, token: str, password: str) -> User:
    """The invitee chooses their password; the account exists from now on."""
    found = live_link(token, LinkPurpose.JOIN)
    with tenancy.as_organisation(found.org_id, "accounts: invitation accepted"):
        return _accept(found, password)


def _accept(invitation: Invitation, password: str) -> User:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_live:
        raise NotFound(MSG_LINK_DEAD)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise Conflict(MSG_EMAIL_TAKEN)
    user = User(
        email=invitation.email,
        full_name=invitation.full_name,
        job_title=invitation.job_title,
        org_id=invitation.org_id,
        role=invitation.role,
        preferred_language=invitation.preferred_language,
    )
    check_password(password, user)
    user.set_password(password)
    user.save()
    invitation.used_at, invitation.user = timezone.now(), user
    invitation.save(update_fields=["used_at", "user", "updated_at"])
    staff_event(user, "invitation.accepted", user, ["password"], invitation=str(invitation.pk))
    return user


def _recheck_first_admin(invitation: Invitation) -> None:
    """A system admin's invitation is only for a *first* administrator: void once there is one."""
    inviter = invitation.invited_by
    if inviter is None or not can(inviter, Perm.USERS_MANAGE_ALL):
        return
    if User.objects.filter(org_id=invitation.org_id, role=Role.ORG_ADMIN, is_active=True).exists():
        raise NotFound(MSG_LINK_DEAD)


# --- changes to an existing account --------------------------------------------------------------


def _check_may_manage(by: User, user: User) -> None:
    if can(by, Perm.USERS_MANAGE_ALL):
        return
    if not can(by, Perm.STAFF_MANAGE) or by.org_id != user.org_id:
        raise NotFound()


@transaction.atomic
def update_user(
    *,
    by: User,
    user: User,
    role: str | None = None,
    full_name: str | None = None,
    job_title: str | None = None,
) -> User:
    """Names and job titles; a new role ends the person's sessions and tokens (they sign in
    again under the new role, and tokens are issued again for what it may do)."""
    _check_may_manage(by, user)
    changes = {"role": role, "full_name": full_name, "job_title": job_title}
    changes = {k: v for k, v in changes.items() if v is not None and getattr(user, k) != v}
    if "role" in changes:
        if user.pk == by.pk:
            raise Conflict(_("You cannot change your own role or deactivate yourself."))
        if changes["role"] not in assignable_roles(by, user.org):
            raise InvalidInput({"role": [_msg_role(by, user.org)]})
    for name, value in changes.items():
        setattr(user, name, value)
    user.save()
    revoked = revoke_credentials(user) if "role" in changes else 0
    staff_event(by, "user.updated", user, changes.keys(), tokens_revoked=revoked)
    if "role" in changes:
        notify.admins(by, user.org, "role_changed", name=user.full_name, role=user.role)
    return user


@transaction.atomic
def set_active(*, by: User, user: User, active: bool) -> User:
    """Deactivation ends every session and token at once; reactivation needs a new password."""
    _check_may_manage(by, user)
    if user.pk == by.pk:
        raise Conflict(_("You cannot change your own role or deactivate yourself."))
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active", "updated_at"])
    revoked = revoke_credentials(user)
    action = "user.reactivated" if active else "user.deactivated"
    staff_event(by, action, user, ["is_active"], tokens_revoked=revoked)
    notify.admins(by, user.org, "reactivated" if active else "deactivated", name=user.full_name)
    return user


@transaction.atomic
def require_password_reset(*, by: User, user: User) -> Invitation:
    """The person must choose a new password through a link sent to them: their current password
    stops working, their sessions end and their API tokens are revoked. The administrator never
    sees the link."""
    _check_may_manage(by, user)
    if user.pk == by.pk:
        raise Conflict(_("Change your own password on the password page."))
    if not user.is_active:
        raise Conflict(_("Reactivate the account first."))
    user.set_unusable_password()
    user.save(update_fields=["password", "updated_at"])
    revoked = revoke_credentials(user)
    link = _reset_link(by, user)
    staff_event(by, "user.password_reset_required", user, ["password"], tokens_revoked=revoked)
    notify.admins(by, user.org, "reset", name=user.full_name)
    return link


def _reset_link(by: User | SystemActor, user: User) -> Invitation:
    # Asked by the person themselves (nobody signed in) or by a system admin of another
    # organisation: the link is the person's organisation's row (ADR 40).
    with tenancy.as_organisation(user.org_id, "accounts: password reset link"):
        Invitation.objects.filter(
            user=user, purpose=LinkPurpose.RESET, used_at__isnull=True
        ).update(revoked_at=timezone.now())
        link, token = _new_link(
            by,
            purpose=LinkPurpose.RESET,
            org=user.org,
            email=user.email,
            full_name=user.full_name,
            role=user.role,
            preferred_language=user.preferred_language,
            user=user,
        )
    notify.reset_link(link, token)
    return link


@transaction.atomic
def request_password_reset(*, email: str) -> None:
    """'Forgot your password?': a link is e-mailed if an active account has this address. The
    answer is the same either way, so the page reveals nothing about who has an account."""
    user = User.objects.filter(email__iexact=_normalised(email), is_active=True).first()
    if user is None:
        return
    link = _reset_link(SystemActor("password reset request"), user)
    staff_event(SystemActor("password reset request"), "user.reset_link_sent", user)
    del link


@transaction.atomic
def use_reset_link(*, token: str, password: str) -> User:
    found = live_link(token, LinkPurpose.RESET)
    with tenancy.as_organisation(found.org_id, "accounts: password reset link used"):
        return _use_reset(found, password)


def _use_reset(link: Invitation, password: str) -> User:
    link = Invitation.objects.select_for_update(of=("self",)).select_related("user").get(pk=link.pk)
    user = link.user
    if not link.is_live or user is None or not user.is_active:
        raise NotFound(MSG_LINK_DEAD)
    check_password(password, user)
    user.set_password(password)
    user.must_change_password = False
    user.save()
    revoked = revoke_credentials(user)
    link.used_at = timezone.now()
    link.save(update_fields=["used_at", "updated_at"])
    staff_event(user, "user.password_changed", user, ["password"], tokens_revoked=revoked)
    return user
