"""Every official HSDS 3.0 example (read from ../shared, never copied) imports unchanged."""

import datetime as dt
import decimal
import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from harbour.audit.actions import SystemActor
from harbour.directory import export, imports, policy
from harbour.directory import models as m
from harbour.directory.hsds import BY_NAME
from harbour.directory.imports import validator

pytestmark = pytest.mark.django_db


def _examples() -> Path:
    """../shared/standards/hsds-3.0/examples next to the checkout (or above a worktree)."""
    if os.environ.get("HARBOUR_HSDS_EXAMPLES"):
        return Path(os.environ["HARBOUR_HSDS_EXAMPLES"])
    for parent in Path(__file__).resolve().parents[3:]:
        candidate = parent / "shared" / "standards" / "hsds-3.0" / "examples"
        if candidate.is_dir():
            return candidate
    return Path("/nonexistent")


EXAMPLES = _examples()
if not EXAMPLES.is_dir():
    pytest.skip("the official HSDS 3.0 examples (../shared) are not here", allow_module_level=True)
BY = SystemActor("tests")
JSON_EXAMPLES = sorted(p.name for p in EXAMPLES.glob("*.json"))
# What each official example is, written down here (not read from Harbour's own reading), so a
# file read as the wrong shape fails even if its export then matches that misreading.
EXPECTED_SHAPE = {
    "base.json": "the API root document: it holds no directory data",
    "location.json": "a single location document",
    "organization_full.json": "a single organization document",
    "organization_list.json": "one page of an API list of organization records",
    "service_at_location_full.json": "a single service at a location document",
    "service_at_location_list.json": "one page of an API list of service at a location records",
    "service_full.json": "a single service document",
    "service_list.json": "one page of an API list of service records",
    "tabular.json": "the tabular data package (written as JSON)",
    "taxonomy.json": "a single taxonomy document",
    "taxonomy_list.json": "one page of an API list of taxonomy records",
    "taxonomy_term.json": "a single taxonomy term document",
    "taxonomy_term_list.json": "one page of an API list of taxonomy term records",
    "csv": "the tabular data package (CSV files)",
}


def package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in sorted((EXAMPLES / "csv").iterdir()):
            archive.write(item, item.name)
    return buffer.getvalue()


@pytest.mark.parametrize("name", [*JSON_EXAMPLES, "csv"])
def test_each_official_example_imports_unchanged(name: str) -> None:
    data = package() if name == "csv" else (EXAMPLES / name).read_bytes()
    report = imports.import_file(by=BY, data=data, filename=name)
    assert report.ok, report.problems
    assert report.shape == EXPECTED_SHAPE[name]


def test_every_official_example_has_an_expected_shape() -> None:
    assert set(EXPECTED_SHAPE) == {*JSON_EXAMPLES, "csv"}


def _same(original: Any, exported: Any) -> bool:
    """Values compared as values: 100 == 100.0, and "2023-03-15T10:30:45.123Z" is the same
    instant as "2023-03-15T10:30:45.123000+00:00"."""
    if original == exported:
        return True
    if isinstance(original, str) and isinstance(exported, str):
        try:
            return dt.datetime.fromisoformat(original) == dt.datetime.fromisoformat(exported)
        except ValueError:
            return False
    numbers = (int, float, decimal.Decimal)
    if isinstance(original, numbers) and isinstance(exported, numbers | str):
        try:
            return decimal.Decimal(str(original)) == decimal.Decimal(str(exported))
        except decimal.InvalidOperation:
            return False
    return False


def _lost(original: dict[str, list[dict[str, Any]]], exported: dict[str, list]) -> list[str]:
    """Every field of every original record, with the same value, in the export."""
    out = []
    for table, rows in original.items():
        by_id = {r.get("id"): r for r in exported.get(table, [])}
        for row in rows:
            found = by_id.get(row.get("id"))
            if found is None:
                out.append(f"{table} {row.get('id')}: missing")
                continue
            out += [
                f"{table} {row['id']}.{k}: {v!r} != {found.get(k)!r}"
                for k, v in row.items()
                if not _same(v, found.get(k))
            ]
    return out


@pytest.mark.parametrize("name", [*JSON_EXAMPLES, "csv"])
def test_each_official_example_comes_back_field_by_field(name: str) -> None:
    data = package() if name == "csv" else (EXAMPLES / name).read_bytes()
    original, shape = imports.read_file(data, name)
    assert shape.describe() == EXPECTED_SHAPE[name]
    assert imports.import_file(by=BY, data=data, filename=name).ok
    everything = export.bundle_for(policy.system_audience())
    assert _lost(original, everything) == []
    document = export.json_document(everything)
    again, _shape = imports.read_file(json.dumps(document).encode(), "export.json")
    assert _lost(original, again) == []
    tabular, _shape = imports.read_file(export.tabular_zip(everything), "export.zip")
    assert _lost(original, tabular) == []
    for table in ("service", "organization"):
        for item in document[f"{table}s"]:
            errors = [e.message for e in validator(table, True).iter_errors(item)]
            assert errors == [], errors
    # taxonomies, and any record no service or organization holds (a location on its own...)
    official = {p.stem for p in imports.SCHEMAS.glob("*.json")} - {"openapi"}
    for table in sorted(official - {"service", "organization"}):
        for item in document.get(BY_NAME[table].plural, []):
            errors = [e.message for e in validator(table).iter_errors(item)]
            assert errors == [], errors


def test_a_page_carries_only_its_own_records_external_ones_go_with_the_whole_export() -> None:
    """tabular.json has an attribute and a metadata row about records outside the file: the
    whole export keeps them; a page of services (the /hsds/ API) does not carry them."""
    assert imports.import_file(by=BY, data=(EXAMPLES / "tabular.json").read_bytes()).ok
    outside_attrs = {str(pk) for pk in export._external_attributes().values_list("pk", flat=True)}
    outside_extras = {str(pk) for pk in export._external_extras().values_list("pk", flat=True)}
    assert outside_attrs and outside_extras
    whole = export.bundle_for(policy.system_audience())
    assert outside_attrs <= {r["id"] for r in whole["attribute"]}
    page = export.bundle_for(policy.system_audience(), m.Service.objects.all())
    assert page["service"] and not outside_attrs & {r["id"] for r in page["attribute"]}
    assert outside_extras <= export._exported_ids(whole)
    assert not outside_extras & export._exported_ids(page)
