"""External references (docs/adr/0043): a reference to a record neither in the file nor in
Harbour is kept as it came, exported back unchanged, shown on the pages as "not in this
directory", and linked once its target arrives."""

import pytest

from harbour.directory import imports
from harbour.directory.tests.conftest import SYSTEM
from harbour.directory.tests.test_hsds_examples import EXAMPLES

pytestmark = pytest.mark.django_db
ORG = (EXAMPLES / "organization_full.json").read_bytes()
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
