"""An organisation's own cases as files: CSV, Excel, HTCDS 2.0 (one CSV per HTCDS entity) and
a Frictionless data package. Rendering only; `actions.export_cases` checks who asks and audits.

Identifying fields are included only when asked for (and allowed); every text cell a spreadsheet
could run as a formula is neutralised with a leading apostrophe, which Harbour's own import
takes off again. HTCDS-derived files carry IOM's attribution (CC BY 4.0). Only the HTCDS export
carries the case owner (cas_CaseOwner, as an e-mail address; ADR 21).
"""

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from harbour.cases.models import Case
from harbour.cases.values import read_values
from harbour.interchange import mapping, xlsx
from harbour.standard.dictionary import Field, current
from harbour.standard.exports import HTCDS_CSV, htcds_fields, table_schema

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LICENCE = HTCDS_CSV.parent / "LICENSE.md"
REFERENCES = ("case_reference", "survivor_reference")


@dataclass(frozen=True)
class Column:
    entity: str
    field: Field


def columns(*, identifying: bool) -> list[Column]:
    version = current().latest
    return [
        Column(entity, f)
        for entity in mapping.ENTITIES
        for f in current().entity(entity).offered_fields(version)
        if not f.computed
        and f.type not in {"staff", "organisation"}
        and (identifying or not f.is_sealed)
    ]


def neutralise(text: str) -> str:
    """A spreadsheet runs a cell starting with = + - @ (or a tab) as a formula (CSV injection)."""
    return "'" + text if text.startswith(FORMULA_START) else text


def cell(field: Field, value: Any, *, htcds: bool = False) -> str:
    if value in (None, "", []):
        return ""
    if field.type == "codes":
        return (";" if htcds else "|").join(_code(field, c, htcds) for c in value)
    if field.type == "code":
        return _code(field, value, htcds)
    if field.type == "boolean":
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return neutralise(str(value))


def _code(field: Field, code: str, htcds: bool) -> str:
    found = field.codelist.get(code) if field.codelist else None
    return (found.htcds or code) if (htcds and found) else code


def records(cases: Iterable[Case], *, identifying: bool) -> Iterator[tuple[Case, dict, dict]]:
    """(case, survivor values, case values) for each case whose survivor is not erased."""
    for case in cases:
        if case.survivor.erased_at is not None:
            continue
        survivor = read_values(case.survivor, with_identity=identifying)
        yield case, survivor, read_values(case, with_identity=identifying)


def table(rows: Iterable[tuple[Case, dict, dict]], cols: list[Column]) -> Iterator[list[str]]:
    yield [*REFERENCES, *(c.field.id for c in cols)]
    for case, survivor, values in rows:
        by_entity = {"survivor": survivor, "case": values}
        yield [
            case.reference,
            case.survivor.reference,
            *(cell(c.field, by_entity[c.entity].get(c.field.id)) for c in cols),
        ]


def csv_bytes(rows: Iterable[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    # A byte-order mark so Excel opens UTF-8 (accents) correctly.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(rows: Iterable[list[str]]) -> bytes:
    return xlsx.write_workbook([("cases", rows), ("about", [[current().attribution.en]])])


# --- HTCDS 2.0 --------------------------------------------------------------------------------


def _slug(section: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", section.lower()).strip("-")


def htcds_sections() -> dict[str, list[str]]:
    """HTCDS section → the HTCDS fields Harbour carries, in the standard's order."""
    targets = mapping.htcds_targets()
    sections: dict[str, list[str]] = {}
    for row in htcds_fields():
        if row["field"] in targets:
            sections.setdefault(row["section"], []).append(row["field"])
    return sections


def htcds_zip(rows: list[tuple[Case, dict, dict]], *, identifying: bool) -> bytes:
    targets = mapping.htcds_targets()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for section, names in htcds_sections().items():
            keep = [
                n for n in names if identifying or not targets[n].field.is_sealed or n == CLOSURE
            ]
            lines: list[list[str]] = [["harbour_case_reference", *keep]]
            for case, survivor, values in rows:
                by_entity = {"survivor": survivor, "case": values}
                lines.append(
                    [case.reference]
                    + [
                        _owner_cell(case, identifying)
                        if n == OWNER
                        else _htcds_cell(targets[n], n, by_entity)
                        for n in keep
                    ]
                )
            archive.writestr(f"{_slug(section)}.csv", csv_bytes(lines))
        archive.writestr("ATTRIBUTION.txt", _attribution())
        archive.writestr("LICENSE-HTCDS.md", LICENCE.read_bytes())
    return buffer.getvalue()


CLOSURE = "cas_ReasonForCaseClosure"
OWNER = "cas_CaseOwner"


def _owner_cell(case: Case, identifying: bool) -> str:
    """HTCDS's case owner is a "lookup to a user": Harbour writes the owner's e-mail address,
    which an import matches to a member of the importing organisation (ADR 21). A member of
    staff's address is an identifier (accounts.User.email): only in an identifying export, and
    only of the organisation's own staff."""
    owner = case.owner
    if not identifying or owner is None or owner.org_id != case.org_id:
        return ""
    return neutralise(owner.email)


def _htcds_cell(target: mapping.Target, name: str, by_entity: dict[str, dict]) -> str:
    values = by_entity[target.entity]
    if name == CLOSURE:
        # HTCDS has one free-text reason; Harbour's coded reason leads it (the details are
        # identifying: present only in an identifying export).
        return neutralise(
            mapping.closure_text(values.get("closure_reason"), values.get("closure_details"))
        )
    return cell(target.field, values.get(target.field.id), htcds=True)


def _attribution() -> str:
    d = current()
    return f"{d.attribution.en}\n\n{d.attribution.fr}\n"


# --- Frictionless data package ----------------------------------------------------------------


def datapackage_zip(rows: Iterable[list[str]], cols: list[Column], org_name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("cases.csv", csv_bytes(rows)[3:])  # no byte-order mark for machines
        archive.writestr("datapackage.json", json.dumps(descriptor(cols, org_name), indent=2))
        archive.writestr("LICENSE-HTCDS.md", LICENCE.read_bytes())
    return buffer.getvalue()


def descriptor(cols: list[Column], org_name: str) -> dict[str, Any]:
    d = current()
    return {
        "name": "harbour-cases",
        "title": f"Harbour cases: {org_name}",
        "description": f"{d.description.en} {d.attribution.en}",
        "version": str(d.latest),
        "sources": [
            {
                "title": "Human Trafficking Case Data Standard 2.0 (IOM), CC BY 4.0",
                "path": "https://github.com/UNMigration/HTCDS",
            }
        ],
        "resources": [
            {
                "name": "cases",
                "path": "cases.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": _schema(cols),
            }
        ],
    }


def _schema(cols: list[Column]) -> dict[str, Any]:
    version = current().latest
    specs: dict[tuple[str, str], dict[str, Any]] = {}
    for entity in mapping.ENTITIES:
        schema = table_schema(current(), current().entity(entity), version)
        specs |= {(entity, f["name"]): f for f in schema["fields"]}
    fields = [
        {"name": name, "type": "string", "constraints": {"required": True}} for name in REFERENCES
    ]
    fields += [_strip(specs[(c.entity, c.field.id)]) for c in cols]
    return {"fields": fields, "missingValues": [""], "primaryKey": ["case_reference"]}


def _strip(spec: dict[str, Any]) -> dict[str, Any]:
    """Harbour's own keys (x-…) stay out of the published schema."""
    return {k: v for k, v in spec.items() if not k.startswith("x-")}
