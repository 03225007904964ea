"""Bad directory imports: a clear, translated error naming the record and field, and the
database exactly as it was (every directory table compared row by row before and after)."""

import io
import json
import zipfile
from typing import Any

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harbour.audit.actions import SystemActor
from harbour.audit.models import AuditEvent
from harbour.directory import imports
from harbour.directory import models as m
from harbour.directory.tests.test_hsds_examples import EXAMPLES, package

pytestmark = pytest.mark.django_db
BY = SystemActor("tests")
SERVICE_ID = "ac148810-d857-441c-9679-408f346de14b"
TABLES = (
    m.Taxonomy,
    m.TaxonomyTerm,
    m.Provider,
    m.Service,
    m.Location,
    m.ServiceAtLocation,
    m.Address,
    m.Phone,
    m.Schedule,
    m.ServiceArea,
    m.Language,
    m.Accessibility,
    m.CostOption,
    m.Funding,
    m.Attribute,
    m.Closure,
    m.ExtraRecord,
    m.SearchEntry,
)


def snapshot() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[Any]] = {t.__name__: sorted(t.objects.values(), key=str) for t in TABLES}
    out["audit"] = [str(pk) for pk in AuditEvent.objects.values_list("pk", flat=True)]
    return out


@pytest.fixture
def stored() -> dict[str, list[dict[str, Any]]]:
    """The official service example already imported: a bad file must not touch it."""
    assert imports.import_file(by=BY, data=(EXAMPLES / "service_full.json").read_bytes()).ok
    return snapshot()


def service(drop: tuple[str, ...] = (), **changes: Any) -> bytes:
    doc = json.loads((EXAMPLES / "service_full.json").read_text())
    doc.update(changes)
    for key in drop:
        doc.pop(key)
    return json.dumps(doc).encode()


