from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from harbour.accounts import actions
from harbour.accounts.forms import (
    PasswordChangeForm,
    PasswordResetForm,
    SignInForm,
    StaffEditForm,
    StaffForm,
    TokenForm,
)
from harbour.accounts.models import ApiToken, User
from harbour.accounts.policy import Perm, can, staff_member_for, staff_visible_to
from harbour.core.errors import DomainError, NotFound
from harbour.core.forms import show_errors


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


@sensitive_post_parameters("password")
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = _authenticate(request, form)
        if user is not None:
            login(request, user)
            target = request.GET.get("next", "")
            safe = url_has_allowed_host_and_scheme(target, {request.get_host()})
            response = redirect(target if safe and target else "web:home")
            # The account's language wins at sign-in; the switch updates it (web.set_language).
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                user.preferred_language,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]  # a str setting
                secure=settings.LANGUAGE_COOKIE_SECURE,
            )
            return response
    return render(request, "accounts/sign_in.html", {"form": form})


def _authenticate(request: HttpRequest, form: SignInForm) -> User | None:
    from django.contrib.auth import authenticate

    email = form.cleaned_data["email"]
    keys = actions.throttle_keys(email, _client_ip(request))
    if actions.is_locked(keys):
        form.add_error(None, _("Too many failed attempts. Wait 15 minutes and try again."))
        return None
    user = authenticate(request, username=email, password=form.cleaned_data["password"])
    if user is None or not isinstance(user, User):
        actions.register_failure(keys=keys)
        known = User.objects.filter(email__iexact=email).first()
        if known is not None:
            actions.record_sign_in(user=known, succeeded=False)
        form.add_error(None, _("The e-mail address or password is not correct."))
        return None
    actions.register_success(keys=keys)
    actions.record_sign_in(user=user, succeeded=True)
    return user


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("accounts:login")


@login_required
@sensitive_post_parameters()
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.change_own_password(
                by=request.user,  # type: ignore[arg-type]
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except DomainError as exc:
            _map_password_errors(form, exc)
        else:
            update_session_auth_hash(request, request.user)  # type: ignore[arg-type]
            messages.success(request, _("Your password has been changed."))
            return redirect("web:home")
    return render(request, "accounts/password_change.html", {"form": form})


def _map_password_errors(form: PasswordChangeForm, exc: DomainError) -> None:
    from harbour.core.errors import InvalidInput

    if isinstance(exc, InvalidInput) and "password" in exc.errors:
        exc.errors["new_password"] = exc.errors.pop("password")
    show_errors(form, exc)


# --- staff management -------------------------------------------------------------------------


def _may_manage(user: User) -> bool:
    return can(user, Perm.STAFF_MANAGE) or can(user, Perm.USERS_MANAGE_ALL)


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    if not _may_manage(request.user):  # type: ignore[arg-type]
        raise NotFound()
    staff = staff_visible_to(request.user).order_by("org__name_en", "full_name")
    return render(request, "accounts/staff_list.html", {"staff": staff})


@login_required
@sensitive_post_parameters("password")
def staff_create(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not _may_manage(user):
        raise NotFound()
    all_roles = can(user, Perm.USERS_MANAGE_ALL)
    form = StaffForm(request.POST or None, all_roles=all_roles)
    org_choices = _org_choices(user, all_roles)
    if request.method == "POST" and form.is_valid():
        org_id = request.POST.get("org") if all_roles else user.org_id
        if org_id not in {str(o.pk) for o in org_choices} and org_id != user.org_id:
            form.add_error(None, _("Choose one of the listed organisations."))
        else:
            try:
                actions.create_user(by=user, org_id=org_id, **form.cleaned_data)
            except DomainError as exc:
                show_errors(form, exc)
            else:
                messages.success(request, _("The account has been created."))
                return redirect("accounts:staff")
    return render(
        request, "accounts/staff_form.html", {"form": form, "orgs": org_choices, "creating": True}
    )


def _org_choices(user: User, all_roles: bool) -> list[Any]:
    from harbour.orgs.models import Organisation

    return list(Organisation.objects.all()) if all_roles else [user.org]


@login_required
def staff_edit(request: HttpRequest, user_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    member = staff_member_for(user, user_id)
    all_roles = can(user, Perm.USERS_MANAGE_ALL)
    initial = {
        "full_name": member.full_name,
        "job_title": member.job_title,
        "role": member.role,
        "is_active": member.is_active,
    }
    form = StaffEditForm(request.POST or None, initial=initial, all_roles=all_roles)
    reset = PasswordResetForm()
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_user(by=user, user=member, **form.cleaned_data)
        except DomainError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("The account has been updated."))
            return redirect("accounts:staff")
    return render(
        request, "accounts/staff_form.html", {"form": form, "member": member, "reset": reset}
    )


@login_required
@require_POST
@sensitive_post_parameters("password")
def staff_reset_password(request: HttpRequest, user_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    member = staff_member_for(user, user_id)
    form = PasswordResetForm(request.POST)
    if form.is_valid():
        try:
            actions.reset_password(by=user, user=member, password=form.cleaned_data["password"])
        except DomainError as exc:
            for message in getattr(exc, "errors", {}).get("password", [exc.message]):
                messages.error(request, str(message))
        else:
            messages.success(request, _("The temporary password has been set."))
    return redirect("accounts:staff_edit", user_id=member.pk)


# --- API tokens -------------------------------------------------------------------------------


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = TokenForm(request.POST or None)
    plain = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, plain = actions.issue_token(by=user, name=form.cleaned_data["name"])
        except DomainError as exc:
            show_errors(form, exc)
        else:
            form = TokenForm()
    context = {
        "form": form,
        "plain": plain,
        "tokens": ApiToken.objects.filter(user=user),
        "may_use_api": can(user, Perm.API_USE),
    }
    return render(request, "accounts/tokens.html", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    actions.revoke_token(by=request.user, token_id=token_id)  # type: ignore[arg-type]
    messages.success(request, _("The token has been revoked."))
    return redirect("accounts:tokens")
