"""Showing domain errors on Django forms."""

import uuid
from typing import Any

from django import forms

from harbour.core.errors import DomainError, InvalidInput


def show_errors(form: forms.Form, error: DomainError) -> None:
    """Attach an action's errors to the form fields they name (others to the whole form)."""
    if isinstance(error, InvalidInput) and error.errors:
        for name, messages in error.errors.items():
            for message in messages:
                form.add_error(name if name in form.fields else None, str(message))
        return
    form.add_error(None, str(error.message))


def set_choices(form: forms.Form, name: str, choices: Any) -> None:
    """Give a choice field its options at run time (they come from the dictionary or the DB)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def uuid_or_none(value: Any) -> uuid.UUID | None:
    """A submitted id, or None when it is missing or not an id (never an exception)."""
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None
