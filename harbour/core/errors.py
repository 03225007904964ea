"""Domain errors: raised by actions and policies, turned into messages by the interfaces.

Each error carries a stable machine `code` (for the API and tests) and a translatable message
(for people). Messages never include survivors' data: they name fields, not values.
"""

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext


class DomainError(Exception):
    code = "error"
    status = 400
    default_message: str | Promise = _("The request could not be completed.")

    def __init__(self, message: str | Promise | None = None, *, code: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        super().__init__(str(self.message))


class NotFound(DomainError):
    """Missing and forbidden look the same from outside (invariant 1)."""

    code = "not_found"
    status = 404
    default_message = _("Not found.")


class Forbidden(DomainError):
    """Only for actions on records the user may already see (e.g. a caseworker closing a case)."""

    code = "forbidden"
    status = 403
    default_message = _("You are not allowed to do this.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _("This conflicts with the current state of the record.")


class TooManyAttempts(DomainError):
    """Guessing is slowed down: too many misses in a short time."""

    code = "too_many_attempts"
    status = 429
    default_message = _("Too many attempts. Wait a few minutes and try again.")


class InvalidInput(DomainError):
    """Field-level validation failure: `errors` maps a field name to its messages."""

    code = "invalid"
    status = 422
    default_message = _("Some values are not valid. Nothing was saved.")

    def __init__(
        self,
        errors: Mapping[str, list[str | Promise]] | None = None,
        message: str | Promise | None = None,
        *,
        code: str | None = None,
    ) -> None:
        self.errors: dict[str, list[str | Promise]] = dict(errors or {})
        super().__init__(message, code=code)

    def as_dict(self) -> dict[str, Any]:
        return {field: [str(m) for m in msgs] for field, msgs in self.errors.items()}


def parsed_id(value: Any) -> uuid.UUID:
    """An id that came from outside (a URL, a query string, a form, JSON): a malformed one is
    simply not found — never a server error, and no different from a record that is missing."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise NotFound() from None


def joined(messages: Iterable[object]) -> str:
    """Several messages on one line of a command's output, with the language's separator:
    French sets a narrow no-break space before a semicolon."""
    return pgettext("between messages on one line", "; ").join(str(m) for m in messages)


def one_line(exc: DomainError) -> str:
    """A refusal's messages, every field's, on one line (for the command line)."""
    errors = getattr(exc, "errors", None) or {"": [exc.message]}
    return joined(m for messages in errors.values() for m in messages)
