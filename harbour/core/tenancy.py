"""PostgreSQL row-level security: the database as a second guard of tenancy (ADR 40).

The apps' `policy` modules decide what a user may see; these database policies decide what a
connection may see, and let a row of an organisation's table through only when its scope allows:

- `harbour.org` = an organisation id: that organisation's rows (set for each signed-in request);
- `harbour.scope` = `all`: every row, for code that must cross organisations on purpose: the
  sharing choke point after it has decided from live consent, national statistics over
  published tables, commands run by operators. Each such place names its reason (`widened`).
- neither: nothing. A web process starts there, so a query that escaped every application
  filter, or ran before the user was known, returns no other organisation's row.

SQLite has no row-level security: there the application's policy functions are the only guard.
Superusers (and roles with BYPASSRLS) bypass the policies: production connects with an
ordinary role (docs/how-to/deploy.md), and the tests prove the policies by switching to one.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

logger = logging.getLogger(__name__)

POLICY = "harbour_tenant"  # the read policy; writes have POLICY_write, POLICY_insert...
ALL = "all"
NONE = ""
# Besides the owning organisation, explicit grants of the sharing domain let a row through:
# the organisation a referral or a consent is addressed to sees that row, and the receiver of a
# referral sees the referred case and survivor rows. These are coarser than the live rules (a
# declined referral still shows the row): the values stay sealed and are opened only by the
# sharing choke point after it has decided from live consent (ADR 8).
_ME = "nullif(current_setting('harbour.org', true), '')::uuid"
# The same organisation as text, for tables that name it in a text column (an audit chain).
ME_TEXT = "nullif(current_setting('harbour.org', true), '')"
ME = _ME


@dataclass(frozen=True)
class RowSecurity:
    """How the rows of a table that is not a `TenantModel` pass (ADR 40): SQL predicates that
    let a row through besides the scope `all`, one tuple for reading and one for writing. A
    model declares it as `row_security`, so a table's rule is read where the table is."""

    read: tuple[str, ...]
    write: tuple[str, ...]


def _referred_to_me(table: str, column: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM sharing_referral r WHERE r.{column} = {table}.id"  # noqa: S608
        f" AND r.receiving_org_id = {_ME})"
    )


GRANTS = {
    "sharing_referral": (f"receiving_org_id = {_ME}",),
    "sharing_consent": (f"recipient_org_id = {_ME}",),
    "cases_case": (_referred_to_me("cases_case", "case_id"),),
    "cases_survivor": (_referred_to_me("cases_survivor", "survivor_id"),),
}
# Writing is narrower: one's own rows, and the answer to a referral addressed to one. Anything
# else that must write across organisations (a withdrawal by receipt code) widens explicitly.
WRITE_GRANTS = {"sharing_referral": (f"receiving_org_id = {_ME}",)}

# What a new connection of this process may see until a request names its user. Commands set
# ALL (harbour.cli); the web server keeps NONE.
_process_default = NONE


def set_process_default(scope: str) -> None:
    global _process_default
    _process_default = scope


def process_default() -> str:
    return _process_default


def _is_postgres(conn: BaseDatabaseWrapper | None = None) -> bool:
    return (conn or connection).vendor == "postgresql"


def _set(org_id: Any, scope: str, conn: BaseDatabaseWrapper | None = None) -> None:
    conn = conn or connection
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('harbour.org', %s, false), set_config('harbour.scope', %s, false)",
            [str(org_id or ""), scope],
        )


def _current() -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(current_setting('harbour.org', true), ''),"
            " coalesce(current_setting('harbour.scope', true), '')"
        )
        org, scope = cursor.fetchone()
    return org, scope


def on_connection_created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if _is_postgres(connection):
        _set("", _process_default, connection)


def for_user(user: Any) -> None:
    """Scope this connection to the user's organisation (none for a user without one)."""
    if _is_postgres():
        _set(getattr(user, "org_id", None), "org")
        connection.harbour_scoped = True  # type: ignore[attr-defined]


def user_scoping_columns(org_column: str) -> str | None:
    """For a statement that reads a user's row anyway: select items that scope this connection
    to the row's organisation as `for_user` does, in that one round trip instead of a second.
    None where there is no row-level security. Only the row returned sets the scope; the caller
    then calls `scoped_by_statement()`, and resets if it does not accept the user after all."""
    if not _is_postgres():
        return None
    return (
        f"set_config('harbour.org', coalesce({org_column}::text, ''), false),"
        " set_config('harbour.scope', 'org', false)"
    )


def scoped_by_statement() -> None:
    connection.harbour_scoped = True  # type: ignore[attr-defined]  # so that `reset` resets


def reset() -> None:
    """Back to the process default, so a reused connection carries no one's scope."""
    if _is_postgres() and getattr(connection, "harbour_scoped", False):
        _set("", _process_default)
        connection.harbour_scoped = False  # type: ignore[attr-defined]