def zipped(files: dict[str, bytes], folder: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(folder + name, data)
    return buffer.getvalue()


def csv_package(**changes: bytes | None) -> bytes:
    files = {p.name: p.read_bytes() for p in (EXAMPLES / "csv").iterdir()}
    for name, data in changes.items():
        if data is None:
            files.pop(f"{name}.csv")
        else:
            files[f"{name}.csv"] = data
    return zipped(files)


def drop_column(name: str, column: str) -> bytes:
    import csv

    rows = list(csv.DictReader(io.StringIO((EXAMPLES / "csv" / f"{name}.csv").read_text())))
    out = io.StringIO()
    fields = [f for f in rows[0] if f != column]
    writer = csv.DictWriter(out, fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


CONTACT_ID = "1e7efce3-639b-4880-940c-b95cd30cdb50"
BAD: dict[str, tuple[Any, str, str]] = {
    # case: (file, where the report must point, words of the message)
    "truncated json": (lambda: service()[:-40], "file", "not valid JSON"),
    "invalid json": (lambda: b"{'id': 1}", "file", "not valid JSON"),
    "wrong type": (
        lambda: service(minimum_age="twelve"),
        f"service {SERVICE_ID}.minimum_age",
        "type",
    ),
    "wrong nested type": (
        lambda: service(phones=[{"id": "1554f2e2-a373-45db-a3fa-9fc48a61c15e", "number": 5}]),
        f"service {SERVICE_ID}.phones[0].number",
        "type",
    ),
    "huge field": (
        lambda: service(description="x" * 15_000_000),
        f"service {SERVICE_ID}.description",
        "longer than",
    ),
    "huge unmodelled field": (
        lambda: service(wait_time="x" * 30_000),
        f"service {SERVICE_ID}.wait_time",
        "longer than",
    ),
    "duplicate ids with different content": (
        lambda: json.dumps(
            {
                "contents": [
                    json.loads(service()),
                    json.loads(service(name="Another name")),
                ]
            }
        ).encode(),
        f"service {SERVICE_ID}",
        "different content",
    ),
    "unknown shape": (lambda: b'{"hello": "world"}', "file", "not HSDS 3.0"),
    "a list of numbers": (lambda: b"[1, 2]", "file[0]", "not an HSDS 3.0 object"),
    "a text": (lambda: b'"services"', "file", "not HSDS 3.0"),
    "wrong reference type": (
        lambda: service(program_id=SERVICE_ID, drop=("program",)),
        f"service {SERVICE_ID}.program_id",
        "service record where a program",
    ),
    "non-UTF-8 csv": (
        lambda: csv_package(services="id,name,status\nac148810,Caf\xe9,active\n".encode("latin-1")),
        "services.csv",
        "not UTF-8",
    ),
    "missing required column": (
        lambda: csv_package(organizations=drop_column("organizations", "name")),
        "organizations.csv, name",
        "required column",
    ),
    "phone without number": (
        lambda: csv_package(phones=drop_column("phones", "number")),
        "phones.csv, number",
        "required column",
    ),
    "missing id column": (
        lambda: csv_package(contacts=drop_column("contacts", "id")),
        "contacts.csv, id",
        "required column",
    ),
    "id shared across tables": (
        lambda: csv_package(
            programs=(EXAMPLES / "csv" / "programs.csv")
            .read_text()
            .replace("e7ec2e57-4540-43fa-b2c7-6be5a0ef7f42", CONTACT_ID)
            .encode()
        ),
        f"program {CONTACT_ID}",
        "already holds a contact record",
    ),
    "huge csv cell": (
        lambda: csv_package(
            services=drop_column("services", "zzz").replace(
                b"Counselling Services provided", b"y" * 15_000_000, 1
            )
        ),
        "service ",
        "longer than",
    ),
    "zip inside a zip": (
        lambda: zipped({"package.zip": package()}),
        "datapackage.json",
        "no datapackage",
    ),
    "a damaged zip": (
        lambda: package()[:300] + b"\x00" * 40 + package()[340:],
        "",
        "cannot be read",
    ),
    "a zip that is not one": (lambda: b"PK\x03\x04garbage", "file", "not a ZIP"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_names_record_and_field_and_changes_nothing(stored, case: str) -> None:
    make, where, words = BAD[case]
    report = imports.import_file(by=BY, data=make(), filename="upload")
    assert not report.ok
    text = " | ".join(f"{w}: {msg}" for w, msg in report.problems)
    assert any(w.startswith(where) for w, _msg in report.problems), text
    assert words.lower() in text.lower(), text
    assert snapshot() == stored


def test_the_errors_are_translated(stored) -> None:
    with translation.override("fr"):
        report = imports.import_file(
            by=BY, data=csv_package(organizations=drop_column("organizations", "name"))
        )
    assert "organizations.csv, name" in report.problems[0][0]
    assert "colonne" in report.problems[0][1], report.problems
    assert snapshot() == stored


def test_an_id_shared_by_two_tables_of_one_file_is_an_error() -> None:
    programs = (EXAMPLES / "csv" / "programs.csv").read_text()
    data = csv_package(
        programs=programs.replace("e7ec2e57-4540-43fa-b2c7-6be5a0ef7f42", CONTACT_ID).encode()
    )
    before = snapshot()
    report = imports.import_file(by=BY, data=data, filename="p.zip")
    assert not report.ok
    assert any(
        (w == f"program {CONTACT_ID}" and "also used by a contact" in msg)
        or (w == f"contact {CONTACT_ID}" and "also used by a program" in msg)
        for w, msg in report.problems
    ), report.problems
    assert snapshot() == before


def test_a_zip_of_the_package_folder_imports() -> None:
    files = {p.name: p.read_bytes() for p in (EXAMPLES / "csv").iterdir()}
    report = imports.import_file(by=BY, data=zipped(files, folder="csv/"), filename="csv.zip")
    assert report.ok, report.problems
    assert report.counts["service"] == 1


def test_a_dry_run_reports_the_same_and_writes_nothing(stored) -> None:
    data = package()
    dry = imports.import_file(by=BY, data=data, filename="p.zip", dry_run=True)
    assert dry.ok and dry.dry_run
    assert snapshot() == stored
    real = imports.import_file(by=BY, data=data, filename="p.zip")
    assert real.ok and (real.counts, real.shape, real.externals) == (
        dry.counts,
        dry.shape,
        dry.externals,
    )


@pytest.mark.parametrize("name", ["service_full.json", "organization_full.json", "csv"])
def test_a_reimport_of_the_same_file_changes_nothing(name: str) -> None:
    data = package() if name == "csv" else (EXAMPLES / name).read_bytes()
    assert imports.import_file(by=BY, data=data, filename=name).ok
    first = snapshot()
    again = imports.import_file(by=BY, data=data, filename=name)
    assert again.ok and again.unchanged
    assert snapshot() == first
    organizations = (EXAMPLES / "csv" / "organizations.csv").read_bytes()
    changed = (
        csv_package(organizations=organizations.replace(b"Example", b"Sample", 1))
        if name == "csv"
        else data.replace(b"Example", b"Sample", 1)
    )
    report = imports.import_file(by=BY, data=changed, filename=name)
    assert report.ok and not report.unchanged and snapshot() != first


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["id", "name", "status", "contents", "services", "organization", "x"]),
            inner,
            max_size=5,
        )
    ),
    max_leaves=15,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=JSON_VALUES, raw=st.binary(max_size=200))
