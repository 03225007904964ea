import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from harbour.accounts import actions
from harbour.accounts.forms import (
    ForgotForm,
    PasswordChangeForm,
    SetPasswordForm,
    SignInForm,
    TokenForm,
)
from harbour.accounts.middleware import (
    SECOND_FACTOR_PASSED,
    SESSION_WRITTEN_AT,
    SIGNED_IN_AT,
    second_factor_passed,
    second_factor_step,
)
from harbour.accounts.models import ApiToken, LinkPurpose, User
from harbour.accounts.policy import Perm, can
from harbour.core import tenancy
from harbour.core.errors import DomainError, NotFound
from harbour.core.forms import show_errors
from harbour.web.redirects import is_local_path
from harbour.web.views import landing


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


@sensitive_post_parameters("password")
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        attempt = actions.attempt_for(
            form.cleaned_data["email"],
            _client_ip(request),
            request.COOKIES.get(actions.DEVICE_COOKIE),
        )
        user = _authenticate(request, form, attempt)
        if user is not None:
            login(request, user)
            # The request began unscoped (nobody was signed in when the middleware ran), and the
            # second-factor step reads the account's devices, under row-level security (ADR 40).
            tenancy.for_user(user)
            request.session.pop(SECOND_FACTOR_PASSED, None)
            # What the lifetime and refresh middleware would write on the next page, written
            # with the session now: the next page then does not write it a second time.
            now = int(time.time())
            request.session[SIGNED_IN_AT] = request.session[SESSION_WRITTEN_AT] = now
            return _signed_in(request, user, attempt)
    return render(request, "accounts/sign_in.html", {"form": form})


def _signed_in(request: HttpRequest, user: User, attempt: actions.Attempt) -> HttpResponse:
    target = request.GET.get("next", "")
    safe = is_local_path(request, target)
    # Straight to the person's first page: the home page would only redirect there (a request
    # less for each of the spike's 400 sign-ins).
    response = redirect(target if safe else landing(user))
    step = second_factor_step(user)  # the password was only the first step (ADR 38)
    if step == "verify":
        wanted = f"?{urlencode({'next': target})}" if safe else ""
        response = redirect(f"{reverse('accounts:second_factor')}{wanted}")
    elif step == "enrol":
        response = redirect("accounts:security")
    # The account's language wins at sign-in; the switch updates it (web.set_language).
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        user.preferred_language,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]  # a str setting
        secure=settings.LANGUAGE_COOKIE_SECURE,
    )
    # This browser is now known for this account: others' failed guesses do not lock it out.
    response.set_cookie(
        actions.DEVICE_COOKIE,
        actions.device_cookie(attempt),
        max_age=365 * 86400,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


def _authenticate(request: HttpRequest, form: SignInForm, attempt: actions.Attempt) -> User | None:
    from django.contrib.auth import authenticate

    wait = actions.wait_seconds(attempt)
    if wait:
        minutes = max(1, -(-wait // 60))
        form.add_error(None, _locked_message(minutes))
        return None
    email = form.cleaned_data["email"]
    user = authenticate(request, username=email, password=form.cleaned_data["password"])
    if user is None or not isinstance(user, User):
        actions.register_sign_in_failure(attempt=attempt)
        known = User.objects.filter(email__iexact=email).first()
        if known is not None:
            actions.record_sign_in(user=known, succeeded=False)
        form.add_error(None, _("The e-mail address or password is not correct."))
        return None
    actions.register_sign_in_success(attempt=attempt)
    actions.record_sign_in(user=user, succeeded=True)
    return user


def _locked_message(minutes: int) -> str:
    return ngettext(
        "Too many failed attempts for this account from here. Wait %(minutes)d minute and "
        "try again, or ask your administrator to send you a new password link.",
        "Too many failed attempts for this account from here. Wait %(minutes)d minutes and "
        "try again, or ask your administrator to send you a new password link.",
        minutes,
    ) % {"minutes": minutes}


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


def _map_password_errors(form: Any, exc: DomainError) -> None:
    from harbour.core.errors import InvalidInput

    if isinstance(exc, InvalidInput) and "password" in exc.errors:
        exc.errors["new_password"] = exc.errors.pop("password")
    show_errors(form, exc)


# --- links e-mailed to one person: an invitation, a password reset ------------------------------

# The token leaves the URL at once (it is kept in the session), so it cannot leak through the
# Referer header or the browser history of the page where the password is typed.
LINK_SESSION_KEY = "harbour_link_token"


def welcome(request: HttpRequest, token: str) -> HttpResponse:
    return _open_link(request, token, LinkPurpose.JOIN, "accounts:welcome_password")


def reset(request: HttpRequest, token: str) -> HttpResponse:
    return _open_link(request, token, LinkPurpose.RESET, "accounts:reset_password")


def _open_link(request: HttpRequest, token: str, purpose: str, then: str) -> HttpResponse:
    try:
        actions.live_link(token, purpose)
    except NotFound as exc:
        return render(request, "accounts/link_dead.html", {"message": exc.message}, status=404)
    if request.user.is_authenticated:
        logout(request)
    request.session[LINK_SESSION_KEY] = token
    return redirect(then)


@sensitive_post_parameters()
def welcome_password(request: HttpRequest) -> HttpResponse:
    return _set_password(request, LinkPurpose.JOIN, actions.accept_invitation)


@sensitive_post_parameters()
def reset_password(request: HttpRequest) -> HttpResponse:
    return _set_password(request, LinkPurpose.RESET, actions.use_reset_link)


def _set_password(request: HttpRequest, purpose: str, use: Any) -> HttpResponse:
    token = request.session.get(LINK_SESSION_KEY, "")
    try:
        link = actions.live_link(token, purpose)
    except NotFound as exc:
        return render(request, "accounts/link_dead.html", {"message": exc.message}, status=404)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            use(token=token, password=form.cleaned_data["new_password"])
        except NotFound as exc:
            return render(request, "accounts/link_dead.html", {"message": exc.message}, status=404)
        except DomainError as exc:
            _map_password_errors(form, exc)
        else:
            request.session.pop(LINK_SESSION_KEY, None)
            messages.success(request, _("Your password is set. Sign in with it now."))
            return redirect("accounts:login")
    context = {"form": form, "link": link, "joining": purpose == LinkPurpose.JOIN}
    return render(request, "accounts/set_password.html", context)


def forgot(request: HttpRequest) -> HttpResponse:
    """Always the same answer, whether or not the address has an account."""
    form = ForgotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        keys = [
            salted_hmac("forgot-ip", _client_ip(request) or "-", algorithm="sha256").hexdigest()
        ]
        if not actions.is_locked(keys):
            actions.register_failure(keys=keys, limit=settings.LOGIN_THROTTLE_FAILURES * 4)
            actions.request_password_reset(email=form.cleaned_data["email"])
        messages.info(
            request,
            _(
                "If an active account has this address, a link to choose a new password is on "
                "its way. It works once, for a few days."
            ),
        )
        return redirect("accounts:login")
    return render(request, "accounts/forgot.html", {"form": form})


# --- API tokens -------------------------------------------------------------------------------


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = TokenForm(request.POST or None)
    plain = None
    passed = second_factor_passed(request)
    if request.method == "POST" and form.is_valid() and passed:
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
        "needs_second_factor": not passed,
    }
    return render(request, "accounts/tokens.html", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    actions.revoke_token(by=request.user, token_id=token_id)  # type: ignore[arg-type]
    messages.success(request, _("The token has been revoked."))
    return redirect("accounts:tokens")
