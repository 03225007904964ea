"""External references (docs/adr/0043): a reference to a record neither in the file nor in
Harbour is kept as it came, exported back unchanged, shown on the pages as "not in this
directory", and linked once its target arrives."""

import json
import uuid

import pytest
from django.test import Client

from harbour.directory import actions, export, imports, policy
from harbour.directory import models as m
from harbour.directory.tests.conftest import SYSTEM
from harbour.directory.tests.test_hsds_examples import EXAMPLES

pytestmark = pytest.mark.django_db
ORG = (EXAMPLES / "organization_full.json").read_bytes()
ORG_ID = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
SERVICE = "ac148810-d857-441c-9679-408f346de14b"  # in organization_full.json
PARENT = "cd09a387-91f4-4555-94ec-e799c35344cd"  # its organisation's parent, not in the file


def test_the_service_page_shows_an_external_reference_as_not_in_this_directory(
    world, make_user, client_for
) -> None:
    assert imports.import_file(by=SYSTEM, data=ORG).ok
    client = client_for(make_user("caseworker", world.org))
    page = client.get(f"/directory/services/{SERVICE}/").content.decode()
    assert "Parent organisation" in page and PARENT in page and "not in this directory" in page
    client.cookies["django_language"] = "fr"
    page = client.get(f"/directory/services/{SERVICE}/").content.decode()
    assert "Organisme parent" in page and "pas dans ce répertoire" in page


def _parent_document(**values: str) -> bytes:
    return json.dumps({"id": PARENT, "name": "Parent network", **values}).encode()


def test_an_external_parent_organisation_is_linked_when_a_later_import_brings_it(
    world, make_user, client_for
) -> None:
    assert imports.import_file(by=SYSTEM, data=ORG).ok
    child = m.Provider.objects.get(pk=ORG_ID)
    assert child.parent_organization_id is None and child.extra["parent_organization_id"] == PARENT
    before = _exported(ORG_ID)
    report = imports.import_file(
        by=SYSTEM, data=_parent_document(legal_status="Charity", description="A network.")
    )
    assert report.ok and report.externals == []
    child.refresh_from_db()
    assert str(child.parent_organization_id) == PARENT
    assert "parent_organization_id" not in child.extra
    assert _exported(ORG_ID) == before  # the same id, now a link
    page = client_for(make_user("caseworker", world.org)).get(f"/directory/services/{SERVICE}/")
    assert "not in this directory" not in page.content.decode()
    # the file that brought the child is now "unchanged": its reference is simply resolved
    assert imports.import_file(by=SYSTEM, data=ORG).unchanged


def test_an_organisation_created_in_harbour_with_the_id_is_linked_too() -> None:
    assert imports.import_file(by=SYSTEM, data=ORG).ok
    actions.create_provider(by=SYSTEM, name="Parent network", id=uuid.UUID(PARENT))
    assert str(m.Provider.objects.get(pk=ORG_ID).parent_organization_id) == PARENT


def _exported(provider_id: str) -> dict:
    bundle = export.bundle_for(policy.system_audience(), with_taxonomies=False)
    return next(r for r in bundle["organization"] if r["id"] == provider_id)


ALONE = "5a3c9e1e-57f3-4f0b-9a59-6b0f1e0c2a11"  # a service whose organisation is elsewhere
X = "0f6d2f55-7a4e-4d0a-8b76-3c1c5e6f9a01"


def _service_only() -> bytes:
    return json.dumps(
        {"id": ALONE, "name": "Drop-in legal clinic", "status": "active", "organization_id": X}
    ).encode()


def _org_x() -> bytes:
    return json.dumps(
        {"id": X, "name": "Riverside Legal Aid", "description": "Legal aid.", "legal_status": "NPO"}
    ).encode()


def test_a_service_whose_organisation_is_elsewhere_is_kept_then_linked_when_it_arrives(
    world, make_user, client_for
) -> None:
    report = imports.import_file(by=SYSTEM, data=_service_only())
    assert report.ok and report.externals == [(f"service {ALONE}.organization_id", X)]
    service = m.Service.objects.get(pk=ALONE)
    assert service.provider_id is None and service.extra["organization_id"] == X
    before = _exported_service(ALONE)
    assert before["organization_id"] == X  # given back unchanged
    client = client_for(make_user("caseworker", world.org))
    page = client.get(f"/directory/services/{ALONE}/").content.decode()
    assert "Organisation not in this directory" in page and X in page
    nested = export.json_document(_whole())["services"]
    assert imports.validator("service", True).is_valid(next(s for s in nested if s["id"] == ALONE))

    assert imports.import_file(by=SYSTEM, data=_org_x()).ok
    service.refresh_from_db()
    assert str(service.provider_id) == X and "organization_id" not in service.extra
    assert _exported_service(ALONE) == before
    page = client.get(f"/directory/services/{ALONE}/").content.decode()
    assert "Riverside Legal Aid" in page and "not in this directory" not in page
    assert m.SearchEntry.objects.filter(service_id=ALONE, text__contains="riverside").exists()
    assert imports.import_file(by=SYSTEM, data=_service_only()).unchanged


