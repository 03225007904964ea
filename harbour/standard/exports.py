"""Machine-readable and human-readable renderings of the dictionary: JSON Schema, Frictionless
Table Schema, the HTCDS mapping table and the Markdown reference."""

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harbour.standard.dictionary import Dictionary, Entity, Field, Version

HTCDS_CSV = Path(__file__).parent / "data" / "htcds" / "htcds-2.0-fields.csv"

_JSON_TYPES: dict[str, dict[str, Any]] = {
    "text": {"type": "string"},
    "long_text": {"type": "string"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "date": {"type": "string", "format": "date"},
    "boolean": {"type": "boolean"},
    "code": {"type": "string"},
    "codes": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    "email": {"type": "string", "format": "email"},
    "phone": {"type": "string", "pattern": r"^\+?[1-9]\d{1,14}$"},
    "postal_code": {"type": "string", "pattern": r"^[A-Z]\d[A-Z]( \d[A-Z]\d)?$"},
    "staff": {"type": "string", "format": "uuid"},
    "organisation": {"type": "string", "format": "uuid"},
}


def json_schema(
    dictionary: Dictionary, entity: Entity, version: Version, language: str = "en"
) -> dict[str, Any]:
    """A JSON Schema (2020-12) for one entity's values in one dictionary version."""
    fields = [f for f in entity.offered_fields(version) if not f.computed]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:harbour:standard:{version}:{entity.id}",
        "title": entity.label.in_language(language),
        "description": _describe(entity, dictionary, language),
        "type": "object",
        "additionalProperties": False,
        "properties": {f.id: _json_property(f, version, language) for f in fields},
        "required": [f.id for f in fields if f.required],
        "x-harbour-version": str(version),
    }


def _describe(entity: Entity, dictionary: Dictionary, language: str) -> str:
    text = entity.description.in_language(language) if entity.description else ""
    return f"{text} {dictionary.attribution.in_language(language)}".strip()


def _json_property(field: Field, version: Version, language: str) -> dict[str, Any]:
    prop: dict[str, Any] = {"title": field.label.in_language(language)}
    if field.help:
        prop["description"] = field.help.in_language(language)
    prop |= {k: (dict(v) if isinstance(v, dict) else v) for k, v in _JSON_TYPES[field.type].items()}
    codes = _codes(field, version)
    if field.type == "code":
        prop["enum"] = codes
    elif field.type == "codes":
        prop["items"] = {"type": "string", "enum": codes}
    if field.max_length and field.type in {"text", "long_text"}:
        prop["maxLength"] = field.max_length
    if field.min is not None:
        prop["minimum"] = field.min
    if field.max is not None:
        prop["maximum"] = field.max
    if field.pattern:
        prop["pattern"] = field.pattern
    prop["x-harbour-sensitivity"] = str(field.sensitivity)
    prop["x-harbour-category"] = field.category
    if field.htcds:
        prop["x-htcds"] = {"field": field.htcds.field, "match": field.htcds.match}
    return prop


def _codes(field: Field, version: Version) -> list[str]:
    return [c.code for c in field.codelist.offered(version)] if field.codelist else []


_TABLE_TYPES = {
    "text": "string", "long_text": "string", "integer": "integer", "decimal": "number",
    "date": "date", "boolean": "boolean", "code": "string", "codes": "list", "email": "string",
    "phone": "string", "postal_code": "string", "staff": "string", "organisation": "string",
}  # fmt: skip


def table_schema(dictionary: Dictionary, entity: Entity, version: Version) -> dict[str, Any]:
    """A Frictionless Table Schema for a CSV of one entity (multi-codes separated by `|`)."""
    fields = [f for f in entity.offered_fields(version) if not f.computed]
    return {
        "name": entity.id,
        "title": entity.label.en,
        "description": _describe(entity, dictionary, "en"),
        "fields": [_table_field(f, version) for f in fields],
        "missingValues": [""],
    }


