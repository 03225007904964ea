"""Checking the values of funders, programs, awards, profiles and committees.

One checker for every interface: forms and the API send typed values, a CSV file sends text, and
all of them get the same translated, field-by-field errors (nothing is saved if any is wrong).
"""

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from harbour.core.errors import InvalidInput
from harbour.grants.models import FunderKind, Group, Pillar, Population, Recurrence

MAX_AMOUNT = 1_000_000_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,59}$")
_PHONE = re.compile(r"^\+?[0-9 ().-]{7,25}$")


def provinces() -> set[str]:
    from harbour.directory.places import provinces as known

    return set(known())


def org_types() -> set[str]:
    from harbour.standard.dictionary import current

    return {c.code for c in current().codelists["organisation_type"].codes}


def languages() -> set[str]:
    from harbour.standard.dictionary import current

    return {c.code for c in current().codelists["language"].codes}


class Checker:
    """Collects every problem of one record, then raises them all at once."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.errors: dict[str, list[str | Promise]] = {}
        self.out: dict[str, Any] = {}

    def fail(self, name: str, message: str | Promise) -> None:
        self.errors.setdefault(name, []).append(message)

    def given(self, name: str) -> Any:
        value = self.raw.get(name)
        return value.strip() if isinstance(value, str) else value

    def done(self) -> dict[str, Any]:
        if self.errors:
            raise InvalidInput(self.errors)
        return self.out

    # --- kinds of value ---------------------------------------------------------------------

    def text(
        self, name: str, *, required: bool = False, limit: int = 200, lines: bool = False
    ) -> None:
        value = self.given(name)
        if value in (None, ""):
            if required:
                self.fail(name, _("This field is required."))
            self.out[name] = ""
            return
        if not isinstance(value, str):
            self.fail(name, _("Enter text."))
            return
        value = unicodedata.normalize("NFC", value)
        if _CONTROL.search(value) or (not lines and ("\n" in value or "\r" in value)):
            self.fail(name, _("Remove the control characters or line breaks from this text."))
        elif len(value) > limit:
            self.fail(
                name, _("Shorten this text to at most %(limit)s characters.") % {"limit": limit}
            )
        elif value.startswith(FORMULA_START):
            self.fail(
                name,
                _(
                    "Text may not start with =, +, -, @ or a tab: spreadsheets would run it as a "
                    "formula."
                ),
            )
        else:
            self.out[name] = value

    def slug(self, name: str) -> None:
        value = self.given(name)
        if not isinstance(value, str) or not _SLUG.match(value):
            self.fail(
                name,
                _(
                    "Use 2 to 60 lower-case letters, digits and hyphens (for example "
                    "food-bank-2027)."
                ),
            )
        else:
            self.out[name] = value

    def choice(self, name: str, allowed: Iterable[str], *, required: bool = True) -> None:
        value = self.given(name)
        if value in (None, "") and not required:
            self.out[name] = ""
        elif not isinstance(value, str) or value not in set(allowed):
            self.fail(name, _("Choose one of the listed options."))
        else:
            self.out[name] = value

    def choices(self, name: str, allowed: Iterable[str], message: str | Promise) -> None:
        value = self.given(name)
        if value in (None, ""):
            value = []
        if isinstance(value, str):
            value = [v.strip() for v in re.split(r"[;,]", value) if v.strip()]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            self.fail(name, _("Send a list of codes."))
            return
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            shown = ", ".join(u[:20] for u in unknown[:5])
            self.fail(name, _("%(message)s: %(codes)s") % {"message": message, "codes": shown})
        else:
            self.out[name] = sorted(set(value), key=list(value).index)

    def amount(self, name: str, *, required: bool = True, default: int = 0) -> None:
        self.integer(name, 0, MAX_AMOUNT, required=required, default=default)

    def integer(
        self, name: str, low: int, high: int, *, required: bool = True, default: int = 0
    ) -> None:
        value = self.given(name)
        if value in (None, "") and not required:
            self.out[name] = default
            return
        number = _as_int(value)
        if number is None:
            self.fail(name, _("Enter a whole number."))
        elif not low <= number <= high:
            self.fail(
                name,
                _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high},
            )
        else:
            self.out[name] = number

    def date(self, name: str) -> None:
        value = self.given(name)
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                value = None
        if not isinstance(value, dt.date) or not 1990 <= value.year <= 2100:
            self.fail(name, _("Enter a date as YYYY-MM-DD."))
        else:
            self.out[name] = value

    def checked(self, name: str, check: Callable[[str], None], message: str | Promise) -> None:
        value = self.given(name) or ""
        if not isinstance(value, str):
            self.fail(name, message)
            return
        try:
            if value:
                check(value)
        except ValidationError:
            self.fail(name, message)
            return
        self.out[name] = value

    def url(self, name: str) -> None:
        self.checked(
            name, URLValidator(schemes=["https", "http"]), _("Enter a web address (https://…).")
        )

    def boolean(self, name: str, default: bool) -> None:
        value = self.given(name)
        if value in (None, ""):
            self.out[name] = default
        elif isinstance(value, bool):
            self.out[name] = value
        elif isinstance(value, str) and value.lower() in {"true", "false", "yes", "no", "1", "0"}:
            self.out[name] = value.lower() in {"true", "yes", "1"}
        else:
            self.fail(name, _("Enter true or false."))

    def ordered(self, low: str, high: str, message: str | Promise) -> None:
        if low in self.out and high in self.out and self.out[low] > self.out[high]:
            self.fail(high, message)


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,12}", value.replace(" ", "")):
        return int(value.replace(" ", ""))
    return None


MSG_PROVINCES = _("Unknown province or territory codes (use CA-ON, CA-QC…)")
MSG_PILLARS = _("Unknown pillars (use prevention, protection, prosecution, partnerships)")
MSG_POPULATIONS = _("Unknown populations")
MSG_ORG_TYPES = _("Unknown types of organisation")
MSG_LANGUAGES = _("Unknown language codes (use ISO 639-3, such as eng, fra, iku)")


def clean_funder(raw: Mapping[str, Any]) -> dict[str, Any]:
    c = Checker(raw)
    c.slug("short_name")
    c.text("name_en", required=True)
    c.text("name_fr", required=True)
    c.choice("kind", FunderKind.values)
    c.choice("province", provinces(), required=False)
    c.url("website")
    c.boolean("is_synthetic", False)
    return c.done()


def clean_program(raw: Mapping[str, Any]) -> dict[str, Any]:
    c = Checker(raw)
    c.slug("code")
    c.text("name_en", required=True)
    c.text("name_fr", required=True)
    c.text("description_en", limit=4000, lines=True)
    c.text("description_fr", limit=4000, lines=True)
    c.choices("pillars", Pillar.values, MSG_PILLARS)
    c.choices("populations", Population.values, MSG_POPULATIONS)
    c.choices("provinces", provinces(), MSG_PROVINCES)
    c.choices("org_types", org_types(), MSG_ORG_TYPES)
    c.amount("amount_min", required=False)
    c.amount("amount_max")
    c.ordered(
        "amount_min", "amount_max", _("The largest amount cannot be below the smallest amount.")
    )
    c.integer("term_years", 1, 10, required=False, default=1)
    c.date("opens_on")
    c.date("deadline")
    c.ordered("opens_on", "deadline", _("The deadline cannot come before intake opens."))
    c.choice("recurrence", Recurrence.values, required=False)
    c.out["recurrence"] = c.out.get("recurrence") or Recurrence.ONCE
    c.url("url")
    c.boolean("is_active", True)
    c.boolean("is_synthetic", False)
    return c.done()


def clean_award(raw: Mapping[str, Any]) -> dict[str, Any]:
    c = Checker(raw)
    c.integer("amount", 1, MAX_AMOUNT)
    c.date("starts_on")
    c.date("ends_on")
    c.ordered("starts_on", "ends_on", _("The award cannot end before it starts."))
    c.choice("province", provinces())
    c.choices("pillars", Pillar.values, MSG_PILLARS)
    c.choices("populations", Population.values, MSG_POPULATIONS)
    c.text("purpose_en", required=True, limit=300)
    c.text("purpose_fr", limit=300)
    c.boolean("is_synthetic", False)
    return c.done()


def clean_profile(raw: Mapping[str, Any]) -> dict[str, Any]:
    c = Checker(raw)
    c.choice("group", Group.values)
    c.choices("regions", provinces(), MSG_PROVINCES)
    c.choices("pillars", Pillar.values, MSG_PILLARS)
    c.choices("populations", Population.values, MSG_POPULATIONS)
    c.choices("languages", languages(), MSG_LANGUAGES)
    c.text("summary_en", limit=2000, lines=True)
    c.text("summary_fr", limit=2000, lines=True)
    c.url("website")
    c.text("contact_name")
    c.checked("contact_email", EmailValidator(), _("Enter a valid e-mail address."))
    c.checked("contact_phone", _phone, _("Enter a telephone number (digits, spaces, + - ( ))."))
    return c.done()


def clean_committee(raw: Mapping[str, Any]) -> dict[str, Any]:
    c = Checker(raw)
    c.slug("code")
    c.text("name_en", required=True)
    c.text("name_fr", required=True)
    c.choice("province", provinces(), required=False)
    c.text("mandate_en", limit=2000, lines=True)
    c.text("mandate_fr", limit=2000, lines=True)
    return c.done()


def _phone(value: str) -> None:
    if not _PHONE.match(value):
        raise ValidationError("phone")
