"""Second factors on the web (ADR 38): the step after the password, setting up an authenticator
app or a passkey, recovery codes shown once, and removing a factor.

Passkey ceremonies are two small JSON exchanges driven by static/harbour/passkeys.js: the
server makes the options and keeps their challenge in the session (used once), the browser
answers with the authenticator's signed response.
"""

import json
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from harbour.accounts import actions
from harbour.accounts.actions.passkeys import passkeys_available
from harbour.accounts.forms import ConfirmTotpForm, DeviceNameForm, SecondFactorForm
from harbour.accounts.middleware import (
    mark_second_factor_passed,
    second_factor_passed,
    second_factor_step,
)
from harbour.accounts.models import Passkey, TotpDevice, User
from harbour.accounts.policy import second_factor_required
from harbour.core.errors import DomainError, InvalidInput, NotFound, parsed_id
from harbour.core.forms import show_errors
from harbour.orgs import crypto
from harbour.web.redirects import next_or

CHALLENGE = "harbour_webauthn_challenge"
NEW_CODES = "harbour_new_recovery_codes"
MAX_JSON = 70_000


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _next(request: HttpRequest) -> str:
    return next_or(request, request.GET.get("next", ""), "web:home")


# --- the step after the password ---------------------------------------------------------------


@login_required
@sensitive_post_parameters("code")
def second_factor(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if second_factor_passed(request) or second_factor_step(user) != "verify":
        return redirect(_next(request))
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            kind = actions.verify_code(user=user, code=form.cleaned_data["code"])
        except DomainError as exc:
            show_errors(form, exc)
        else:
            return _passed(request, user, kind)
    context = {
        "form": form,
        "has_passkey": passkeys_available() and Passkey.objects.filter(user=user).exists(),
        "has_totp": TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists(),
    }
    return render(request, "accounts/second_factor.html", context)


def _passed(request: HttpRequest, user: User, kind: str) -> HttpResponse:
    request.session.cycle_key()  # a new session id once the person is fully signed in
    mark_second_factor_passed(request.session, user, kind)
    if kind == "recovery":
        left = actions.recovery_codes_left(user)
        messages.warning(
            request,
            _(
                "You signed in with a recovery code; %(left)d are left. If your device is lost, "
                "set up a new one under Security now."
            )
            % {"left": left},
        )
    return redirect(_next(request))


@login_required
@require_POST
def passkey_sign_in_options(request: HttpRequest) -> HttpResponse:
    options, challenge = actions.authentication_options(_user(request))
    request.session[CHALLENGE] = challenge.hex()
    return HttpResponse(options, content_type="application/json")


@login_required
@require_POST
def passkey_sign_in(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if second_factor_passed(request):
        return JsonResponse({"redirect": _next(request)})
    try:
        actions.verify_passkey(
            user=user, credential=_credential(request), challenge=_challenge(request)
        )
    except DomainError as exc:
        return _json_error(exc)
    request.session.cycle_key()
    mark_second_factor_passed(request.session, user, "passkey")
    return JsonResponse({"redirect": _next(request)})


def _challenge(request: HttpRequest) -> bytes:
    """The challenge of the ceremony in progress; it works once."""
    stored = request.session.pop(CHALLENGE, "")
    try:
        return bytes.fromhex(stored) if isinstance(stored, str) and stored else b""
    except ValueError:
        return b""


def _credential(request: HttpRequest) -> str:
    if len(request.body) > MAX_JSON:
        raise InvalidInput({"credential": [_("The passkey answer is too large.")]})
    try:
        body = json.loads(request.body.decode("utf-8"))
        credential = body["credential"]
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise InvalidInput({"credential": [_("The passkey answer could not be read.")]}) from None
    return json.dumps(credential)


def _json_error(exc: DomainError) -> JsonResponse:
    if isinstance(exc, InvalidInput) and exc.errors:
        message = str(next(iter(exc.errors.values()))[0])
    else:
        message = str(exc.message)
    return JsonResponse({"error": message}, status=exc.status)


# --- the person's own factors -----------------------------------------------------------------


@login_required
def security(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context = {
        "totp_devices": TotpDevice.objects.filter(user=user, confirmed_at__isnull=False),
        "passkeys": Passkey.objects.filter(user=user),
        "codes_left": actions.recovery_codes_left(user),
        "has_factor": actions.has_second_factor(user),
        "required": second_factor_required(user),
        "must_enrol": not second_factor_passed(request) and second_factor_step(user) == "enrol",
        "name_form": DeviceNameForm(),
        "passkeys_available": passkeys_available(),
    }
    return render(request, "accounts/security.html", context)


@login_required
def totp_start(request: HttpRequest) -> HttpResponse:
    form = DeviceNameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, _secret = actions.start_totp(by=_user(request), name=form.cleaned_data["name"])
        except DomainError as exc:
            show_errors(form, exc)
        else:
            return redirect("accounts:security_totp_confirm", device_id=device.pk)
    return render(request, "accounts/totp_start.html", {"form": form})


@login_required
@sensitive_post_parameters("code")
def totp_confirm(request: HttpRequest, device_id: str) -> HttpResponse:
    user = _user(request)
    device = TotpDevice.objects.filter(
        pk=parsed_id(device_id), user=user, confirmed_at__isnull=True
    ).first()
    if device is None:
        if TotpDevice.objects.filter(pk=parsed_id(device_id), user=user).exists():
            return redirect("accounts:security")  # confirmed already (a second submission)
        raise NotFound()
    form = ConfirmTotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = actions.confirm_totp(
                by=user, device_id=device.pk, code=form.cleaned_data["code"]
            )
        except DomainError as exc:
            show_errors(form, exc)
        else:
            return _enrolled(request, user, "totp", codes)
    uri = actions.provisioning_uri(device, user)
    context = {
        "form": form,
        "device": device,
        "qr": segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff"),
        "secret": " ".join(_groups(actions.totp_secret(device))),
    }
    return render(request, "accounts/totp_confirm.html", context)


def _groups(secret: str) -> list[str]:
    return [secret[i : i + 4] for i in range(0, len(secret), 4)]


def _enrolled(request: HttpRequest, user: User, kind: str, codes: list[str]) -> HttpResponse:
    """A new factor proves possession: the session counts as having passed it."""
    mark_second_factor_passed(request.session, user, kind)
    messages.success(request, _("Your second factor is set up."))
    if codes:
        _keep_codes(request, user, codes)
        return redirect("accounts:security_codes")
    return redirect("accounts:security")


def _keep_codes(request: HttpRequest, user: User, codes: list[str]) -> None:
    """Until the next page shows them, the new codes wait in the session sealed with the
    organisation's key: the session table never holds them readable."""
    request.session[NEW_CODES] = crypto.seal(user.org_id, {"codes": codes}, aad=_aad(user))


def _aad(user: User) -> str:
    return f"accounts.recovery_codes:{user.pk}"


@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown once: they leave the session as they are displayed."""
    user = _user(request)
    sealed = request.session.pop(NEW_CODES, None)
    try:
        codes = crypto.open_sealed(user.org_id, sealed, aad=_aad(user))["codes"]
    except (crypto.KeyError_, ValueError, TypeError, KeyError, AttributeError):
        return redirect("accounts:security")
    return render(request, "accounts/recovery_codes.html", {"codes": codes})


@login_required
@require_POST
def recovery_codes_new(request: HttpRequest) -> HttpResponse:
    try:
        codes = actions.regenerate_recovery_codes(by=_user(request))
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("accounts:security")
    _keep_codes(request, _user(request), codes)
    return redirect("accounts:security_codes")


@login_required
@require_POST
def factor_remove(request: HttpRequest, kind: str, factor_id: str) -> HttpResponse:
    try:
        actions.remove_factor(by=_user(request), kind=kind, factor_id=factor_id)
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The second factor has been removed."))
    return redirect("accounts:security")


@login_required
@require_POST
def passkey_register_options(request: HttpRequest) -> HttpResponse:
    options, challenge = actions.registration_options(_user(request))
    request.session[CHALLENGE] = challenge.hex()
    return HttpResponse(options, content_type="application/json")


@login_required
@require_POST
def passkey_register(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    try:
        name = _name(request)
        _passkey, codes = actions.register_passkey(
            by=user, name=name, credential=_credential(request), challenge=_challenge(request)
        )
    except DomainError as exc:
        return _json_error(exc)
    response = _enrolled(request, user, "passkey", codes)
    return JsonResponse({"redirect": response["Location"]})


def _name(request: HttpRequest) -> str:
    try:
        value: Any = json.loads(request.body.decode("utf-8")).get("name", "")
    except (ValueError, AttributeError, UnicodeDecodeError):
        value = ""
    return value if isinstance(value, str) else ""
