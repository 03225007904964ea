"""The common terminology over the API: public (no token needed)."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from harbour.core.errors import NotFound
from harbour.standard.dictionary import DictionaryError, Version, current
from harbour.standard.exports import json_schema, table_schema

router = Router(tags=["standard"], auth=None)


class EntitySummary(Schema):
    id: str
    label: dict[str, str]
    fields: int
    json_schema_url: str
    table_schema_url: str


class StandardOut(Schema):
    id: str
    title: dict[str, str]
    latest_version: str
    versions: list[str]
    attribution: dict[str, str]
    entities: list[EntitySummary]
    codelists: list[str]


def _version(text: str | None) -> Version:
    try:
        return current().version(text) if text else current().latest
    except DictionaryError:
        raise NotFound() from None


@router.get("", response=StandardOut, summary="The dictionary: versions, records, code lists")
def standard(request: HttpRequest) -> dict[str, Any]:
    d = current()
    return {
        "id": d.id,
        "title": d.title.as_dict(),
        "latest_version": str(d.latest),
        "versions": [str(v.version) for v in d.versions],
        "attribution": d.attribution.as_dict(),
        "entities": [
            {
                "id": e.id,
                "label": e.label.as_dict(),
                "fields": len(e.fields),
                "json_schema_url": f"/api/v1/standard/entities/{e.id}/json-schema",
                "table_schema_url": f"/api/v1/standard/entities/{e.id}/table-schema",
            }
            for e in d.entities.values()
        ],
        "codelists": sorted(d.codelists),
    }


def _entity(entity_id: str) -> Any:
    if entity_id not in current().entities:
        raise NotFound()
    return current().entity(entity_id)


@router.get("/entities/{entity_id}/json-schema", summary="JSON Schema of a record type")
def entity_json_schema(
    request: HttpRequest, entity_id: str, version: str | None = None, lang: str = "en"
) -> dict[str, Any]:
    return json_schema(current(), _entity(entity_id), _version(version), lang)


@router.get("/entities/{entity_id}/table-schema", summary="Frictionless Table Schema")
def entity_table_schema(
    request: HttpRequest, entity_id: str, version: str | None = None
) -> dict[str, Any]:
    return table_schema(current(), _entity(entity_id), _version(version))


class CodeOut(Schema):
    code: str
    label: dict[str, str]
    htcds: str | None
    since: str
    deprecated: str | None


class CodeListOut(Schema):
    id: str
    label: dict[str, str]
    source: str | None
    codes: list[CodeOut]


@router.get("/codelists/{list_id}", response=CodeListOut, summary="A code list, EN/FR")
def codelist(request: HttpRequest, list_id: str) -> dict[str, Any]:
    found = current().codelists.get(list_id)
    if found is None:
        raise NotFound()
    return {
        "id": found.id,
        "label": found.label.as_dict(),
        "source": found.source,
        "codes": [
            {
                "code": c.code,
                "label": c.label.as_dict(),
                "htcds": c.htcds,
                "since": str(c.lifetime.since),
                "deprecated": str(c.lifetime.deprecated) if c.lifetime.deprecated else None,
            }
            for c in found.codes
        ],
    }
