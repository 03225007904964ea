"""Server-side validation of values against the data dictionary.

Every interface (web forms, API, imports) funnels values through `validate`, so a rule is written
once and a French-speaking user gets the same specific message wherever the value came from.
Messages name the problem, never echo the value: the value may identify a survivor.
"""

import datetime as dt
import math
import re
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from harbour.core.errors import InvalidInput
from harbour.standard.dictionary import Entity, Field, Version

E164 = re.compile(r"^\+?[1-9]\d{1,14}$")
POSTAL = re.compile(r"^([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPR-TV-Z])(?: ?(\d[ABCEGHJ-NPR-TV-Z]\d))?$")
# Control characters other than tab and newlines are never legitimate in a form field.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A spreadsheet treats a cell starting with these as a formula (CSV/formula injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

MSG_REQUIRED = _("This field is required.")
MSG_UNKNOWN_FIELD = _("This field is not part of the standard.")
MSG_RETIRED_FIELD = _("This field is no longer collected in this version of the standard.")
MSG_COMPUTED = _("This value is calculated by Harbour and cannot be entered.")
MSG_CHOOSE = _("Choose one of the listed options.")


class FieldError(Exception):
    def __init__(self, message: str | Promise) -> None:
        self.message = message
        super().__init__(str(message))


def validate(
    entity: Entity,
    values: Mapping[str, Any],
    *,
    version: Version,
    existing: Mapping[str, Any] | None = None,
    partial: bool = False,
) -> dict[str, Any]:
    """Check and normalise `values` for `entity`; raise InvalidInput listing every problem.

    `existing` holds the record's current values: a deprecated field or code may keep the value it
    already has (old records stay valid) but may not be given a new one. With `partial`, fields
    that are absent are left alone (an update); otherwise required fields must be present.
    """
    existing = existing or {}
    errors: dict[str, list[str | Promise]] = {}
    cleaned: dict[str, Any] = {}
    known = {f.id: f for f in entity.existing_fields(version)}
    for key in values:
        if key not in known:
            errors[key] = [MSG_UNKNOWN_FIELD]
    for field in known.values():
        if field.id not in values:
            if not partial and field.required and field.lifetime.offered_in(version):
                errors[field.id] = [MSG_REQUIRED]
            continue
        try:
            cleaned[field.id] = _one(field, values[field.id], version, existing.get(field.id))
        except FieldError as exc:
            errors[field.id] = [exc.message]
    if errors:
        raise InvalidInput(errors)
    return cleaned


