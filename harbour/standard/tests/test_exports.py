"""JSON Schema, Table Schema and the Markdown reference are derived from the dictionary."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from frictionless import Resource, Schema
from jsonschema import Draft202012Validator

from harbour.standard.dictionary import current
from harbour.standard.exports import json_schema, markdown, table_schema

D = current()


@pytest.mark.parametrize("entity_id", sorted(D.entities))
def test_json_schema_is_valid_and_accepts_a_real_record(entity_id: str) -> None:
    schema = json_schema(D, D.entity(entity_id), D.latest)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    assert validator.is_valid({}) is (not schema["required"])
    assert not validator.is_valid({"no_such_field": 1})


def test_json_schema_rejects_unknown_codes() -> None:
    schema = json_schema(D, D.entity("case"), D.latest)
    good = {"intake_date": "2026-01-02", "intake_province": "CA-ON", "consent_to_record": True}
    assert Draft202012Validator(schema).is_valid(good)
    assert not Draft202012Validator(schema).is_valid(good | {"intake_province": "CA-XX"})
    assert "IOM" in schema["description"]
    survivor = json_schema(D, D.entity("survivor"), D.latest)
    assert survivor["properties"]["given_name"]["x-htcds"]["field"] == "prs_FirstName"
    assert survivor["properties"]["given_name"]["x-harbour-sensitivity"] == "identifier"


@pytest.mark.parametrize("entity_id", sorted(D.entities))
def test_table_schema_is_a_valid_frictionless_schema(entity_id: str) -> None:
    descriptor = table_schema(D, D.entity(entity_id), D.latest)
    schema = Schema.from_descriptor(descriptor)
    assert [f.name for f in schema.fields] == [f["name"] for f in descriptor["fields"]]


def test_table_schema_validates_a_csv(tmp_path: Path) -> None:
    descriptor = table_schema(D, D.entity("case"), D.latest)
    names = [f["name"] for f in descriptor["fields"]]
    row = dict.fromkeys(names, "")
    row |= {
        "intake_date": "2026-01-02",
        "intake_province": "CA-ON",
        "consent_to_record": "true",
        "exploitation_types": "sexual_exploitation|forced_labour",
    }
    path = tmp_path / "case.csv"
    path.write_text(",".join(names) + "\n" + ",".join(row[n] for n in names) + "\n")

    def validate():
        resource = Resource(
            path="case.csv", basepath=str(tmp_path), schema=Schema.from_descriptor(descriptor)
        )
        return resource.validate()

    report = validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    bad = path.read_text().replace("CA-ON", "CA-XX")
    path.write_text(bad)
    assert not validate().valid


def test_the_committed_markdown_reference_is_up_to_date() -> None:
    committed = Path(settings.BASE_DIR) / "docs" / "reference" / "data-dictionary.md"
    assert committed.read_text(encoding="utf-8") == markdown(D), (
        "Run `harbour standard docs` and commit docs/reference/data-dictionary.md"
    )


def test_the_export_command_writes_every_schema(tmp_path: Path) -> None:
    call_command("standard_export", out=str(tmp_path))
    package = json.loads((tmp_path / "datapackage.json").read_text())
    names = {r["name"] for r in package["resources"]}
    assert set(D.entities) <= names and "codelist-province" in names
    assert (tmp_path / "case.schema.json").exists()
    assert (tmp_path / "survivor.tableschema.json").exists()
    # Every file the package names is there, and the package is valid (issue 11).
    assert all((tmp_path / r["path"]).exists() for r in package["resources"])
    from frictionless import validate

    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])[:5]


def test_public_pages_and_downloads(client) -> None:
    assert client.get("/standard/").status_code == 200
    assert client.get("/standard/htcds/").status_code == 200
    assert client.get("/standard/indicators/").status_code == 200
    assert client.get("/standard/entities/case/").status_code == 200
    assert client.get("/standard/codelists/province/").status_code == 200
    page = client.get("/standard/schemas/case.schema.json")
    assert page.json()["properties"]["intake_date"]["format"] == "date"
    fr = client.get("/standard/entities/case/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Date d" in fr.content.decode()
    assert client.get("/standard/entities/nope/").status_code == 404
