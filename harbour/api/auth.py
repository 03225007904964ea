"""Bearer-token authentication for the API."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from harbour.accounts.models import ApiToken, User
from harbour.accounts.policy import Perm, can
from harbour.core import tenancy

# Recording every use would turn each read into a write; once a minute is enough to see activity.
_TOUCH_EVERY = dt.timedelta(minutes=1)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if not token or len(token) > 200:
            return None
        found = (
            ApiToken.objects.select_related("user", "user__org")
            .filter(
                digest=ApiToken.digest_of(token),
                revoked_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .first()
        )
        # The role is read now, not when the token was issued; an account that must choose a new
        # password first (an administrator's reset) cannot use the API either.
        if found is None or not can(found.user, Perm.API_USE) or found.user.must_change_password:
            return None
        _touch(found)
        request.user = found.user
        tenancy.for_user(found.user)  # the middleware resets it when the request ends
        return found.user


def _touch(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


def current_user(request: Any) -> User:
    user: User = request.auth
    return user
