"""Second factors: an authenticator app (TOTP), single-use recovery codes, and their reset by
another administrator when a device is lost (ADR 38). Passkeys are in `passkeys.py`.

A TOTP secret is sealed with the organisation's data key and never stored readable; a code is
accepted once (the device remembers the last 30-second step it accepted), within one step of
the server's clock. Recovery codes are stored as keyed hashes and each works once. Wrong codes
are slowed down like passwords and audited in the account's organisation chain.
"""

import secrets
import time
from typing import Any

import pyotp
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from harbour.accounts import notify
from harbour.accounts.actions.common import revoke_credentials, staff_event
from harbour.accounts.actions.throttle import (
    register_sign_in_failure,
    register_sign_in_success,
    second_factor_attempt,
    wait_seconds,
)
from harbour.accounts.models import Passkey, RecoveryCode, SecondFactorPolicy, TotpDevice, User
from harbour.accounts.policy import Perm, can, second_factor_required
from harbour.audit.actions import SystemActor, record_event
from harbour.core.errors import Forbidden, InvalidInput, NotFound, TooManyAttempts, parsed_id
from harbour.orgs import crypto
from harbour.orgs.models import Organisation

STEP = 30  # seconds per TOTP code (RFC 6238's default, what every authenticator app uses)
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper without doubt
_EXPIRED_STEPS = 10  # a code this many steps old is called expired rather than wrong

MSG_WRONG = _("This code is not correct. Check the code in your app or use a recovery code.")
MSG_REPLAYED = _("This code has already been used. Wait for the next code in your app.")
MSG_EXPIRED = _(
    "This code has expired. Use the code your app shows now, and check that the clock of your "
    "phone is set automatically."
)
MSG_RECOVERY_USED = _("This recovery code has already been used. Each code works once.")
PROBLEMS = {
    "wrong": MSG_WRONG,
    "replayed": MSG_REPLAYED,
    "expired": MSG_EXPIRED,
    "reused": MSG_RECOVERY_USED,
}
MSG_NAME = _("Give it a name of at most 80 characters.")
MSG_LAST_FACTOR = _("Your role needs a second factor: add another one before you remove this one.")


# --- enrolling an authenticator app ------------------------------------------------------------


@transaction.atomic
def start_totp(*, by: User, name: str) -> tuple[TotpDevice, str]:
    """A new, unconfirmed authenticator for `by`; returns it with its secret (shown once, to
    be scanned). It counts only once a code from it is confirmed; an earlier unconfirmed one is
    dropped."""
    name = checked_name(name)
    TotpDevice.objects.filter(user=by, confirmed_at__isnull=True).delete()
    secret = pyotp.random_base32()
    device = TotpDevice(user=by, org_id=by.org_id, name=name)
    device.sealed = crypto.seal_record(device, {"secret": secret})
    device.save()
    staff_event(by, "second_factor.totp_started", by)
    return device, secret


@transaction.atomic
def enrol_known_totp(*, by: SystemActor, user: User, secret: str, name: str) -> TotpDevice:
    """An authenticator with a secret chosen by a system loader (the demo, whose secrets are
    printed for newcomers, ADR 39) — never by a person: people scan their own."""
    if isinstance(by, User):
        raise Forbidden(_("Each person sets up their own second factor."))
    device = TotpDevice(user=user, org_id=user.org_id, name=name, confirmed_at=timezone.now())
    device.sealed = crypto.seal_record(device, {"secret": secret})
    device.save()
    staff_event(by, "second_factor.enrolled", user, kind="totp")
    return device


def totp_secret(device: TotpDevice) -> str:
    return str(crypto.open_record(device)["secret"])


def provisioning_uri(device: TotpDevice, user: User) -> str:
    return pyotp.TOTP(totp_secret(device)).provisioning_uri(name=user.email, issuer_name="Harbour")


