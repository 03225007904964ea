"""A hidden location's address under PostgreSQL row-level security (ADR 40, amended
2026-12-06; ADR 44).

The location row is public (anyone learns that the service exists, its province and region);
its address and true position are a `HiddenAddress` row that passes only for the owning
organisation's scope or `all`. A raw query with no organisation, or another organisation's,
returns none; the owner's pages and its own HSDS download still show it; the public HSDS API
and the care map still work, without it; a national curator's import and edit write it as the
owning organisation. Run as an ordinary role: superusers bypass row-level security.
"""

import json

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from harbour.core import tenancy
from harbour.core.testing import (
    application_role,
    served_fixture,  # noqa: F401 - the `served` fixture
    set_scope,
)
from harbour.directory import actions, imports, policy
from harbour.directory import models as m
from harbour.directory.tests.conftest import HIDDEN_STREET

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row-level security is PostgreSQL's"
    ),
]
TABLE = "directory_hiddenaddress"


def _raw_locations() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT location_id::text FROM {TABLE}")  # noqa: S608 - a constant
        return {row[0] for row in cursor.fetchall()}


def test_the_hidden_address_table_is_under_a_forced_policy() -> None:
    assert TABLE in tenancy.secured_tables()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE relname = %s",
            [TABLE],
        )
        assert cursor.fetchone() == (True,)


def test_a_raw_query_sees_a_hidden_address_only_in_its_owners_scope(world, other_org) -> None:
    hidden = str(world.hidden_location.pk)
    assert _raw_locations() == {hidden}  # the row is there
    with application_role():
        set_scope("", tenancy.NONE)
        assert _raw_locations() == set()
        set_scope(other_org.pk, "org")
        assert _raw_locations() == set()
        assert policy.sealed_detail(world.hidden_location) == {}  # nothing to open
        with connection.cursor() as cursor:  # the location itself stays public
            cursor.execute("SELECT confidentiality FROM directory_location WHERE id = %s", [hidden])
            assert cursor.fetchone() == ("hidden",)
        set_scope(world.org.pk, "org")
        assert _raw_locations() == {hidden}
        detail = policy.sealed_detail(world.hidden_location)
        assert detail["addresses"][0]["address_1"] == HIDDEN_STREET


def test_another_organisation_cannot_write_a_hidden_address(world, other_org) -> None:
    hidden = world.hidden_location
    with application_role():
        set_scope(other_org.pk, "org")
        forged = m.HiddenAddress(location=hidden, org_id=world.org.pk, sealed="x")
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            forged.save(force_insert=True)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE} WHERE location_id = %s", [hidden.pk])  # noqa: S608
            assert cursor.rowcount == 0
        set_scope("", tenancy.ALL)
    assert m.HiddenAddress.objects.filter(location=hidden).exists()


def test_the_owner_still_reads_it_and_nobody_else_does(world, supervisor, outsider, served) -> None:
    manage = f"/directory/manage/{world.safe_house.pk}/locations/{world.hidden_location.pk}/"
    service = f"/directory/services/{world.safe_house.pk}/"
    owner = Client()
    owner.force_login(supervisor)
    assert HIDDEN_STREET in owner.get(manage).content.decode()
    assert HIDDEN_STREET in owner.get(service).content.decode()
    assert HIDDEN_STREET in owner.get("/directory/download/json/").content.decode()
    other = Client()
    other.force_login(outsider)
    for client in (other, Client()):
        for url in (service, "/directory/download/json/"):
            answer = client.get(url)
            assert answer.status_code == 200 and HIDDEN_STREET not in answer.content.decode()


def test_the_public_hsds_api_and_the_care_map_still_work(world, served) -> None:
    services = Client().get("/hsds/services?full=true")
    assert services.status_code == 200
    assert "Lighthouse Safe House" in services.content.decode()
    assert HIDDEN_STREET not in services.content.decode()
    sal = Client().get("/hsds/service_at_locations")
    assert sal.status_code == 200 and HIDDEN_STREET not in sal.content.decode()
    care = Client().get("/directory/care-map/?place=Toronto&needs=emergency_shelter")
    assert care.status_code == 200
    assert "Lighthouse Safe House" in care.content.decode()
    assert HIDDEN_STREET not in care.content.decode()


