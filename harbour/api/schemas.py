"""API schemas generated from the data dictionary.

Input models accept any JSON value per field and forbid unknown keys: the dictionary validator
(the same one the web forms use) checks the values, so messages are specific and translated.
The OpenAPI document still shows each field's exact type, codes and limits, taken from the
dictionary's JSON Schema export.
"""

from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field, create_model

from harbour.standard.dictionary import Entity, current
from harbour.standard.exports import _json_property


def _field_schema(entity: Entity, field_id: str) -> dict[str, Any]:
    field = entity.field(field_id)
    return _json_property(field, current().latest, "en")


def input_model(name: str, entity_id: str, *, skip: frozenset[str] = frozenset()) -> type[Schema]:
    entity = current().entity(entity_id)
    fields: dict[str, Any] = {
        f.id: (Any, Field(default=None, json_schema_extra=_field_schema(entity, f.id)))
        for f in entity.offered_fields(current().latest)
        if not f.computed and f.id not in skip
    }
    return create_model(name, __base__=_Strict, **fields)


def output_model(name: str, entity_id: str, extra: dict[str, Any]) -> type[Schema]:
    entity = current().entity(entity_id)
    fields: dict[str, Any] = {
        f.id: (Any, Field(default=None, json_schema_extra=_field_schema(entity, f.id)))
        for f in entity.fields
    }
    return create_model(name, __base__=Schema, **(extra | fields))


class _Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


class ErrorOut(Schema):
    error: ErrorBody


class Page(Schema):
    count: int
    page: int
    page_size: int
    next_page: int | None
    results: list[Any]
