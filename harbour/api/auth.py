"""Bearer-token authentication for the API."""

import datetime as dt
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import OperationalError, connection, connections, router, transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from harbour.accounts.middleware import model_from_row
from harbour.accounts.models import ApiToken, User
from harbour.accounts.policy import Perm, can
from harbour.core import tenancy

# Recording every use would turn each read into a write; once a minute is enough to see activity.
_TOUCH_EVERY = dt.timedelta(minutes=1)
# How long, on SQLite, the touch may wait for the database's one write lock (milliseconds):
# enough to pass another request's short write, far below the 20 s every other write waits.
_TOUCH_WAIT_MS = 50


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if not token or len(token) > 200:
            return None
        # Nobody is known yet, so the request is unscoped: holding the token is the grant, and
        # the lookup widens for its one row (ADR 40). Everything after runs as its user's org:
        # the widening ends by scoping to the user (the middleware resets it when the request
        # ends), or, when the token is refused, by restoring the scope as it was.
        with tenancy.widened("api: bearer token looked up by its digest") as widening:
            # On PostgreSQL the statement that finds the token also scopes the connection to
            # its user's organisation (narrower than the widening, for the one row it returns);
            # refused, the block's end restores the scope. Inside a wider block (which this
            # one would not restore) it is scoped only once the user is accepted.
            scoping = tenancy.user_scoping_columns("u.org_id") if widening.restores else None
            found = _live_token(ApiToken.digest_of(token), scoping)
            # The role is read now, not when the token was issued; an account that must choose
            # a new password first (an administrator's reset) cannot use the API either, nor a
            # deactivated one (whose tokens are also revoked when it is deactivated).
            if found is None or not _may_use(found.user):
                return None
            if scoping:
                widening.handed_by_statement()
            else:
                widening.hand_to(found.user)
        _touch(found)
        request.user = found.user
        return found.user


def _may_use(user: User) -> bool:
    return user.is_active and not user.must_change_password and can(user, Perm.API_USE)


def _live_token(digest: str, scoping: str | None) -> ApiToken | None:
    """The token with this digest, neither revoked nor expired, with its user and the user's
    organisation: `select_related("user", "user__org")` as one statement written once (the
    ORM built it anew on every API request: 0.7 ms of CPU of each)."""
    sql, models_ = _token_sql(scoping)
    db = router.db_for_read(ApiToken)
    conn = connections[db]
    with conn.cursor() as cursor:
        cursor.execute(sql, [digest, conn.ops.adapt_datetimefield_value(timezone.now())])
        row = cursor.fetchone()
    if row is None:
        return None
    loaded, at = [], 0
    for model, width in models_:
        loaded.append(model_from_row(model, db, row[at : at + width]))
        at += width
    found, user, org = loaded
    user.org = org
    found.user = user
    return found


@functools.cache
def _token_sql(scoping: str | None) -> tuple[str, list[tuple[Any, int]]]:
    from harbour.orgs.models import Organisation

    quote = connection.ops.quote_name
    parts = [(ApiToken, "t"), (User, "u"), (Organisation, "o")]
    columns = ", ".join(
        f"{alias}.{quote(str(f.column))}"
        for model, alias in parts
        for f in model._meta.concrete_fields
    )
    if scoping:
        columns = f"{columns}, {scoping}"  # after the models' columns: the row ignores them
    tables = [model._meta.db_table for model, _alias in parts]
    sql = (
        f"SELECT {columns} FROM {tables[0]} t"  # noqa: S608 (our models' tables and columns)
        f" JOIN {tables[1]} u ON u.id = t.user_id JOIN {tables[2]} o ON o.id = u.org_id"
        " WHERE t.digest = %s AND t.revoked_at IS NULL AND t.expires_at > %s"
    )
    return sql, [(model, len(model._meta.concrete_fields)) for model, _alias in parts]


def _touch(token: ApiToken) -> None:
    """Note the token's use, at most every `_TOUCH_EVERY`, without ever failing the request.

    On SQLite an import holds the one write lock for its whole transaction (minutes, ADR 45):
    an UPDATE here would wait 20 s for it and then fail, turning an API read into an error. The
    touch is only a hint of activity, so there it gets its own transaction (a savepoint inside
    a caller's), a short busy timeout, and gives up on "database is locked": `last_used_at`
    stays as it was and the next request after the lock is free records the use. PostgreSQL
    locks rows, and an import never locks API tokens, so there the UPDATE stays as it is.
    """
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at <= _TOUCH_EVERY:
        return
    if connection.vendor != "sqlite":
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return
    try:
        with _sqlite_busy_timeout(_TOUCH_WAIT_MS), transaction.atomic():
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    except OperationalError as exc:
        if "database is locked" not in str(exc):
            raise  # a broken database is not a busy one: that error must be seen


@contextmanager
def _sqlite_busy_timeout(milliseconds: int) -> Iterator[None]:
    """The connection's busy timeout, lowered for the block only: everything else the request
    (or an import on the same connection) writes keeps the configured wait."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        (configured,) = cursor.fetchone()
        cursor.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(configured)}")


def current_user(request: Any) -> User:
    user: User = request.auth
    return user