class Widened:
    """The handle of a `widened` block: `hand_to(user)` ends the widening early by scoping the
    connection to the user, in the one statement the block's end would have spent restoring the
    scope as it was (an API request: widened for its token, then its user's for the rest)."""

    def __init__(self) -> None:
        self.handed = False
        # Whether the block's end restores a narrower scope (it does not when the block was
        # already inside every organisation's rows, nor on SQLite).
        self.restores = False

    def hand_to(self, user: Any) -> None:
        for_user(user)
        self.handed = True

    def handed_by_statement(self) -> None:
        """The statement that read the user also scoped the connection to it
        (`user_scoping_columns`): nothing left to do but not to restore."""
        scoped_by_statement()
        self.handed = True


@contextmanager
def widened(reason: str) -> Iterator[Widened]:
    """Every organisation's rows, for the length of the block; the reason goes to the log."""
    handle = Widened()
    if not _is_postgres():
        yield handle
        return
    org, scope = _widen()
    if scope == ALL:
        yield handle
        return
    logger.info("tenancy widened: %s", reason)
    handle.restores = True
    try:
        yield handle
    finally:
        if not handle.handed:
            _restore(org, scope)


def _widen() -> tuple[str, str]:
    """The scope as it was, and every row from now on, in one round trip (an API request widens
    for its token: this was two, reading then setting). The materialised CTE reads the settings
    before the outer row sets the scope; the organisation is left as it was."""
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH before AS MATERIALIZED (SELECT coalesce(current_setting('harbour.org', true), '')"
            " AS org, coalesce(current_setting('harbour.scope', true), '') AS scope)"
            " SELECT org, scope, set_config('harbour.scope', %s, false) FROM before",
            [ALL],
        )
        org, scope, _all = cursor.fetchone()
    return org, scope


@contextmanager
def as_organisation(org_id: Any, reason: str) -> Iterator[None]:
    """One other organisation's rows (and no third's), for the length of the block: narrower
    than `widened`, for a write that belongs in that organisation's records (an audit event in
    its chain). Nothing changes when the connection already sees them (its own organisation,
    or every organisation). The reason goes to the log."""
    if not _is_postgres():
        yield
        return
    org, scope = _current()
    if scope == ALL or org == str(org_id):
        yield
        return
    logger.info("tenancy as organisation %s: %s", org_id, reason)
    _set(org_id, "org")
    try:
        yield
    finally:
        _restore(org, scope)


def _restore(org: str, scope: str) -> None:
    # After an error the transaction is aborted and refuses every statement; its rollback puts
    # the settings back as they were before the block (they are transactional), so restoring
    # here would only hide the error behind "current transaction is aborted".
    from psycopg import pq

    raw = connection.connection
    if raw is not None and raw.info.transaction_status == pq.TransactionStatus.INERROR:
        return
    _set(org, scope)


# --- installing the policies -------------------------------------------------------------------


def tenant_tables() -> list[str]:
    from harbour.core.models import TenantModel

    return sorted(
        m._meta.db_table
        for m in apps.get_models()
        if issubclass(m, TenantModel) and not m._meta.proxy and m._meta.managed
    )


def secured_tables() -> dict[str, RowSecurity]:
    """Every table under row-level security and its rule: the tenant tables (their org_id and
    the sharing grants) and the tables whose model declares `row_security` (the audit trail)."""
    found = {
        table: RowSecurity(
            read=(f"org_id = {_ME}", *GRANTS.get(table, ())),
            write=(f"org_id = {_ME}", *WRITE_GRANTS.get(table, ())),
        )
        for table in tenant_tables()
    }
    for model in apps.get_models():
        declared = getattr(model, "row_security", None)
        if isinstance(declared, RowSecurity) and model._meta.managed and not model._meta.proxy:
            found[model._meta.db_table] = declared
    return found


def _predicate(allowed: tuple[str, ...]) -> str:
    return " OR ".join(("current_setting('harbour.scope', true) = 'all'", *allowed))


def policy_sql(table: str, rule: RowSecurity | None = None) -> list[str]:
    quoted = connection.ops.quote_name(table)
    rule = rule or secured_tables()[table]
    read, write = _predicate(rule.read), _predicate(rule.write)
    names = [POLICY, f"{POLICY}_insert", f"{POLICY}_update", f"{POLICY}_delete"]
    return [
        f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY",
        *(f"DROP POLICY IF EXISTS {name} ON {quoted}" for name in names),
        f"CREATE POLICY {names[0]} ON {quoted} FOR SELECT USING ({read})",
        f"CREATE POLICY {names[1]} ON {quoted} FOR INSERT WITH CHECK ({write})",
        f"CREATE POLICY {names[2]} ON {quoted} FOR UPDATE USING ({write}) WITH CHECK ({write})",
        f"CREATE POLICY {names[3]} ON {quoted} FOR DELETE USING ({write})",
    ]


def install(**kwargs: Any) -> None:
    """Apply the policy to every organisation table (idempotent; run after each migrate, so a
    new table is covered the day it is created)."""
    if not _is_postgres():
        return
    with connection.cursor() as cursor:
        for table, rule in secured_tables().items():
            for statement in policy_sql(table, rule):
                cursor.execute(statement)
