"""Reading and writing dictionary values on the models that store them.

A dictionary field lives either in a column of the same name or, for identifier fields, inside the
record's encrypted `sealed` payload. Callers work with one flat mapping of field id → value and
never need to know which.
"""

import uuid
from typing import Any

from django.db import models

from harbour.orgs import crypto
from harbour.standard.dictionary import Entity, Field, current


def entity_of(model: type[models.Model] | models.Model) -> Entity:
    return current().entity(model.dictionary_entity)  # type: ignore[union-attr]


def _column_name(field: Field) -> str:
    return f"{field.id}_id" if field.type in {"staff", "organisation"} else field.id


def read_values(record: models.Model, *, with_identity: bool) -> dict[str, Any]:
    """All dictionary values of a record; sealed ones only when the caller may see them
    (callers that pass `with_identity=True` must audit the read)."""
    entity = entity_of(record)
    values: dict[str, Any] = {}
    sealed = crypto.open_record(record) if with_identity else {}
    for field in entity.fields:
        if field.is_sealed:
            if with_identity:
                values[field.id] = _from_json(field, sealed.get(field.id))
        else:
            values[field.id] = getattr(record, _column_name(field))
    return values


def apply_values(record: models.Model, cleaned: dict[str, Any]) -> list[str]:
    """Set validated values on the record (not saved); returns the ids of changed fields."""
    entity = entity_of(record)
    changed: list[str] = []
    sealed_now = crypto.open_record(record)
    sealed_new = dict(sealed_now)
    for field_id, value in cleaned.items():
        field = entity.field(field_id)
        if field.is_sealed:
            sealed_new[field_id] = _to_json(value)
            if sealed_now.get(field_id) != sealed_new[field_id]:
                changed.append(field_id)
            continue
        stored = _to_column(field, value)
        if getattr(record, _column_name(field)) != stored:
            setattr(record, _column_name(field), stored)
            changed.append(field_id)
    if sealed_new != sealed_now:
        record.sealed = crypto.seal_record(record, sealed_new)  # type: ignore[attr-defined]
    return changed


def _to_column(field: Field, value: Any) -> Any:
    if value is None and field.type in {
        "text",
        "code",
        "email",
        "phone",
        "postal_code",
        "long_text",
    }:
        return ""
    if value is None and field.type == "codes":
        return []
    return value


def _to_json(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _from_json(field: Field, value: Any) -> Any:
    if value is None:
        return None
    if field.type == "date":
        import datetime as dt

        return dt.date.fromisoformat(value)
    return value


def display_value(field: Field, value: Any) -> str:
    """A value as a person reads it, in the current language."""
    if value in (None, "", []):
        return ""
    if field.codelist is not None:
        codes = value if isinstance(value, list) else [value]
        return ", ".join(field.codelist.label_of(c) for c in codes)
    if field.type == "boolean":
        from django.utils.translation import gettext

        return gettext("Yes") if value else gettext("No")
    return str(value)


def sealed_shown(entity_id: str, values: dict[str, Any], prefix: str = "") -> list[str]:
    """The identifying fields that hold a value here: what a read of these values reveals."""
    sealed = {f.id for f in current().entity(entity_id).fields if f.is_sealed}
    return [prefix + k for k, v in values.items() if k in sealed and v not in (None, "", [])]
