"""A hidden location's sealed row (ADR 40, 44): moved out of the location by a migration that
re-seals it, and kept by key rotation like every sealed record."""

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from harbour.audit.actions import SystemActor
from harbour.core import tenancy
from harbour.core.testing import raw_count, set_scope
from harbour.directory import models as m
from harbour.directory import policy
from harbour.directory.tests.conftest import HIDDEN_STREET
from harbour.orgs import actions as org_actions
from harbour.orgs import crypto

ACTOR = SystemActor("tests")
BEFORE = [("directory", "0006_external_links")]
AFTER = [("directory", "0007_hidden_address")]


@pytest.mark.django_db
def test_key_rotation_reseals_the_hidden_address_and_retires_the_old_key(world, org) -> None:
    """`orgs.actions.sealed_models` finds the table by its `sealed` and `org`: were it missed,
    retiring the old key would lose every hidden address without an error."""
    row = m.HiddenAddress.objects.get(location=world.hidden_location)
    assert crypto.sealed_version(row.sealed) == 1
    org_actions.start_data_key_rotation(by=ACTOR, org=org)
    assert org_actions.reseal_records(by=ACTOR, org=org) >= 1
    row.refresh_from_db()
    assert crypto.sealed_version(row.sealed) == 2
    assert org_actions.retire_old_data_keys(by=ACTOR, org=org) == 1
    detail = policy.sealed_detail(world.hidden_location)
    assert detail["addresses"][0]["address_1"] == HIDDEN_STREET


OWNER_ONLY = pytest.mark.skipif(
    bool(os.environ.get("HARBOUR_TEST_DB_ROLE")), reason="migrating needs the tables' owner"
)
PAYLOAD = {"addresses": [{"address_1": HIDDEN_STREET}], "latitude": 43.7, "longitude": -79.4}


@pytest.fixture
def at_0006() -> Iterator[None]:
    """The directory migrated back to 0006; put back to the latest at the end, with the
    row-level security policies that `harbour migrate` installs after migrating (a table made
    again by a migration has none, and later tests of this process would read it unguarded)."""
    _migrate(BEFORE)
    yield
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    tenancy.install()


def _migrate(target: list[tuple[str, str]]) -> Any:
    """Migrate to `target`; the models of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return MigrationExecutor(connection).loader.project_state(target).apps


def _old_locations(org: Any) -> tuple[Any, Any]:
    """Before 0007: a hidden location with its address sealed in the location row (bound to
    it), and a public one with nothing sealed."""
    Location = _migrate(BEFORE).get_model("directory", "Location")
    hidden = Location.objects.create(
        org_id=org.pk, name="Old safe house", confidentiality="hidden", province="CA-ON"
    )
    token = crypto.seal(org.pk, PAYLOAD, aad=f"directory.location:{hidden.pk}")
    Location.objects.filter(pk=hidden.pk).update(sealed=token)
    public = Location.objects.create(
        org_id=org.pk, name="Drop-in", confidentiality="public", province="CA-ON"
    )
    return hidden, public


@OWNER_ONLY
@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_an_address_sealed_in_the_location_and_it_still_opens(
    at_0006, org
) -> None:
    hidden, public = _old_locations(org)
    _migrate(AFTER)
    moved = m.HiddenAddress.objects.get()
    assert moved.location_id == hidden.pk and moved.org_id == org.pk
    # Sealed again, bound to its new row: a copied token would not open as the new row's, and
    # the new one does not open as the location's (a row's ciphertext moved to another row
    # must not open there).
    opened = crypto.open_sealed(org.pk, moved.sealed, aad=f"directory.hiddenaddress:{moved.pk}")
    assert opened == PAYLOAD
    with pytest.raises(crypto.KeyError_):
        crypto.open_sealed(org.pk, moved.sealed, aad=f"directory.location:{hidden.pk}")
    assert policy.sealed_detail(m.Location.objects.get(pk=hidden.pk)) == PAYLOAD
    assert policy.sealed_detail(m.Location.objects.get(pk=public.pk)) == {}


@OWNER_ONLY
@pytest.mark.django_db(transaction=True)
def test_moving_back_seals_the_address_in_the_location_again_and_drops_the_table(
    at_0006, org
) -> None:
    """0007 is reversible: its reverse opens each hidden address as its row's and seals it in
    its location again, bound to the location, before the table is dropped."""
    hidden, public = _old_locations(org)
    _migrate(AFTER)
    moved = m.HiddenAddress.objects.get().sealed
    Location = _migrate(BEFORE).get_model("directory", "Location")
    assert m.HiddenAddress._meta.db_table not in connection.introspection.table_names()
    back = Location.objects.get(pk=hidden.pk).sealed
    assert back and back != moved
    assert crypto.open_sealed(org.pk, back, aad=f"directory.location:{hidden.pk}") == PAYLOAD
    assert Location.objects.get(pk=public.pk).sealed == ""


MIGRATOR = "harbour_migrator_test"
OWNED = ("directory_location", "directory_hiddenaddress")


@pytest.fixture
def ordinary_owner() -> Iterator[None]:
    """After the test's own steps as the superuser: the directory's tables owned by an ordinary
    role (no superuser, no BYPASSRLS), as a deployment's migrations may run; owned back after.
    Row-level security is forced on the owner too, so that role sees no hidden address without
    a scope."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        superuser = connection.ops.quote_name(cursor.fetchone()[0])
        cursor.execute(
            "DO $$ BEGIN CREATE ROLE harbour_migrator_test NOLOGIN NOSUPERUSER NOBYPASSRLS; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
        cursor.execute(f"GRANT USAGE, CREATE ON SCHEMA public TO {MIGRATOR}")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {MIGRATOR}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {MIGRATOR}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
        existing = set(connection.introspection.table_names(cursor))
        for table in OWNED:
            if table in existing:
                cursor.execute(f"ALTER TABLE {table} OWNER TO {superuser}")


@OWNER_ONLY
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-level security is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_moving_back_as_an_ordinary_owner_without_a_scope_keeps_every_address(
    at_0006, org, ordinary_owner
) -> None:
    """Found in review (75d21cf): run by an ordinary role without `harbour migrate`'s scope,
    the reverse saw no hidden address under row-level security and dropped the table unread.
    The migration now gives itself every organisation's rows."""
    hidden, _public = _old_locations(org)
    _migrate(AFTER)
    tenancy.install()  # the hidden address table under its forced policy, as after `migrate`
    with connection.cursor() as cursor:
        for table in OWNED:
            cursor.execute(f"ALTER TABLE {table} OWNER TO {MIGRATOR}")
        cursor.execute(f"SET ROLE {MIGRATOR}")
    set_scope("", tenancy.NONE)
    assert raw_count("directory_hiddenaddress") == 0  # what the reverse would have read
    Location = _migrate(BEFORE).get_model("directory", "Location")
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    set_scope("", tenancy.ALL)
    back = Location.objects.get(pk=hidden.pk).sealed
    assert crypto.open_sealed(org.pk, back, aad=f"directory.location:{hidden.pk}") == PAYLOAD
