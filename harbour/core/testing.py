"""Test support for row-level security: an ordinary database role to run as (ADR 40).

The test database is created by a superuser, and superusers bypass row-level security; these
helpers switch the connection to a role without that privilege, as production connects.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from harbour.core import tenancy

_CREATE = """
DO $$ BEGIN
  CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$
"""


@contextmanager
def application_role(role: str = "harbour_app_test") -> Iterator[str]:
    """Run the block's queries on Django's connection as `role`, an ordinary role."""
    quoted = connection.ops.quote_name(role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        if cursor.fetchone()[0] == role:  # already (HARBOUR_TEST_DB_ROLE runs every test so)
            yield role
            return
        cursor.execute(_CREATE.format(role=quoted))
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quoted}")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {quoted}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
        cursor.execute(f"SET ROLE {quoted}")
    try:
        yield role
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def set_scope(org: object, scope: str) -> None:
    """Set the connection's organisation and scope as a request or command would (session-wide,
    so that it outlasts the test's transactions)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('harbour.org', %s, false), set_config('harbour.scope', %s, false)",
            [str(org or ""), scope],
        )


def raw_count(table: str) -> int:
    """The rows of `table` this connection sees, by raw SQL (no application filter)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return int(cursor.fetchone()[0])


@contextmanager
def served() -> Iterator[None]:
    """As under the web server: a request, before it knows its user, sees nobody's rows (the
    tests' own default is every row, as a command's)."""
    tenancy.set_process_default(tenancy.NONE)
    set_scope("", tenancy.NONE)
    try:
        yield
    finally:
        tenancy.set_process_default(tenancy.ALL)
        set_scope("", tenancy.ALL)


@pytest.fixture(name="served")
def served_fixture() -> Iterator[None]:
    """The `served` fixture: the test runs as the application role (an ordinary one, as
    production connects) with the web server's starting scope, nobody's rows until a request
    knows its user. A test module takes it by importing `served_fixture`."""
    with application_role(), served():
        yield
