"""Test support for row-level security: an ordinary database role to run as (ADR 40).

The test database is created by a superuser, and superusers bypass row-level security; these
helpers switch the connection to a role without that privilege, as production connects.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

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
