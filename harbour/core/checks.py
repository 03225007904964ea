"""System checks that enforce project invariants at start-up (`harbour check`)."""

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.core.checks import Error, register
from django.db import models

from harbour.core.sensitivity import unclassified_fields


def sensitivity_errors(candidates: Iterable[type[models.Model]]) -> list[Error]:
    errors = []
    for model in candidates:
        if not model.__module__.startswith("harbour."):
            continue
        for name in unclassified_fields(model):
            errors.append(
                Error(
                    f"{model._meta.label}.{name} does not declare its sensitivity.",
                    hint="Add it to the model's `sensitivity` mapping.",
                    obj=model,
                    id="harbour.E001",
                )
            )
    return errors


@register("harbour")
def check_sensitivity_declared(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Invariant 3: every field of every Harbour model declares its sensitivity."""
    return sensitivity_errors(apps.get_models())