def _one(field: Field, raw: Any, version: Version, current: Any) -> Any:
    if field.computed:
        raise FieldError(MSG_COMPUTED)
    value = clean_value(field, raw)
    if _is_empty(value):
        if field.required:
            raise FieldError(MSG_REQUIRED)
        return [] if field.is_multi else None
    if not field.lifetime.offered_in(version) and value != current:
        raise FieldError(MSG_RETIRED_FIELD)
    if field.codelist is not None:
        _check_codes(field, value, version, current)
    return value


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def clean_value(field: Field, raw: Any) -> Any:
    """Type-check and normalise one raw value (a form string or a JSON value)."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    return _CLEANERS[field.type](field, raw)


# --- one cleaner per field type ---------------------------------------------------------------


def _text(field: Field, raw: Any) -> str:
    if not isinstance(raw, str):
        raise FieldError(_("Enter text."))
    text = unicodedata.normalize("NFC", raw).strip()
    multiline = field.type == "long_text"
    if _CONTROL.search(text) or (not multiline and ("\n" in text or "\r" in text)):
        raise FieldError(_("Remove the control characters or line breaks from this text."))
    if field.max_length and len(text) > field.max_length:
        raise FieldError(
            _("Shorten this text to at most %(limit)s characters.") % {"limit": field.max_length}
        )
    if text.startswith(_FORMULA_START if not multiline else ("=", "@")):
        raise FieldError(
            _(
                "Text may not start with =, +, -, @ or a tab: spreadsheets would run it as a "
                "formula."
            )
        )
    if field.pattern and not re.fullmatch(field.pattern, text):
        message = field.pattern_message
        raise FieldError(str(message) if message else _("Enter a value in the expected format."))
    return text


def _integer(field: Field, raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise FieldError(_("Enter a whole number."))
    if isinstance(raw, str):
        if not re.fullmatch(r"-?\d{1,12}", raw.strip()):
            raise FieldError(_("Enter a whole number."))
        raw = int(raw.strip())
    _check_range(field, raw)
    return int(raw)


def _decimal(field: Field, raw: Any) -> float:
    if isinstance(raw, bool):
        raise FieldError(_("Enter a number."))
    try:
        number = float(raw.strip() if isinstance(raw, str) else raw)
    except (TypeError, ValueError):
        raise FieldError(_("Enter a number.")) from None
    if not math.isfinite(number):
        raise FieldError(_("Enter a number."))
    _check_range(field, number)
    return number


def _check_range(field: Field, number: float) -> None:
    if field.min is not None and number < field.min:
        raise FieldError(_("Enter a number of at least %(min)s.") % {"min": _fmt(field.min)})
    if field.max is not None and number > field.max:
        raise FieldError(_("Enter a number of at most %(max)s.") % {"max": _fmt(field.max)})


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _date(field: Field, raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, str):
        try:
            raw = dt.date.fromisoformat(raw.strip())
        except ValueError:
            raise FieldError(_("Enter a real date as YYYY-MM-DD.")) from None
    if not isinstance(raw, dt.date):
        raise FieldError(_("Enter a real date as YYYY-MM-DD."))
    if raw.year < 1900:
        raise FieldError(_("Enter a date after 1900."))
    if field.not_future and raw > timezone.localdate():
        raise FieldError(_("This date cannot be in the future."))
    return raw


def _boolean(field: Field, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in {"true", "false", "yes", "no", "on", "off"}:
        return raw.lower() in {"true", "yes", "on"}
    raise FieldError(_("Answer yes or no."))


def _code(field: Field, raw: Any) -> str:
    if not isinstance(raw, str):
        raise FieldError(MSG_CHOOSE)
    return raw.strip()


def _codes(field: Field, raw: Any) -> list[str]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list | tuple) or not all(isinstance(c, str) for c in raw):
        raise FieldError(_("Choose from the listed options."))
    return sorted({c.strip() for c in raw if c.strip()})


def _email(field: Field, raw: Any) -> str:
    text = _text(field, raw)
    try:
        validate_email(text)
    except DjangoValidationError:
        raise FieldError(_("Enter a valid e-mail address.")) from None
    return text.lower()


def _phone(field: Field, raw: Any) -> str:
    if not isinstance(raw, str):
        raise FieldError(_("Enter a phone number."))
    digits = re.sub(r"[\s().-]", "", raw)
    if re.fullmatch(r"\d{10}", digits):
        digits = "+1" + digits  # a North American number typed without its country code
    if not E164.match(digits):
        raise FieldError(_("Enter a phone number with its country code, such as +1 416 555 0199."))
    return digits if digits.startswith("+") else "+" + digits


def _postal_code(field: Field, raw: Any) -> str:
    if not isinstance(raw, str):
        raise FieldError(_("Enter a Canadian postal code such as K1A 0B1, or its first three."))
    match = POSTAL.match(raw.strip().upper())
    if not match:
        raise FieldError(_("Enter a Canadian postal code such as K1A 0B1, or its first three."))
    return " ".join(part for part in match.groups() if part)


def _reference(field: Field, raw: Any) -> uuid.UUID:
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except ValueError:
        raise FieldError(MSG_CHOOSE) from None


_CLEANERS: dict[str, Callable[[Field, Any], Any]] = {
    "text": _text,
    "long_text": _text,
    "integer": _integer,
    "decimal": _decimal,
    "date": _date,
    "boolean": _boolean,
    "code": _code,
    "codes": _codes,
    "email": _email,
    "phone": _phone,
    "postal_code": _postal_code,
    "staff": _reference,
    "organisation": _reference,
}


def _check_codes(field: Field, value: Any, version: Version, current: Any) -> None:
    assert field.codelist is not None
    held = set(current or []) if field.is_multi else {current}
    for code in value if field.is_multi else [value]:
        found = field.codelist.get(code)
        if found is None or not found.lifetime.exists_in(version):
            raise FieldError(MSG_CHOOSE)
        if not found.lifetime.offered_in(version) and code not in held:
            raise FieldError(_("One of the chosen options is no longer offered."))
