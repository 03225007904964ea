"""How sensitive a stored value is. Every model field declares one (invariant 3).

Encryption at rest, exports, scrubbing, erasure and disclosure control all read this declaration
rather than keeping their own lists, so a new field cannot slip past them unclassified.
"""

from collections.abc import Mapping
from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sensitivity(StrEnum):
    # Names or reaches a person on its own: encrypted at rest, never leaves its organisation
    # except to a consented recipient, never in logs, URLs or audit events.
    IDENTIFIER = "identifier"
    # Identifies in combination (age, gender, place, dates): generalised or suppressed in
    # statistics and research extracts.
    QUASI_IDENTIFIER = "quasi_identifier"
    # Intimate facts (exploitation, health, immigration status, Indigenous identity): shared
    # only under consent; counted only through disclosure control.
    SPECIAL_CATEGORY = "special_category"
    # Structural or public data: ids, timestamps, code-list versions, public directory text.
    NONE = "none"

    @property
    def label(self) -> str:
        return str(SENSITIVITY_LABELS[self])


SENSITIVITY_LABELS = {
    Sensitivity.IDENTIFIER: _("Identifier"),
    Sensitivity.QUASI_IDENTIFIER: _("Quasi-identifier"),
    Sensitivity.SPECIAL_CATEGORY: _("Special category"),
    Sensitivity.NONE: _("None"),
}


def declared_sensitivity(model: type[models.Model]) -> dict[str, Sensitivity]:
    """Merge the `sensitivity` declarations along the model's class hierarchy (bases first)."""
    merged: dict[str, Sensitivity] = {}
    for klass in reversed(model.__mro__):
        declared: Mapping[str, Sensitivity] | None = klass.__dict__.get("sensitivity")
        if declared:
            merged.update(declared)
    return merged


def unclassified_fields(model: type[models.Model]) -> list[str]:
    declared = declared_sensitivity(model)
    return [f.name for f in model._meta.concrete_fields if f.name not in declared]


def fields_with(model: type[models.Model], level: Sensitivity) -> list[str]:
    return [name for name, value in declared_sensitivity(model).items() if value == level]
