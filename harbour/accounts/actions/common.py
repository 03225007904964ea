"""What the account actions share: their audit event, password rules, and revoking credentials."""

import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from harbour.accounts.models import ApiToken, User
from harbour.audit.actions import Actor, record_event
from harbour.core import tenancy
from harbour.core.errors import InvalidInput


def staff_event(
    by: Actor, action: str, user: User, fields: Iterable[str] = (), **context: Any
) -> None:
    record_event(
        by=by,
        action=action,
        org_id=user.org_id,
        target_type="user",
        target_id=user.pk,
        fields=list(fields),
        context=context or None,
    )


def check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput({"password": list(exc.messages)}) from None


def revoke_credentials(user: User) -> int:
    """End every session of the account (a new security stamp) and revoke its live API tokens.

    Called inside the action that changes the credentials or the role, so both happen or
    neither. Returns how many tokens were revoked (for the audit event).
    """
    user.security_stamp = secrets.token_hex(16)
    user.save(update_fields=["security_stamp", "updated_at"])
    # A system admin, or a reset link opened before anyone is signed in, acts on another
    # organisation's member: the tokens are that organisation's rows (ADR 40).
    with tenancy.as_organisation(user.org_id, "accounts: credentials revoked"):
        live = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
        return live.update(revoked_at=timezone.now())