def test_a_national_curator_writes_the_owners_hidden_address(
    world, make_org, make_user, served
) -> None:
    """Imports and edits by a system admin of the national body: the sealed row is the owning
    organisation's, written as that organisation, and the curator still cannot read it."""
    national = make_org(type="national_coordinating_body", short_name="national-dir-rls")
    curator = make_user("system_admin", national)
    hidden = world.hidden_location
    address = {
        "id": "5b0d3a1e-2c4f-4d6e-8a9b-0c1d2e3f4a5b",
        "location_id": str(hidden.pk),
        "address_1": "77 Quiet Crescent",
        "city": "Toronto",
        "state_province": "ON",
        "postal_code": "M4M 1A1",
        "country": "CA",
        "address_type": "physical",
    }
    document = {"services": [], "organizations": [], "taxonomies": [], "addresses": [address]}
    tenancy.for_user(curator)
    try:
        report = imports.import_file(by=curator, data=json.dumps(document).encode())
        assert report.ok, report.problems
        assert policy.sealed_detail(hidden) == {}  # the curator's scope reads nothing
        actions.remove_location(by=curator, service=world.safe_house, location=hidden)
    finally:
        tenancy.reset()
    assert not m.Location.objects.filter(pk=hidden.pk).exists()
    assert not m.HiddenAddress.objects.filter(location_id=hidden.pk).exists()


def test_the_address_sealed_by_the_import_opens_for_the_owner(world, make_org, make_user) -> None:
    """The same import, checked from the owner's side (the row moved, nothing was lost)."""
    national = make_org(type="national_coordinating_body", short_name="national-dir-rls2")
    curator = make_user("system_admin", national)
    hidden = world.hidden_location
    address = {"id": "6c1e4b2f-3d5a-4e7f-9b0c-1d2e3f4a5b6c", "location_id": str(hidden.pk),
               "address_1": "77 Quiet Crescent", "city": "Toronto", "state_province": "ON",
               "postal_code": "M4M 1A1", "country": "CA", "address_type": "physical"}  # fmt: skip
    document = {"services": [], "organizations": [], "taxonomies": [], "addresses": [address]}
    with application_role():
        tenancy.for_user(curator)
        try:
            assert imports.import_file(by=curator, data=json.dumps(document).encode()).ok
        finally:
            tenancy.reset()
        set_scope(world.org.pk, "org")
        streets = {a["address_1"] for a in policy.sealed_detail(hidden)["addresses"]}
        set_scope("", tenancy.ALL)
    assert streets == {HIDDEN_STREET, "77 Quiet Crescent"}


def _replace_hidden(curator, location, org, confidentiality: str):
    """A curator's import of the hidden location's own record (replaced whole), for `org`."""
    place = {
        "id": str(location.pk),
        "location_type": "physical",
        "name": "Lighthouse",
        "confidentiality": confidentiality,
        "latitude": 43.66,
        "longitude": -79.35,
    }
    with application_role():
        tenancy.for_user(curator)
        try:
            return imports.import_file(by=curator, data=json.dumps(place).encode(), org=org)
        finally:
            tenancy.reset()


@pytest.mark.parametrize("confidentiality", ["public", "partners"])
def test_a_curator_making_a_hidden_location_public_leaves_no_address(
    world, make_org, make_user, confidentiality
) -> None:
    """Found in review: the replaced location's sealed row was looked for in the curator's
    scope, which cannot see it, so it stayed behind a location no longer hidden."""
    curator = make_user("system_admin", make_org(type="national_coordinating_body"))
    hidden = world.hidden_location
    assert m.HiddenAddress.objects.filter(location_id=hidden.pk).exists()
    assert _replace_hidden(curator, hidden, world.org, confidentiality).ok
    assert m.Location.objects.get(pk=hidden.pk).confidentiality == confidentiality
    assert not m.HiddenAddress.objects.filter(location_id=hidden.pk).exists()


def test_a_curator_moving_a_hidden_location_to_another_organisation(
    world, make_org, make_user, other_org
) -> None:
    """The old owner's sealed row goes (as the old owner); the new one's is written as the new
    owner, instead of a second row refused by the one-to-one key (a 500 before)."""
    curator = make_user("system_admin", make_org(type="national_coordinating_body"))
    hidden = world.hidden_location
    assert _replace_hidden(curator, hidden, other_org, "hidden").ok
    rows = list(m.HiddenAddress.objects.filter(location_id=hidden.pk))
    assert [row.org_id for row in rows] == [other_org.pk]
    with application_role():  # sealed with the new owner's key, opened in its scope alone
        set_scope(other_org.pk, "org")
        opened = policy.sealed_detail(hidden)
        set_scope(world.org.pk, "org")
        assert policy.sealed_detail(hidden) == {}
        set_scope("", tenancy.ALL)
    assert (opened["latitude"], opened["longitude"]) == (43.66, -79.35)
