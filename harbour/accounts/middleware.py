import functools
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db import connection, models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from harbour.core import tenancy

SIGNED_IN_AT = "harbour_signed_in_at"


class TenancyMiddleware:
    """On PostgreSQL, the connection sees only the signed-in user's organisation's rows for
    the length of the request (row-level security, ADR 40), and nothing once it ends."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            tenancy.for_user(user)
        try:
            return self.get_response(request)
        finally:
            tenancy.reset()


# When the session was last written (seconds since the epoch): the idle limit counts from it.
SESSION_WRITTEN_AT = "harbour_session_written_at"


class SessionRefreshMiddleware:
    """The idle limit (SESSION_COOKIE_AGE) runs from the session's last write, so a session in
    use must be re-written. Re-writing it on every request (SESSION_SAVE_EVERY_REQUEST) made
    every page a database write; a request re-writes it only when its last write is at least
    SESSION_REFRESH_SECONDS old. An idle person is therefore signed out between IDLE - REFRESH
    and IDLE after their last request: a little early, never late (ADR 9)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        # An empty session (a visitor, or a cookie whose session has ended) is left unsaved:
        # writing it would make a session for nobody.
        if session is not None and session.keys():
            now = int(time.time())
            if now - int(session.get(SESSION_WRITTEN_AT, 0)) >= settings.SESSION_REFRESH_SECONDS:
                session[SESSION_WRITTEN_AT] = now
        return self.get_response(request)


class SessionLifetimeMiddleware:
    """A session ends HARBOUR_SESSION_MAX_HOURS after sign-in, however active it is (the idle
    limit is the cookie's age). The first request of a session records when it began."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            began = request.session.setdefault(SIGNED_IN_AT, int(time.time()))
            if time.time() - float(began) > settings.SESSION_MAX_HOURS * 3600:
                logout(request)
                messages.info(request, _("Your session reached its maximum length. Sign in again."))
                return redirect(f"{reverse('accounts:login')}?next={request.path}")
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """Someone signed in with a temporary password may only change it (or sign out)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            allowed = {
                reverse("accounts:password_change"),
                reverse("accounts:logout"),
                reverse("web:quick_exit"),
                reverse("set_language"),
            }
            if request.path not in allowed and not request.path.startswith(("/static/", "/api/")):
                return redirect("accounts:password_change")
        return self.get_response(request)


# Set in the session once its user has passed (or just enrolled) a second factor; holds the user's
# id so a session can never carry one person's pass to another account.
SECOND_FACTOR_PASSED = "harbour_second_factor"
_OPEN_BEFORE_SECOND_FACTOR = ("/static/", "/api/", "/accounts/second-factor/")
_OPEN_FOR_ENROLMENT = ("/accounts/security/",)


def second_factor_passed(request: HttpRequest) -> bool:
    passed = request.session.get(SECOND_FACTOR_PASSED) if hasattr(request, "session") else None
    return isinstance(passed, dict) and passed.get("user") == str(request.user.pk)


def mark_second_factor_passed(session: Any, user: Any, kind: str) -> None:
    session[SECOND_FACTOR_PASSED] = {"user": str(user.pk), "kind": kind, "at": int(time.time())}


def second_factor_step(user: Any) -> str | None:
    """What a signed-in session without a passed second factor must do first: "verify" (the
    account has one), "enrol" (its role needs one and it has none) or nothing.

    A caseworker without a second factor whose organisation does not require one asks this on
    every page. The three questions (an authenticator? a passkey? the organisation's policy?)
    are one hand-written statement: the ORM's three queries cost 1.4 ms a page, one ORM query
    with three EXISTS 1.8 ms (compiling it), this 0.2 ms (benchmarks/bench_lists.py). Same
    answers as `has_second_factor` and `second_factor_required` (tested for every case)."""
    from harbour.accounts.policy import SECOND_FACTOR_OPTIONAL_ROLES

    with connection.cursor() as cursor:
        cursor.execute(_step_sql(), [_db(user.pk), _db(user.pk), _db(user.org_id)])
        has_totp, has_passkey, org_requires = cursor.fetchone()
    if has_totp or has_passkey:
        return "verify"
    return "enrol" if user.role not in SECOND_FACTOR_OPTIONAL_ROLES or org_requires else None


@functools.cache
def _step_sql() -> str:  # built once, when the models are loaded
    from harbour.accounts.models import Passkey, SecondFactorPolicy, TotpDevice

    totp, passkey, policy = (m._meta.db_table for m in (TotpDevice, Passkey, SecondFactorPolicy))
    return (
        f"SELECT EXISTS (SELECT 1 FROM {totp} WHERE user_id = %s AND confirmed_at IS NOT NULL),"  # noqa: S608 (table names of our models)
        f" EXISTS (SELECT 1 FROM {passkey} WHERE user_id = %s),"
        f" EXISTS (SELECT 1 FROM {policy} WHERE org_id = %s AND caseworkers_required)"
    )


def _db(value: Any) -> Any:
    """An id as the database stores it (SQLite: 32 hex digits; PostgreSQL: a uuid)."""
    return _UUID.get_db_prep_value(value, connection)


_UUID = models.UUIDField()


class SecondFactorMiddleware:
    """After the password, a person with a second factor passes it before anything else, and a
    person whose role needs one and has none sets it up before anything else (ADR 38). The API
    is not concerned: its tokens are issued only to sessions that passed this step."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or second_factor_passed(request):
            return self.get_response(request)
        if request.path.startswith(_OPEN_BEFORE_SECOND_FACTOR) or request.path in _always_open():
            return self.get_response(request)
        step = second_factor_step(user)
        if step == "verify":
            wanted = urlencode({"next": request.path})
            return redirect(f"{reverse('accounts:second_factor')}?{wanted}")
        if step == "enrol" and not request.path.startswith(_OPEN_FOR_ENROLMENT):
            return redirect("accounts:security")
        return self.get_response(request)


def _always_open() -> set[str]:
    return {reverse("accounts:logout"), reverse("web:quick_exit"), reverse("set_language")}