def test_no_document_or_bytes_raise_and_a_refusal_writes_nothing(document: Any, raw: bytes) -> None:
    for data in (json.dumps(document).encode(), raw, b"PK\x03\x04" + raw):
        before = snapshot()
        report = imports.import_file(by=BY, data=data, filename="fuzz")
        if not report.ok:
            assert report.problems and snapshot() == before


def test_a_service_area_boundary_may_be_long() -> None:
    doc = json.loads(service())
    doc["service_areas"][0]["extent"] = "[" + ",".join(["[-79.1,43.2]"] * 20_000) + "]"
    report = imports.import_file(by=BY, data=json.dumps(doc).encode())
    assert report.ok, report.problems
    assert len(m.ServiceArea.objects.get().extent) > 200_000


def test_an_empty_list_page_imports_nothing_and_says_so() -> None:
    report = imports.import_file(by=BY, data=b'{"total_items": 0, "contents": []}')
    assert report.ok and report.counts == {} and "list" in report.shape


SERVICE = "ac148810-d857-441c-9679-408f346de14b"  # service_full.json
PHONE = "1554f2e2-a373-45db-a3fa-9fc48a61c15e"  # its phone (also its location's, contact's...)


@pytest.mark.parametrize("change", ["a removed field", "a removed child"])
def test_a_reimport_without_a_field_or_a_child_writes_the_change(change: str) -> None:
    data = (EXAMPLES / "service_full.json").read_bytes()
    assert imports.import_file(by=BY, data=data, filename="s.json").ok
    assert m.Phone.objects.filter(pk=PHONE, service_id=SERVICE).exists()
    document = json.loads(data)
    if change == "a removed field":
        del document["email"]
    else:
        document["phones"] = []
    report = imports.import_file(by=BY, data=json.dumps(document).encode(), filename="s.json")
    assert report.ok and not report.unchanged
    service = m.Service.objects.get(pk=SERVICE)
    if change == "a removed field":
        assert service.email == "" and m.Phone.objects.filter(service_id=SERVICE).exists()
    else:
        # the service's stored phone is gone (the same id stays where the file still has it)
        assert service.email == "email@example.com"
        assert not m.Phone.objects.filter(service_id=SERVICE).exists()
    again = imports.import_file(by=BY, data=json.dumps(document).encode(), filename="s.json")
    assert again.ok and again.unchanged
