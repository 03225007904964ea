"""A person's own credentials: their password, their language, their API tokens."""

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from harbour.accounts.actions.common import check_password, revoke_credentials, staff_event
from harbour.accounts.models import ApiToken, User
from harbour.accounts.policy import Perm, can
from harbour.audit.actions import record_event
from harbour.core.errors import Forbidden, InvalidInput, NotFound


@transaction.atomic
def change_own_password(*, by: User, old_password: str, new_password: str) -> None:
    """A new password ends the account's other sessions and revokes its API tokens: whoever
    knew the old one (or took a token) is out. The caller keeps its own session
    (update_session_auth_hash in the view)."""
    if not by.check_password(old_password):
        raise InvalidInput({"old_password": [_("Your current password is not correct.")]})
    if old_password == new_password:
        raise InvalidInput({"new_password": [_("Choose a password you have not used here.")]})
    check_password(new_password, by)
    by.set_password(new_password)
    by.must_change_password = False
    by.save()
    revoked = revoke_credentials(by)
    staff_event(by, "user.password_changed", by, ["password"], tokens_revoked=revoked)


@transaction.atomic
def set_language(*, by: User, language: str) -> None:
    if language not in {"en", "fr"} or by.preferred_language == language:
        return
    by.preferred_language = language
    by.save(update_fields=["preferred_language", "updated_at"])
    staff_event(by, "user.language_changed", by, ["preferred_language"])


@transaction.atomic
def issue_token(*, by: User, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Create a token; the plain value is returned once and never stored."""
    if not can(by, Perm.API_USE):
        raise Forbidden(_("Your role does not use the API."))
    if by.must_change_password:
        raise Forbidden(_("Choose a new password before you create API tokens."))
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