def _whole() -> dict:
    return export.bundle_for(policy.system_audience(), with_taxonomies=False)


def _exported_service(service_id: str) -> dict:
    return next(r for r in _whole()["service"] if r["id"] == service_id)


TERM = "7b1d3c0e-2f4a-4c55-9e1b-0a6f7d8e9c12"  # a term of a taxonomy Harbour does not hold


def test_an_attribute_whose_term_is_elsewhere_is_kept_then_linked() -> None:
    attribute = {"id": "c4a1e2b3-0d5f-4e6a-8b7c-9d0e1f2a3b4c", "taxonomy_term_id": TERM}
    document = {**json.loads(_service_only()), "attributes": [{**attribute, "value": "yes"}]}
    report = imports.import_file(by=SYSTEM, data=json.dumps(document).encode())
    assert report.ok and (f"attribute {attribute['id']}.taxonomy_term_id", TERM) in report.externals
    stored = m.Attribute.objects.get(pk=attribute["id"])
    assert stored.term_id is None and stored.extra["taxonomy_term_id"] == TERM
    assert (
        next(a for a in _whole()["attribute"] if a["id"] == attribute["id"])["taxonomy_term_id"]
        == TERM
    )
    term = {
        "id": TERM,
        "code": "LH",
        "name": "Legal help",
        "description": "Law.",
        "term_uri": "https://example.org/lh",
    }
    assert imports.import_file(by=SYSTEM, data=json.dumps(term).encode()).ok
    stored.refresh_from_db()
    assert str(stored.term_id) == TERM and "taxonomy_term_id" not in stored.extra


PLACE = "3e9b7a61-4c2d-4f8e-a1b0-5d6c7e8f9a02"  # a location another publisher holds
ADDRESS = {
    "id": "8d2f4b6a-1c3e-4a5b-9c7d-0e1f2a3b4c5d",
    "location_id": PLACE,
    "address_1": "12 Water Street",
    "city": "Halifax",
    "state_province": "NS",
    "postal_code": "B3H 1A1",
    "country": "CA",
    "address_type": "physical",
}


def test_a_child_of_a_location_elsewhere_is_kept_apart_then_moves_in_when_it_arrives(
    world, make_user
) -> None:
    document = {"services": [], "organizations": [], "taxonomies": [], "addresses": [ADDRESS]}
    report = imports.import_file(by=SYSTEM, data=json.dumps(document).encode())
    assert report.ok and report.externals == [(f"address {ADDRESS['id']}.location_id", PLACE)]
    assert not m.Address.objects.filter(pk=ADDRESS["id"]).exists()
    assert m.ExtraRecord.objects.get(pk=ADDRESS["id"]).table == "address"
    assert [a for a in _whole()["address"] if a["id"] == ADDRESS["id"]] == [ADDRESS]
    # nobody knows yet how confidential its location is: only the operator's export has it,
    # not the public, nor any signed-in user of any organisation
    for user in (None, make_user("caseworker", world.org)):
        shown = export.bundle_for(policy.audience_of(user), with_taxonomies=False)
        assert ADDRESS["id"] not in {a["id"] for a in shown["address"]}
    assert imports.import_file(by=SYSTEM, data=json.dumps(document).encode()).unchanged

    place = {"id": PLACE, "location_type": "physical", "name": "Harbour front", "latitude": 44.6}
    assert imports.import_file(
        by=SYSTEM, data=json.dumps({**place, "longitude": -63.6}).encode()
    ).ok
    assert str(m.Address.objects.get(pk=ADDRESS["id"]).location_id) == PLACE
    assert not m.ExtraRecord.objects.filter(pk=ADDRESS["id"]).exists()
    assert [a for a in _whole()["address"] if a["id"] == ADDRESS["id"]] == [ADDRESS]


