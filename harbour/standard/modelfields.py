"""Model columns derived from the data dictionary.

A model that stores a dictionary entity inherits an abstract model built here, so the dictionary
stays the single source: a new field in the YAML becomes a column, and `makemigrations --check`
in CI fails until its migration is written. Identifier fields get no column on models that keep
them in an encrypted `sealed` column (see cases/sealing.py).
"""

from typing import Any

from django.db import models

from harbour.core.sensitivity import Sensitivity
from harbour.standard.dictionary import Field, current


def column_for(field: Field) -> "models.Field[Any, Any]":
    """The Django field that stores one dictionary field. Code lists are not DB choices: they
    evolve with dictionary versions, and validation happens in standard.validation."""
    label = field.label.en
    kind = field.type
    if kind == "codes":
        return models.JSONField(label, default=list, blank=True)
    if kind in {"text", "code", "email", "phone", "postal_code"}:
        return models.CharField(label, max_length=field.max_length or 200, blank=True, default="")
    if kind == "long_text":
        return models.TextField(label, blank=True, default="")
    if kind == "integer":
        return models.IntegerField(label, null=True, blank=True)
    if kind == "decimal":
        return models.FloatField(label, null=True, blank=True)
    if kind == "date":
        return models.DateField(label, null=True, blank=True)
    if kind == "boolean":
        return models.BooleanField(label, null=True, blank=True)
    target = {"staff": "accounts.User", "organisation": "orgs.Organisation"}[kind]
    return models.ForeignKey(
        target,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=label,
    )


def dictionary_columns(
    entity_id: str, *, sealed: bool, exclude: frozenset[str] = frozenset()
) -> dict[str, "models.Field[Any, Any]"]:
    entity = current().entity(entity_id)
    return {
        f.id: column_for(f)
        for f in entity.fields
        if f.id not in exclude and not (sealed and f.is_sealed)
    }


def dictionary_model(
    name: str, entity_id: str, *, module: str, sealed: bool, exclude: frozenset[str] = frozenset()
) -> type[models.Model]:
    """An abstract model holding the entity's dictionary columns and their sensitivities.

    `exclude` names fields the concrete model declares by hand (because code refers to them and
    type checkers should see them); a test checks those agree with the dictionary too.
    """
    attrs: dict[str, Any] = dict(dictionary_columns(entity_id, sealed=sealed, exclude=exclude))
    attrs["__module__"] = module
    attrs["Meta"] = type("Meta", (), {"abstract": True})
    attrs["sensitivity"] = entity_sensitivity(entity_id, sealed=sealed)
    attrs["dictionary_entity"] = entity_id
    return type(name, (models.Model,), attrs)


def entity_sensitivity(entity_id: str, *, sealed: bool) -> dict[str, Sensitivity]:
    """Column sensitivities of the model storing this entity (sealed fields are not columns)."""
    entity = current().entity(entity_id)
    return {f.id: f.sensitivity for f in entity.fields if not (sealed and f.is_sealed)}
