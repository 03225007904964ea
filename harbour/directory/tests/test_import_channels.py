"""Directory import through the web page, the API and the command: the same report (the shape
read, counts, external references, problems), and a dry run that writes nothing."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from harbour.directory import imports
from harbour.directory import models as m
from harbour.directory.tests.test_hsds_examples import EXAMPLES, package
from harbour.directory.tests.test_import_bad_input import snapshot

pytestmark = pytest.mark.django_db
ORG = (EXAMPLES / "organization_full.json").read_bytes()
PARENT = "cd09a387-91f4-4555-94ec-e799c35344cd"  # its parent organisation, not in the file


def test_the_report_names_the_shape_and_the_external_references() -> None:
    report = imports.import_file(by=None, data=ORG, dry_run=True)  # type: ignore[arg-type]
    assert report.ok and report.dry_run
    assert report.shape == "a single organization document"
    assert ("organization d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610.parent_organization_id", PARENT) in (
        report.externals
    )


def test_the_web_page_dry_run_then_import(world, make_user, client_for) -> None:
    client = client_for(make_user("system_admin", world.org))
    before = snapshot()

    def upload(**fields: str) -> str:
        file = SimpleUploadedFile("org.json", ORG, content_type="application/json")
        response = client.post("/directory/manage/import/", {"file": file, **fields})
        return response.content.decode()

    page = upload(dry_run="on")
    assert "Dry run: nothing was written." in page and "a single organization document" in page
    assert "not in this directory" in page and PARENT in page
    assert snapshot() == before
    page = upload()
    assert "Imported." in page
    assert m.Provider.objects.filter(pk="d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610").exists()
    client.cookies["django_language"] = "fr"
    page = upload(dry_run="on")
    assert "Essai" in page and "pas dans ce répertoire" in page


def test_the_api_dry_run_by_default_then_import(api_for, make_user, world) -> None:
    client = api_for(make_user("system_admin", world.org))
    before = snapshot()

    def post(data: bytes, name: str, **fields: str):
        upload = io.BytesIO(data)
        upload.name = name
        return client.post("/api/v1/directory/imports", {"file": upload, **fields})

    dry = post(package(), "hsds.zip")
    assert dry.status_code == 200, dry.content
    body = dry.json()
    assert body["ok"] and body["dry_run"] and body["counts"]["service"] == 1
    assert body["shape"] == "the tabular data package (CSV files)"
    assert snapshot() == before
    done = post(package(), "hsds.zip", dry_run="false").json()
    assert done["ok"] and not done["dry_run"] and not done["unchanged"]
    assert post(package(), "hsds.zip", dry_run="false").json()["unchanged"]
    assert m.Service.objects.filter(pk="ac148810-d857-441c-9679-408f346de14b").exists()
    bad = post(b'{"services": [', "bad.json", dry_run="false")
    assert bad.status_code == 422 and bad.json()["problems"][0]["where"] == "file"


def test_the_api_is_for_directory_managers_only(api_for, supervisor) -> None:
    upload = io.BytesIO(ORG)
    upload.name = "org.json"
    response = api_for(supervisor).post("/api/v1/directory/imports", {"file": upload})
    assert response.status_code == 404


def test_the_command_dry_run(tmp_path, capsys) -> None:
    path = tmp_path / "org.json"
    path.write_bytes(ORG)
    before = snapshot()
    out = io.StringIO()
    call_command("directory_import", str(path), "--dry-run", stdout=out)
    assert "Dry run: nothing was written." in out.getvalue()
    assert "a single organization document" in out.getvalue() and PARENT in out.getvalue()
    assert snapshot() == before
    call_command("directory_import", str(path), stdout=io.StringIO())
    assert snapshot() != before
    again = io.StringIO()
    call_command("directory_import", str(path), stdout=again)
    assert "Nothing changed" in again.getvalue()
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"[1]")
    with pytest.raises(CommandError):
        call_command("directory_import", str(bad), "--dry-run", stderr=io.StringIO())