def confirm_totp(*, by: User, device_id: Any, code: str) -> list[str]:
    """Confirm a new authenticator with a code from it. Returns the first recovery codes when
    this is the account's first factor (shown once), else an empty list."""
    check_not_throttled(by)
    with transaction.atomic():
        device = (
            TotpDevice.objects.select_for_update()
            .filter(pk=parsed_id(device_id), user=by, confirmed_at__isnull=True)
            .first()
        )
        if device is None:
            raise NotFound()
        step, problem = _match(device, code)
        if problem is None:
            first = not has_second_factor(by)
            device.confirmed_at = timezone.now()
            device.last_step = step
            device.save(update_fields=["confirmed_at", "last_step", "updated_at"])
            codes = new_recovery_codes(by) if first or not has_recovery_codes(by) else []
            staff_event(by, "second_factor.enrolled", by, kind="totp")
            notify.factor_changed(by, "added", device.name)
            register_sign_in_success(attempt=second_factor_attempt(by.pk))
            return codes
    record_failure(user=by, problem=problem)
    raise InvalidInput({"code": [PROBLEMS[problem]]})


def checked_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 80 or not name.isprintable():
        raise InvalidInput({"name": [MSG_NAME]})
    return name


# --- checking a code at sign-in ----------------------------------------------------------------


def verify_code(*, user: User, code: str) -> str:
    """Check a code from an authenticator app or a recovery code for `user`'s sign-in. Returns
    which kind passed ("totp" or "recovery"). Raises InvalidInput with a specific message
    (wrong, already used, expired) or TooManyAttempts; every failure is counted and audited."""
    check_not_throttled(user)
    text = _normalised(code)
    with transaction.atomic():
        if text.isascii() and text.isdigit() and len(text) == 6:
            problem = _use_totp(user, text)
            kind = "totp"
        else:
            problem = _use_recovery_code(user, text)
            kind = "recovery"
        if problem is None:
            register_sign_in_success(attempt=second_factor_attempt(user.pk))
            staff_event(user, "user.second_factor_passed", user, kind=kind)
            return kind
    record_failure(user=user, problem=problem)
    raise InvalidInput({"code": [PROBLEMS[problem]]})


def check_not_throttled(user: User) -> None:
    wait = wait_seconds(second_factor_attempt(user.pk))
    if wait:
        minutes = max(1, -(-wait // 60))
        raise TooManyAttempts(
            ngettext(
                "Too many wrong codes. Wait %(minutes)d minute and try again.",
                "Too many wrong codes. Wait %(minutes)d minutes and try again.",
                minutes,
            )
            % {"minutes": minutes}
        )


@transaction.atomic
def record_failure(*, user: User, problem: str) -> None:
    """Counted and audited in their own transaction: the refusal itself changes nothing else."""
    register_sign_in_failure(attempt=second_factor_attempt(user.pk))
    record_event(
        by=user,
        action="user.second_factor_failed",
        org_id=user.org_id,
        target_type="user",
        target_id=user.pk,
        outcome="refused",
        context={"reason": problem},
    )


def _normalised(code: str) -> str:
    text = str(code or "")[:64]
    return "".join(ch for ch in text.lower() if ch not in " -\t\u00a0\u202f")


def _use_totp(user: User, code: str) -> str | None:
    devices = TotpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False)
    problem = "wrong"
    for device in devices:
        step, found = _match(device, code)
        if found is None:
            device.last_step, device.last_used_at = step, timezone.now()
            device.save(update_fields=["last_step", "last_used_at", "updated_at"])
            return None
        if found != "wrong":
            problem = found
    return problem


def _match(device: TotpDevice, code: str) -> tuple[int, str | None]:
    """(step, None) when `code` is good now and newer than the last code accepted; otherwise
    (0, the reason): replayed, expired or simply wrong."""
    code = _normalised(code)
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return 0, "wrong"
    totp = pyotp.TOTP(totp_secret(device))
    now = int(time.time()) // STEP
    for step in (now, now - 1, now + 1):
        if constant_time_compare(totp.generate_otp(step), code):
            return (step, None) if step > device.last_step else (0, "replayed")
    for step in range(now - 2, now - 2 - _EXPIRED_STEPS, -1):
        if constant_time_compare(totp.generate_otp(step), code):
            return 0, "expired"
    return 0, "wrong"


# --- recovery codes ---------------------------------------------------------------------------


def _digest(user: User, code: str) -> str:
    return salted_hmac(
        "harbour.accounts.recovery", f"{user.pk}:{code}", algorithm="sha256"
    ).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    plain = []
    for _n in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _i in range(10))
        plain.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, digest=_digest(user, c.replace("-", ""))) for c in plain
    )
    return plain


