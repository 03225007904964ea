"""External references (docs/adr/0043): a reference to a record neither in the file nor in
Harbour is kept as it came, exported back unchanged, shown on the pages as "not in this
directory", and linked once its target arrives."""

import json
import uuid

import pytest

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
