"""A hidden location's sealed row (ADR 40, 44): moved out of the location by a migration that
re-seals it, and kept by key rotation like every sealed record."""

import os

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from harbour.audit.actions import SystemActor
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


@pytest.mark.skipif(
    bool(os.environ.get("HARBOUR_TEST_DB_ROLE")), reason="migrating needs the tables' owner"
)
@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_an_address_sealed_in_the_location_and_it_still_opens(org) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    location = old.get_model("directory", "Location").objects.create(
        org_id=org.pk, name="Old safe house", confidentiality="hidden", province="CA-ON"
    )
    payload = {"addresses": [{"address_1": HIDDEN_STREET}], "latitude": 43.7, "longitude": -79.4}
    token = crypto.seal(org.pk, payload, aad=f"directory.location:{location.pk}")
    type(location).objects.filter(pk=location.pk).update(sealed=token)
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    moved = m.HiddenAddress.objects.get(location_id=location.pk)
    assert moved.org_id == org.pk and moved.sealed != token  # bound to its new row
    assert policy.sealed_detail(m.Location.objects.get(pk=location.pk)) == payload
