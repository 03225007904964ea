import functools
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthentication
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends import db as db_sessions
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import connection, connections, models, router
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from harbour.core import tenancy

SIGNED_IN_AT = "harbour_signed_in_at"
# The API authenticates by bearer token only (harbour.api.auth): its requests never read the
# session or its user, even when a browser sends the session cookie along.
API_PREFIX = "/api/"


class TenancyMiddleware:
    """On PostgreSQL, the connection sees only the signed-in user's organisation's rows for
    the length of the request (row-level security, ADR 40), and nothing once it ends."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Whatever ended the last request on this connection, it starts in nobody's scope (no
        # statement unless a scope is still marked as set).
        tenancy.reset()
        try:
            # Inside the `try`: the user's read sets the scope before the session is verified,
            # and a verification that raises (a session flushed, a key cycled) must reset it.
            self._scope(request)
            return self.get_response(request)
        finally:
            tenancy.reset()

    def _scope(self, request: HttpRequest) -> None:
        if request.path_info.startswith(API_PREFIX):
            # Nobody until the token names its user (and scopes the connection to it).
            request.user = AnonymousUser()
        elif hasattr(request, "session") and not hasattr(request, "_cached_user"):
            # The session's user is read here, first, with the scope set by the same statement.
            request._cached_user = session_user(request, scope=True)  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not getattr(request, _SCOPED, False):
            tenancy.for_user(user)


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
        if request.path_info.startswith(API_PREFIX):
            session = None  # the API does not use the session: reading it would be a query
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
            allowed = _paths(
                ("accounts:password_change", "accounts:logout", "web:quick_exit", "set_language")
            )
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


def _always_open() -> frozenset[str]:
    return _paths(("accounts:logout", "web:quick_exit", "set_language"))


def _paths(names: tuple[str, ...]) -> frozenset[str]:
    # Reversed once per URLconf and script prefix, not three times a page (0.4 ms of CPU).
    return _reversed(names, get_urlconf(), get_script_prefix())


@functools.lru_cache(maxsize=64)
def _reversed(names: tuple[str, ...], urlconf: str | None, prefix: str) -> frozenset[str]:
    return frozenset(reverse(name, urlconf=urlconf) for name in names)


# --- the session and its user, read once a request each in one prepared statement --------------
# Every request of a signed-in person reads its session and its user. Through the ORM those two
# reads cost 1.4 ms of CPU (building the queries, not running them); written once as SQL, 0.26 ms
# (benchmarks/README.md, "What every request pays"). They are still read at every request: a
# session ended (signed out, expired) or a user deactivated or re-keyed (security stamp) stops
# working at its next request.


class SessionStore(db_sessions.SessionStore):
    """Django's database sessions, the row read by a statement written once. Named as Django's
    class is: the name is in the salt of the sessions' signatures (`key_salt`), so sessions
    written by either can be read by the other."""

    def _get_session_from_db(self) -> Any:
        model = self.model
        key = self.session_key  # None unless a well-formed key (SessionBase checks it)
        if key is None:
            return None
        conn = connections[router.db_for_read(model)]
        with conn.cursor() as cursor:
            cursor.execute(
                _session_sql(), [key, conn.ops.adapt_datetimefield_value(timezone.now())]
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django's: ended or unknown, a new key if saved
            return None
        return model(session_key=key, session_data=row[0], expire_date=row[1])


@functools.cache
def _session_sql() -> str:
    from django.contrib.sessions.models import Session

    return (
        f"SELECT session_data, expire_date FROM {Session._meta.db_table}"  # noqa: S608 (our table)
        " WHERE session_key = %s AND expire_date > %s"
    )


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, with the database store above when the database holds the sessions (the file
    store, on SQLite, is unchanged)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response)
        if self.SessionStore is db_sessions.SessionStore:
            self.SessionStore = SessionStore


class AuthenticationMiddleware(DjangoAuthentication):
    """Django's, with the session's user read by `session_user`."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _cached_user(request))  # type: ignore[assignment]


def _cached_user(request: Any) -> Any:
    if not hasattr(request, "_cached_user"):
        request._cached_user = session_user(request)
    return request._cached_user


