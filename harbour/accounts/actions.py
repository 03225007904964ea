"""Every write to accounts: staff management, passwords, API tokens, sign-in throttling."""

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from harbour.accounts.models import ApiToken, LoginThrottle, User
from harbour.accounts.policy import ORG_ASSIGNABLE_ROLES, Perm, Role, can
from harbour.audit.actions import Actor, record_event
from harbour.core.errors import Conflict, Forbidden, InvalidInput, NotFound


def _staff_event(by: Actor, action: str, user: User, fields: Any = ()) -> None:
    record_event(
        by=by,
        action=action,
        org_id=user.org_id,
        target_type="user",
        target_id=user.pk,
        fields=fields,
    )


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput({"password": list(exc.messages)}) from None


def _check_role_grant(by: User, org_id: Any, role: str) -> None:
    """Org admins manage their own staff with the organisational roles; system admins, anyone."""
    if can(by, Perm.USERS_MANAGE_ALL):
        if role not in Role.values:
            raise InvalidInput({"role": [_("Choose one of the listed roles.")]})
        return
    if not can(by, Perm.STAFF_MANAGE) or by.org_id != org_id:
        raise NotFound()
    if role not in ORG_ASSIGNABLE_ROLES:
        raise InvalidInput({"role": [_("Choose one of the listed roles.")]})


@transaction.atomic
def create_user(
    *,
    by: User | Actor,
    email: str,
    full_name: str,
    org_id: Any,
    role: str,
    password: str,
    job_title: str = "",
    preferred_language: str = "en",
    must_change_password: bool = True,
    password_hash: str | None = None,
) -> User:
    """Create an account. `password_hash` lets a system loader that already validated and
    hashed one password (the demo) skip re-hashing it for every account."""
    if isinstance(by, User):
        _check_role_grant(by, org_id, role)
        password_hash = None
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise InvalidInput({"email": [_("An account with this e-mail address already exists.")]})
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
        _check_password(password, user)
        user.set_password(password)
    user.save()
    _staff_event(by, "user.created", user, ["email", "full_name", "role"])
    return user


@transaction.atomic
def update_user(
    *,
    by: User,
    user: User,
    role: str | None = None,
    full_name: str | None = None,
    job_title: str | None = None,
    is_active: bool | None = None,
) -> User:
    changes = {
        "role": role,
        "full_name": full_name,
        "job_title": job_title,
        "is_active": is_active,
    }
    changes = {k: v for k, v in changes.items() if v is not None and getattr(user, k) != v}
    _check_role_grant(by, user.org_id, role or user.role)
    if user.pk == by.pk and ("role" in changes or changes.get("is_active") is False):
        raise Conflict(_("You cannot change your own role or deactivate yourself."))
    for name, value in changes.items():
        setattr(user, name, value)
    user.save()
    _staff_event(by, "user.updated", user, changes.keys())
    return user


@transaction.atomic
def reset_password(*, by: User, user: User, password: str) -> None:
    _check_role_grant(by, user.org_id, user.role)
    _check_password(password, user)
    user.set_password(password)
    user.must_change_password = True
    user.save()
    _staff_event(by, "user.password_reset", user, ["password"])


@transaction.atomic
def change_own_password(*, by: User, old_password: str, new_password: str) -> None:
    if not by.check_password(old_password):
        raise InvalidInput({"old_password": [_("Your current password is not correct.")]})
    if old_password == new_password:
        raise InvalidInput({"new_password": [_("Choose a password you have not used here.")]})
    _check_password(new_password, by)
    by.set_password(new_password)
    by.must_change_password = False
    by.save()
    _staff_event(by, "user.password_changed", by, ["password"])


@transaction.atomic
def set_language(*, by: User, language: str) -> None:
    if language not in {"en", "fr"} or by.preferred_language == language:
        return
    by.preferred_language = language
    by.save(update_fields=["preferred_language", "updated_at"])
    _staff_event(by, "user.language_changed", by, ["preferred_language"])


# --- API tokens -------------------------------------------------------------------------------


@transaction.atomic
def issue_token(*, by: User, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Create a token; the plain value is returned once and never stored."""
    if not can(by, Perm.API_USE):
        raise Forbidden(_("Your role does not use the API."))
    name = name.strip()
    if not name or len(name) > 80:
        raise InvalidInput({"name": [_("Give the token a name of at most 80 characters.")]})
    plain = "hbr_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=by,
        name=name,
        prefix=plain[:12],
        digest=ApiToken.digest_of(plain),
        expires_at=timezone.now() + dt.timedelta(days=days or settings.API_TOKEN_DAYS),
    )
    record_event(
        by=by,
        action="api_token.issued",
        org_id=by.org_id,
        target_type="api_token",
        target_id=token.pk,
    )
    return token, plain


@transaction.atomic
def revoke_token(*, by: User, token_id: Any) -> None:
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=by).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        record_event(
            by=by,
            action="api_token.revoked",
            org_id=by.org_id,
            target_type="api_token",
            target_id=token.pk,
        )


# --- sign-in throttling -----------------------------------------------------------------------


def throttle_keys(email: str, ip: str | None) -> list[str]:
    """Keyed hashes of the account and the address: the table stores neither."""
    keys = [salted_hmac("login-email", email.strip().lower(), algorithm="sha256").hexdigest()]
    if ip:
        keys.append(salted_hmac("login-ip", ip, algorithm="sha256").hexdigest())
    return keys


def is_locked(keys: list[str]) -> bool:
    now = timezone.now()
    return LoginThrottle.objects.filter(key__in=keys, locked_until__gt=now).exists()


@transaction.atomic
def register_failure(*, keys: list[str], limit: int | None = None) -> None:
    """Count a failure against each key; at `limit` (sign-in's by default) the key is locked for
    the throttle window."""
    limit = limit or settings.LOGIN_THROTTLE_FAILURES
    now = timezone.now()
    window = dt.timedelta(minutes=settings.LOGIN_THROTTLE_MINUTES)
    for key in keys:
        row, _created = LoginThrottle.objects.select_for_update().get_or_create(
            key=key, defaults={"window_started_at": now}
        )
        if now - row.window_started_at > window:
            row.failures, row.window_started_at = 0, now
        row.failures += 1
        if row.failures >= limit:
            row.locked_until = now + window
        row.save()


@transaction.atomic
def register_success(*, keys: list[str]) -> None:
    LoginThrottle.objects.filter(key__in=keys[:1]).delete()


@transaction.atomic
def record_sign_in(*, user: User, succeeded: bool) -> None:
    action = "user.signed_in" if succeeded else "user.sign_in_failed"
    record_event(by=user, action=action, org_id=user.org_id, target_type="user", target_id=user.pk)
