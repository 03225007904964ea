"""Staff management: invitations, role changes, deactivation, password-reset links (ADR 9)."""

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from harbour.accounts import actions
from harbour.accounts.forms import InviteForm, StaffEditForm
from harbour.accounts.models import Invitation, LinkPurpose, Passkey, TotpDevice, User
from harbour.accounts.policy import (
    Perm,
    assignable_roles,
    can,
    invitation_for,
    staff_member_for,
    staff_visible_to,
)
from harbour.core import tenancy
from harbour.core.errors import DomainError, NotFound
from harbour.core.forms import show_errors, uuid_or_none
from harbour.orgs.models import Organisation


def _manager(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not (can(user, Perm.STAFF_MANAGE) or can(user, Perm.USERS_MANAGE_ALL)):
        raise NotFound()
    return user


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    staff = staff_visible_to(user).order_by("org__name_en", "full_name")
    pending = _pending_for(user)
    context = {
        "staff": staff,
        "pending": pending,
        "with_factor": _with_second_factor(user, staff),
        "manages_org": can(user, Perm.STAFF_MANAGE),
        "caseworkers_required": actions.caseworkers_required(user.org),
    }
    return render(request, "accounts/staff_list.html", context)


def _with_second_factor(user: User, staff: Any) -> set[Any]:
    """Who has a second factor, in two queries for the whole list."""
    ids = staff.values("pk")
    totp = TotpDevice.objects.filter(user__in=ids, confirmed_at__isnull=False)
    with _every_org(user, "accounts: a system admin's staff list, who has a second factor"):
        return set(totp.values_list("user_id", flat=True)) | set(
            Passkey.objects.filter(user__in=ids).values_list("user_id", flat=True)
        )


def _pending_for(user: User) -> list[Invitation]:
    live = Invitation.objects.filter(
        purpose=LinkPurpose.JOIN, used_at__isnull=True, revoked_at__isnull=True
    ).select_related("org", "invited_by")
    if not can(user, Perm.USERS_MANAGE_ALL):
        return list(live.filter(org_id=user.org_id))
    with _every_org(user, "accounts: a system admin's pending invitations"):
        return list(live)


def _every_org(user: User, reason: str) -> AbstractContextManager[Any]:
    """A system admin manages every organisation's staff: their lists read across
    organisations on purpose (row-level security, ADR 40); anyone else stays in their own."""
    return tenancy.widened(reason) if can(user, Perm.USERS_MANAGE_ALL) else nullcontext()


@login_required
def staff_invite(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    orgs = _orgs_for(user)
    org = _chosen_org(request, user, orgs)
    roles = tuple(assignable_roles(user, org)) if org else ()
    form = InviteForm(request.POST or None, roles=roles)
    if request.method == "POST" and form.is_valid() and org is not None:
        try:
            invitation = actions.invite(by=user, org=org, **form.cleaned_data)
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _invited_message(invitation))
            return redirect("accounts:staff")
    context = {"form": form, "orgs": orgs, "org": org}
    return render(request, "accounts/invite.html", context)


def _orgs_for(user: User) -> list[Organisation]:
    """A system admin picks the organisation (it must not have an administrator yet)."""
    if can(user, Perm.STAFF_MANAGE):
        return [user.org]
    return [o for o in Organisation.objects.filter(is_active=True) if assignable_roles(user, o)]


def _chosen_org(request: HttpRequest, user: User, orgs: list[Organisation]) -> Organisation | None:
    wanted = uuid_or_none(request.POST.get("org") or request.GET.get("org") or "")
    if len(orgs) == 1 and can(user, Perm.STAFF_MANAGE):
        return orgs[0]
    return next((o for o in orgs if o.pk == wanted), None)


def _invited_message(invitation: Invitation) -> str:
    return _(
        "Invitation sent to %(email)s. The link works once; they choose their own password."
    ) % {"email": invitation.email}


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, invitation_id: str) -> HttpResponse:
    user = _manager(request)
    invitation = invitation_for(user, invitation_id)
    try:
        actions.revoke_invitation(by=user, invitation=invitation)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The invitation has been withdrawn."))
    return redirect("accounts:staff")


@login_required
def staff_edit(request: HttpRequest, user_id: str) -> HttpResponse:
    user = _manager(request)
    member = staff_member_for(user, user_id)
    roles = tuple(dict.fromkeys([member.role, *assignable_roles(user, member.org)]))
    initial = {"full_name": member.full_name, "job_title": member.job_title, "role": member.role}
    form = StaffEditForm(request.POST or None, initial=initial, roles=roles)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_user(by=user, user=member, **form.cleaned_data)
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("The account has been updated."))
            return redirect("accounts:staff")
    may_reset = can(user, Perm.STAFF_MANAGE) and member.org_id == user.org_id
    context = {
        "form": form,
        "member": member,
        "is_self": member.pk == user.pk,
        "may_reset_factor": may_reset,
        # Only asked where it is shown: another organisation's devices are out of sight (RLS).
        "has_factor": may_reset and actions.has_second_factor(member),
    }
    return render(request, "accounts/staff_form.html", context)


@login_required
@require_POST
def staff_set_active(request: HttpRequest, user_id: str) -> HttpResponse:
    user = _manager(request)
    member = staff_member_for(user, user_id)
    active = request.POST.get("active") == "1"
    try:
        actions.set_active(by=user, user=member, active=active)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        done = _("The account is active again.") if active else _("The account is deactivated.")
        messages.success(request, done)
    return redirect("accounts:staff_edit", user_id=member.pk)


@login_required
@require_POST
def staff_require_reset(request: HttpRequest, user_id: str) -> HttpResponse:
    user = _manager(request)
    member = staff_member_for(user, user_id)
    try:
        actions.require_password_reset(by=user, user=member)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _(
                "Done: their password no longer works, they are signed out everywhere and "
                "their API tokens are revoked. A link to choose a new one went to %(email)s."
            )
            % {"email": member.email},
        )
    return redirect("accounts:staff_edit", user_id=member.pk)


@login_required
@require_POST
def staff_reset_second_factor(request: HttpRequest, user_id: str) -> HttpResponse:
    """A lost device: another administrator of the organisation removes the person's second
    factors; they set up a new one at their next sign-in (ADR 38)."""
    user = _manager(request)
    member = staff_member_for(user, user_id)
    try:
        actions.reset_second_factor(by=user, user=member)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _(
                "Done: their second factors and recovery codes are removed, they are signed out "
                "everywhere and their API tokens are revoked. They set up a new second factor "
                "at their next sign-in; Harbour told them by e-mail."
            ),
        )
    return redirect("accounts:staff_edit", user_id=member.pk)


@login_required
@require_POST
def second_factor_policy(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    required = request.POST.get("caseworkers_required") == "1"
    actions.set_caseworker_policy(by=user, org=user.org, required=required)
    if required:
        messages.success(request, _("Caseworkers now need a second factor."))
    else:
        messages.success(request, _("A second factor is now optional for caseworkers."))
    return redirect("accounts:staff")