def test_a_service_at_a_stored_location_whose_service_is_elsewhere_goes_with_the_location(
    world,
) -> None:
    at = {"id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "service_id": ALONE}
    location = str(world.partner_location.pk)
    document = {
        "services": [],
        "organizations": [],
        "taxonomies": [],
        "service_at_locations": [{**at, "location_id": location}],
    }
    report = imports.import_file(by=SYSTEM, data=json.dumps(document).encode())
    assert report.ok and report.externals == [(f"service_at_location {at['id']}.service_id", ALONE)]
    kept = m.ExtraRecord.objects.get(pk=at["id"])
    assert str(kept.parent_id) == location  # exported where the policy lets the location go
    public = export.bundle_for(policy.audience_of(None), with_taxonomies=False)
    assert at["id"] not in {r["id"] for r in public.get("service_at_location", [])}
    assert imports.import_file(by=SYSTEM, data=_service_only()).ok
    assert m.ServiceAtLocation.objects.filter(pk=at["id"], service_id=ALONE).exists()
    assert m.SearchEntry.objects.filter(
        service_id=ALONE, service_at_location_id=uuid.UUID(at["id"])
    ).exists()


def _import_address() -> None:
    document = {"services": [], "organizations": [], "taxonomies": [], "addresses": [ADDRESS]}
    assert imports.import_file(by=SYSTEM, data=json.dumps(document).encode()).ok


def _import_hidden_place(world) -> None:
    place = {"id": PLACE, "location_type": "physical", "name": "Safe", "confidentiality": "hidden"}
    hidden = json.dumps({**place, "latitude": 44.6, "longitude": -63.6}).encode()
    assert imports.import_file(by=SYSTEM, data=hidden, org=world.org).ok


def _assert_address_sealed_into_the_place() -> None:
    assert not m.Address.objects.filter(pk=ADDRESS["id"]).exists()
    assert not m.ExtraRecord.objects.filter(pk=ADDRESS["id"]).exists()
    location = m.Location.objects.get(pk=PLACE)
    assert policy.sealed_detail(location)["addresses"] == [ADDRESS]
    public = json.dumps(export.bundle_for(policy.audience_of(None)))
    assert ADDRESS["address_1"] not in public


def test_an_address_waiting_for_a_location_that_arrives_hidden_is_sealed_into_it(world) -> None:
    _import_address()
    _import_hidden_place(world)
    _assert_address_sealed_into_the_place()


def test_the_hsds_api_filters_by_an_organisation_or_term_not_in_this_directory(world) -> None:
    attribute = {"id": "c4a1e2b3-0d5f-4e6a-8b7c-9d0e1f2a3b4c", "taxonomy_term_id": TERM}
    document = {**json.loads(_service_only()), "attributes": [attribute]}
    assert imports.import_file(by=SYSTEM, data=json.dumps(document).encode()).ok
    for query in (f"organization_id={X}", f"taxonomy_term_id={TERM}"):
        body = Client().get(f"/hsds/services?{query}").json()
        assert [s["id"] for s in body["contents"]] == [ALONE], query
        body = Client().get(f"/hsds/service_at_locations?{query}").json()
        assert body["contents"] == []  # it is at no location


def test_an_address_for_a_hidden_location_harbour_holds_is_sealed_into_it(world) -> None:
    """An address-only file for a location stored hidden: sealed into the location, as if it
    came with it, never a row; imported again, it replaces itself rather than doubling."""
    _import_hidden_place(world)
    for _ in range(2):
        _import_address()
        _assert_address_sealed_into_the_place()


def test_rows_kept_apart_for_a_removed_location_go_with_it(world) -> None:
    """A hidden location's kept-apart service-at-location (its service still outside) is
    deleted with the location: left behind it would count as outside, and leave, carrying the
    removed location's id, in the whole export."""
    at = {"id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6e", "service_id": ALONE}
    location = world.hidden_location
    document = {
        "services": [],
        "organizations": [],
        "taxonomies": [],
        "service_at_locations": [{**at, "location_id": str(location.pk)}],
    }
    assert imports.import_file(by=SYSTEM, data=json.dumps(document).encode()).ok
    assert m.ExtraRecord.objects.filter(pk=at["id"]).exists()
    actions.remove_location(by=SYSTEM, service=world.safe_house, location=location)
    assert not m.ExtraRecord.objects.filter(pk=at["id"]).exists()
    assert str(location.pk) not in json.dumps(_whole())
