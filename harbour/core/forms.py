"""Showing domain errors on Django forms."""

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
