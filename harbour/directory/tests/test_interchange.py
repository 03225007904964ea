"""HSDS 3.0 import and export: round trips lose nothing; bad files import nothing."""

import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from harbour.audit.actions import SystemActor
from harbour.audit.models import AuditEvent
from harbour.directory import export, imports, policy
from harbour.directory import models as m
from harbour.directory.imports import validator
from harbour.directory.tests.conftest import HIDDEN_LAT, HIDDEN_LON

pytestmark = pytest.mark.django_db
FOREIGN = Path(__file__).parent / "data" / "foreign_hsds.json"
BY = SystemActor("tests")


def _contained(original: Any, exported: Any, path: str = "") -> list[str]:
    """Every value of the original is in the export (lists matched by id)."""
    if isinstance(original, dict):
        if not isinstance(exported, dict):
            return [path]
        return [
            p for k, v in original.items() for p in _contained(v, exported.get(k), f"{path}.{k}")
        ]
    if isinstance(original, list):
        if not isinstance(exported, list):
            return [path]
        by_id = {e.get("id"): e for e in exported if isinstance(e, dict)}
        out = []
        for i, item in enumerate(original):
            match = (
                by_id.get(item.get("id"))
                if isinstance(item, dict)
                else (item if item in exported else None)
            )
            out += (
                _contained(item, match, f"{path}[{i}]") if match is not None else [f"{path}[{i}]"]
            )
        return out
    if path.endswith("last_modified") and original and exported:
        return (
            []
            if dt.datetime.fromisoformat(original) == dt.datetime.fromisoformat(exported)
            else [path]
        )
    return [] if original == exported else [f"{path}: {original!r} != {exported!r}"]


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            m.Provider,
            m.Service,
            m.Location,
            m.ServiceAtLocation,
            m.Address,
            m.Phone,
            m.Attribute,
            m.TaxonomyTerm,
            m.ExtraRecord,
            m.SearchEntry,
        )
    }


def _wipe() -> None:
    for model in (
        m.SearchEntry,
        m.Attribute,
        m.ExtraRecord,
        m.Closure,
        m.Language,
        m.Phone,
        m.Schedule,
        m.ServiceArea,
        m.CostOption,
        m.Funding,
        m.Accessibility,
        m.Address,
        m.ServiceAtLocation,
        m.Service,
        m.Location,
        m.Provider,
        m.TaxonomyTerm,
        m.Taxonomy,
    ):
        model.objects.all().delete()


def _export() -> dict[str, Any]:
    return export.json_document(export.bundle_for(policy.system_audience()))


def test_other_public_hsds_data_is_imported_and_exported_without_loss() -> None:
    original = json.loads(FOREIGN.read_text())
    report = imports.import_file(by=BY, data=FOREIGN.read_bytes(), filename="x.json")
    assert report.ok, report.problems
    assert report.counts["service"] == 1 and report.counts["contact"] == 1
    document = _export()
    service = document["services"][0]
    assert _contained(original["contents"][0], service) == []
    for item in document["services"]:
        assert not list(validator("service", True).iter_errors(item))
    for item in document["organizations"]:
        assert not list(validator("organization", True).iter_errors(item))
    assert AuditEvent.objects.filter(action="directory.imported").exists()


def test_a_json_round_trip_is_a_fixpoint(world) -> None:
    assert imports.import_file(by=BY, data=FOREIGN.read_bytes()).ok
    first = _export()
    data = json.dumps(first).encode()
    _wipe()
    report = imports.import_file(by=BY, data=data, org=world.org)
    assert report.ok, report.problems
    assert _export() == first


def test_a_tabular_round_trip_is_a_fixpoint(world) -> None:
    assert imports.import_file(by=BY, data=FOREIGN.read_bytes()).ok
    first = _export()
    package = export.tabular_zip(export.bundle_for(policy.system_audience()))
    names = zipfile.ZipFile(io.BytesIO(package)).namelist()
    assert "datapackage.json" in names and "services.csv" in names
    _wipe()
    report = imports.import_file(by=BY, data=package, filename="hsds.zip", org=world.org)
    assert report.ok, report.problems
    assert _export() == first


def test_the_owner_can_round_trip_its_hidden_location(world, supervisor) -> None:
    owner = policy.audience_of(supervisor)
    bundle = export.bundle_for(owner, m.Service.objects.filter(pk=world.safe_house.pk))
    data = json.dumps(export.json_document(bundle)).encode()
    m.Service.objects.filter(pk=world.safe_house.pk).delete()
    m.Location.objects.filter(pk=world.hidden_location.pk).delete()
    report = imports.import_file(by=BY, data=data, org=world.org)
    assert report.ok, report.problems
    loc = m.Location.objects.get(pk=world.hidden_location.pk)
    assert loc.latitude is None and loc.hidden_address.sealed and not loc.addresses.exists()
    assert policy.sealed_detail(loc)["addresses"][0]["address_1"] == "1313 Mockingbird Lane"
    # ...and the import gave it its coarse service region at once (ADR 44).
    assert loc.region.km == 100 and loc.region.label
    assert (loc.region.latitude, loc.region.longitude) != (HIDDEN_LAT, HIDDEN_LON)


def _service(**changes: Any) -> dict[str, Any]:
    doc = json.loads(FOREIGN.read_text())
    service = doc["contents"][0]
    service.update(changes)
    return doc