_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
# Set on a request whose connection the user's read also scoped to the user's organisation.
_SCOPED = "_harbour_scoped_with_user"


def session_user(request: Any, *, scope: bool = False) -> Any:
    """`django.contrib.auth.get_user` (Django 6.1), line for line, except that the default
    backend's user (`ModelBackend.get_user`: the row by its key, if active) is read by
    `_active_user`. Another backend is asked as Django asks it.

    `scope`: the same statement scopes the connection to the user's organisation (row-level
    security, ADR 40), kept only if the session is then verified; otherwise reset at once."""
    user: Any = None
    scoped = False
    try:
        user_id = auth._get_user_session_key(request)  # type: ignore[attr-defined]
        backend_path = request.session[auth.BACKEND_SESSION_KEY]
    except KeyError:
        pass
    else:
        if backend_path in settings.AUTHENTICATION_BACKENDS:
            if backend_path == _MODEL_BACKEND:
                user, scoped = _active_user(user_id, scope=scope)
            else:
                user = auth.load_backend(backend_path).get_user(user_id)
            # Verify the session
            if hasattr(user, "get_session_auth_hash"):
                session_hash = request.session.get(auth.HASH_SESSION_KEY)
                if not session_hash:
                    session_hash_verified = False
                else:
                    session_auth_hash = user.get_session_auth_hash()
                    session_hash_verified = constant_time_compare(session_hash, session_auth_hash)
                if not session_hash_verified:
                    # The current secret does not verify the session: a fallback secret may.
                    if session_hash and any(
                        constant_time_compare(session_hash, fallback_auth_hash)
                        for fallback_auth_hash in user.get_session_auth_fallback_hash()
                    ):
                        request.session.cycle_key()
                        request.session[auth.HASH_SESSION_KEY] = session_auth_hash
                    else:
                        request.session.flush()
                        user = None
    if scoped:
        if user is None:
            tenancy.reset()  # not this session's user after all: nobody's scope
        else:
            setattr(request, _SCOPED, True)
    return user or AnonymousUser()


def _active_user(user_id: Any, *, scope: bool) -> tuple[Any, bool]:
    """What `ModelBackend.get_user` answers: the user with this key if active, else None; and
    whether the statement also scoped the connection to the user's organisation."""
    from harbour.accounts.models import User

    scoping = tenancy.user_scoping_columns("org_id") if scope else None
    db = router.db_for_read(User)
    with connections[db].cursor() as cursor:
        cursor.execute(_user_sql(scoping), [_UUID.get_db_prep_value(user_id, connections[db])])
        row = cursor.fetchone()
    if row is None:
        return None, False
    if scoping:
        tenancy.scoped_by_statement()
        row = row[:-2]
    user = model_from_row(User, db, row)
    return (user if user.is_active else None), bool(scoping)


def model_from_row(model: Any, db: str, row: Any) -> Any:
    """The instance the ORM would make of a row of all of `model`'s concrete fields, in order:
    the database's values converted as the ORM converts them (SQLite's uuids and dates)."""
    values = list(row)
    conn = connections[db]
    for at, column, converters in _converters(model, conn.vendor, db):
        value = values[at]
        for convert in converters:
            value = convert(value, column, conn)
        values[at] = value
    return model.from_db(db, _names(model), values)


@functools.cache
def _names(model: Any) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


@functools.cache
def _converters(model: Any, vendor: str, db: str) -> list[tuple[int, Any, list[Any]]]:
    conn = connections[db]
    found = []
    for at, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(model._meta.db_table)
        converters = conn.ops.get_db_converters(column) + column.get_db_converters(conn)
        if converters:
            found.append((at, column, converters))
    return found


@functools.cache
def _user_sql(scoping: str | None) -> str:
    from harbour.accounts.models import User

    fields = User._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    if scoping:
        columns = f"{columns}, {scoping}"
    # Only an active user's row comes back, so only an active user's read sets a scope.
    table = User._meta.db_table
    return f"SELECT {columns} FROM {table} WHERE id = %s AND is_active"  # noqa: S608 (ours)