def has_recovery_codes(user: User) -> bool:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).exists()


def _use_recovery_code(user: User, text: str) -> str | None:
    if not text or len(text) > 20 or not (text.isascii() and text.isalnum()):
        return "wrong"
    row = RecoveryCode.objects.select_for_update().filter(user=user, digest=_digest(user, text))
    found = row.first()
    if found is None:
        return "wrong"
    if found.used_at is not None:
        return "reused"
    found.used_at = timezone.now()
    found.save(update_fields=["used_at", "updated_at"])
    return None


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


@transaction.atomic
def regenerate_recovery_codes(*, by: User) -> list[str]:
    """New codes replace every earlier one (used or not); shown once."""
    if not has_second_factor(by):
        raise Forbidden(_("Add an authenticator app or a passkey first."))
    codes = new_recovery_codes(by)
    staff_event(by, "second_factor.recovery_codes_renewed", by)
    return codes


# --- what the account has ---------------------------------------------------------------------


def has_second_factor(user: User) -> bool:
    return (
        TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()
        or Passkey.objects.filter(user=user).exists()
    )


def _factor_count(user: User) -> int:
    totp = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).count()
    return totp + Passkey.objects.filter(user=user).count()


@transaction.atomic
def remove_factor(*, by: User, kind: str, factor_id: Any) -> None:
    """Remove one of one's own authenticators or passkeys; never the last one a role needs."""
    model: Any = {"totp": TotpDevice, "passkey": Passkey}.get(kind)
    if model is None:
        raise NotFound()
    found = model.objects.select_for_update().filter(pk=parsed_id(factor_id), user=by).first()
    if found is None:
        raise NotFound()
    confirmed = kind == "passkey" or found.confirmed_at is not None
    if confirmed and _factor_count(by) <= 1 and second_factor_required(by):
        raise Forbidden(MSG_LAST_FACTOR)
    found.delete()
    if _factor_count(by) == 0:
        RecoveryCode.objects.filter(user=by).delete()
    staff_event(by, "second_factor.removed", by, kind=kind)
    if confirmed:
        notify.factor_changed(by, "removed", found.name)


# --- a lost device: reset by another administrator --------------------------------------------


@transaction.atomic
def reset_second_factor(*, by: User | SystemActor, user: User) -> None:
    """Remove every second factor and recovery code of `user`, whose device is lost. Only
    ANOTHER administrator of the same organisation may do it (or the command line, for an
    organisation's only administrator); it ends the person's sessions and API tokens, is
    audited, and the person and the organisation's other administrators are told by e-mail.
    At their next sign-in the person enrols a new factor."""
    if isinstance(by, User):
        if not can(by, Perm.STAFF_MANAGE) or by.org_id != user.org_id:
            raise NotFound()
        if by.pk == user.pk:
            raise Forbidden(_("Nobody resets their own second factor: ask another administrator."))
    TotpDevice.objects.filter(user=user).delete()
    Passkey.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    revoked = revoke_credentials(user)
    staff_event(by, "user.second_factor_reset", user, tokens_revoked=revoked)
    notify.second_factor_reset(user)
    notify.admins(by, user.org, "second_factor_reset", name=user.full_name)


# --- the organisation's choice for caseworkers -------------------------------------------------


def caseworkers_required(org: Organisation) -> bool:
    return SecondFactorPolicy.objects.filter(org=org, caseworkers_required=True).exists()


@transaction.atomic
def set_caseworker_policy(*, by: User | SystemActor, org: Organisation, required: bool) -> None:
    """The organisation's administrators decide (or the command line, for a deployment)."""
    if isinstance(by, User) and (not can(by, Perm.STAFF_MANAGE) or by.org_id != org.pk):
        raise NotFound()
    policy, _created = SecondFactorPolicy.objects.select_for_update().get_or_create(org=org)
    if policy.caseworkers_required == required:
        return
    policy.caseworkers_required = required
    policy.save(update_fields=["caseworkers_required", "updated_at"])
    record_event(
        by=by,
        action="org.second_factor_policy_changed",
        org_id=org.pk,
        target_type="org",
        target_id=org.pk,
        fields=["caseworkers_required"],
        context={"caseworkers_required": required},
    )
    notify.admins(by, org, "caseworker_policy_on" if required else "caseworker_policy_off")