BAD = {
    "schema violation": (
        _service(status="open"),
        "service ac148810-d857-441c-9679-408f346de14b.status",
    ),
    "wrong type": (
        _service(minimum_age="twelve"),
        "service ac148810-d857-441c-9679-408f346de14b.minimum_age",
    ),
    "missing required": (
        {"contents": [{"id": "ac148810-d857-441c-9679-408f346de14b", "status": "active"}]},
        "name",
    ),
    "not a uuid": (_service(id="service-1"), "uuid"),
    # a record neither in the file nor in Harbour is kept as an external reference (docs/adr/
    # 0043), but a reference naming a record of another type contradicts the file
    "reference of the wrong type": (
        {
            "services": [
                {
                    "id": "ac148810-d857-441c-9679-408f346de14b",
                    "name": "X",
                    "status": "active",
                    "organization_id": "00000000-0000-4000-8000-000000000001",
                    "service_at_locations": [
                        {
                            "id": "00000000-0000-4000-8000-000000000003",
                            "location_id": "ac148810-d857-441c-9679-408f346de14b",
                        }
                    ],
                }
            ]
        },
        "service_at_location 00000000-0000-4000-8000-000000000003.location_id This refers to a "
        "service record where a location record belongs.",
    ),
    "duplicate ids": (
        {
            "services": [
                {"id": "ac148810-d857-441c-9679-408f346de14b", "name": "A", "status": "active"},
                {"id": "ac148810-d857-441c-9679-408f346de14b", "name": "B", "status": "active"},
            ]
        },
        "same id",
    ),
    "hidden without owner": (
        _service(
            service_at_locations=[
                {
                    "id": "e94c9f38-1e8f-4564-91d4-d53501ab1765",
                    "location_id": "3a19ff88-4620-4d17-9830-ac1d859eb5d5",
                    "location": {
                        "id": "3a19ff88-4620-4d17-9830-ac1d859eb5d5",
                        "location_type": "physical",
                        "confidentiality": "hidden",
                    },
                }
            ]
        ),
        "hidden location",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_an_invalid_import_imports_nothing_and_says_why(case) -> None:
    document, expected = BAD[case]
    before = _counts()
    report = imports.import_file(by=BY, data=json.dumps(document).encode())
    assert not report.ok and report.problems
    text = " ".join(f"{w} {msg}" for w, msg in report.problems)
    assert expected.lower() in text.lower(), text
    assert _counts() == before


@pytest.mark.parametrize(
    "data,expected",
    [
        (b"\xff\xfe not utf-8 \xc3\x28", "UTF-8"),
        (b'{"services": [', "not valid JSON"),
        (b'{"hello": "world"}', "not HSDS"),
        (b"PK\x03\x04garbage", "not a ZIP"),
    ],
)
def test_unreadable_files_import_nothing(data, expected) -> None:
    before = _counts()
    report = imports.import_file(by=BY, data=data)
    assert not report.ok and expected in report.problems[0][1]
    assert _counts() == before


def test_an_oversized_file_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(imports, "MAX_BYTES", 100)
    report = imports.import_file(by=BY, data=FOREIGN.read_bytes())
    assert not report.ok and "larger than" in report.problems[0][1]
    assert m.Service.objects.count() == 0


def test_a_tabular_package_with_bad_rows_imports_nothing(world) -> None:
    package = export.tabular_zip(export.bundle_for(policy.system_audience()))
    source = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "services.csv":
                lines = data.decode().splitlines()
                lines[1] = lines[1].replace(",active,", ",sometimes,", 1)
                data = ("\n".join(lines) + "\n").encode()
            target.writestr(name, data)
    before = _counts()
    report = imports.import_file(by=BY, data=out.getvalue(), filename="bad.zip")
    assert not report.ok
    assert any("services.csv" in where for where, _msg in report.problems), report.problems
    assert _counts() == before


def test_the_import_and_export_commands(tmp_path, world) -> None:
    call_command("directory_import", str(FOREIGN))
    assert m.Service.objects.filter(name="Community Counselling").exists()
    target = tmp_path / "out.zip"
    call_command("directory_export", str(target), format="tabular")
    folder = tmp_path / "pkg"
    folder.mkdir()
    zipfile.ZipFile(target).extractall(folder)
    _wipe()
    call_command("directory_import", str(folder), org=world.org.short_name)
    assert m.Service.objects.filter(name="Community Counselling").exists()
    bad = tmp_path / "bad.json"
    bad.write_text('{"services": [{"id": "x", "name": "A", "status": "active"}]}')
    with pytest.raises(CommandError):
        call_command("directory_import", str(bad))


def test_the_import_page_names_tables_and_problems_in_the_readers_language(
    world, make_user, client_for
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(make_user("system_admin", world.org))
    client.cookies["django_language"] = "fr"

    def upload(name: str, data: bytes) -> str:
        file = SimpleUploadedFile(name, data, content_type="application/json")
        return client.post("/directory/manage/import/", {"file": file}).content.decode()

    page = upload("foreign.json", FOREIGN.read_bytes())
    assert "Importation terminée." in page and "Services\u00a0: 1" in page
    assert "Numéros de téléphone\u00a0: " in page and "phone:" not in page
    page = upload("bad.json", b'{"services": [{"id": "x", "name": "A", "status": "active"}]}')
    assert "(emplacement dans le fichier\u00a0: <code>" in page


def test_numbers_and_tables_are_written_for_the_reader() -> None:
    from django.utils import translation

    from harbour.directory.hsds import TABLES
    from harbour.directory.templatetags.directory import HSDS_TABLES, km, thousands

    assert {t.name for t in TABLES} == set(HSDS_TABLES)
    with translation.override("en"):
        assert (km(1234.4), km(2.46), thousands(12345)) == (
            "1,234\u00a0km",
            "2.5\u00a0km",
            "12,345",
        )
    with translation.override("fr"):
        assert (km(1234.4), km(2.46), thousands(12345)) == (
            "1\u00a0234\u00a0km",
            "2,5\u00a0km",
            "12\u00a0345",
        )