def _table_field(field: Field, version: Version) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": field.id,
        "title": field.label.en,
        "type": _TABLE_TYPES[field.type],
        "description": field.help.en if field.help else field.label.en,
    }
    constraints: dict[str, Any] = {}
    if field.required:
        constraints["required"] = True
    if field.type == "code":
        constraints["enum"] = _codes(field, version)
    if field.type == "codes":
        spec |= {"delimiter": "|", "itemType": "string"}
    if field.type == "boolean":
        spec |= {"trueValues": ["true"], "falseValues": ["false"]}
    if field.type == "date":
        spec["format"] = "%Y-%m-%d"
    if field.max_length and spec["type"] == "string":
        constraints["maxLength"] = field.max_length
    if field.min is not None:
        constraints["minimum"] = field.min
    if field.max is not None:
        constraints["maximum"] = field.max
    if constraints:
        spec["constraints"] = constraints
    spec["x-harbour-sensitivity"] = str(field.sensitivity)
    return spec


# --- HTCDS mapping ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HtcdsRow:
    section: str
    core: bool
    field: str
    label: str
    values: tuple[str, ...]
    mapped_by: tuple[Field, ...]


def htcds_fields(path: Path | None = None) -> list[dict[str, str]]:
    """HTCDS 2.0's field table (a copy of the steering repository's standards file)."""
    with (path or HTCDS_CSV).open(encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["field"] not in ("", "nan")]


def htcds_mapping(dictionary: Dictionary) -> list[HtcdsRow]:
    by_field: dict[str, list[Field]] = {}
    for field in dictionary.all_fields():
        if field.htcds:
            by_field.setdefault(field.htcds.field, []).append(field)
    return [
        HtcdsRow(
            section=row["section"],
            core=row["core"] == "core",
            field=row["field"],
            label=row["label"],
            values=tuple(v for v in row["value_names"].split("|") if v and " " not in v),
            mapped_by=tuple(by_field.get(row["field"], [])),
        )
        for row in htcds_fields()
    ]


# --- Markdown reference -----------------------------------------------------------------------


def markdown(dictionary: Dictionary) -> str:
    return "\n".join(_markdown_lines(dictionary)) + "\n"


def _markdown_lines(d: Dictionary) -> Iterator[str]:
    yield f"# {d.title.en} / {d.title.fr}"
    yield ""
    yield "<!-- Generated by `harbour standard docs` from harbour/standard/data/dictionary. -->"
    yield "<!-- Do not edit by hand: a test fails when this file is out of date. -->"
    yield ""
    yield d.description.en
    yield ""
    yield f"Version {d.latest}. {d.attribution.en}"
    yield ""
    yield "## Consent categories"
    yield ""
    for c in d.categories:
        yield f"- **{c.label.en}** / *{c.label.fr}* (`{c.id}`): {c.description.en}"
    for entity in d.entities.values():
        yield from _entity_lines(entity)
    yield ""
    yield "## Code lists"
    for codelist in d.codelists.values():
        yield from _codelist_lines(codelist)


def _entity_lines(entity: Entity) -> Iterator[str]:
    yield ""
    yield f"## {entity.label.en} / {entity.label.fr} (`{entity.id}`)"
    yield ""
    if entity.description:
        yield entity.description.en
        yield ""
    yield "| field | label (EN / FR) | type | req. | core | sensitivity | category | HTCDS 2.0 |"
    yield "|---|---|---|---|---|---|---|---|"
    for f in entity.fields:
        kind = f"{f.type} ({f.codelist.id})" if f.codelist else f.type
        htcds = f"{f.htcds.field} ({f.htcds.match})" if f.htcds else ""
        status = f" *(deprecated {f.lifetime.deprecated})*" if f.lifetime.deprecated else ""
        yield (
            f"| `{f.id}`{status} | {f.label.en} / {f.label.fr} | {kind} | "
            f"{'yes' if f.required else ''} | {'yes' if f.core else ''} | {f.sensitivity} | "
            f"{f.category} | {htcds} |"
        )


def _codelist_lines(codelist: Any) -> Iterator[str]:
    yield ""
    yield f"### {codelist.label.en} / {codelist.label.fr} (`{codelist.id}`)"
    yield ""
    if codelist.source:
        yield f"Generated from `{codelist.source}` ({len(codelist.codes)} codes)."
        return
    yield "| code | English | French | HTCDS |"
    yield "|---|---|---|---|"
    for c in codelist.codes:
        yield f"| `{c.code}` | {c.label.en} | {c.label.fr} | {c.htcds or ''} |"
