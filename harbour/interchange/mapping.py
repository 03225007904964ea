"""Which dictionary field a column holds, and what a cell means in the dictionary's terms.

A column is recognised by the field's id (`given_name`, `survivor.given_name`), its HTCDS 2.0
name or label (`prs_FirstName`, "First Name"), or its English or French label; KoBoToolbox and
ODK group prefixes (`survivor/given_name`, `survivor-given_name`) are dropped. A code list cell
may hold the code, its English or French label, or its HTCDS value. Anything not understood is
passed on unchanged so the intake's validation names the problem in the user's language.
"""

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from harbour.cases.actions import PROTECTED_CASE_FIELDS
from harbour.standard.dictionary import Field, current
from harbour.standard.exports import htcds_fields

ENTITIES = ("survivor", "case")
# Columns Harbour fills itself or that refer to other records: never taken from a file.
SKIPPED = frozenset(PROTECTED_CASE_FIELDS) | {"referred_by_org"}
# ... except a case's status and closure, which an import of past cases carries (HTCDS
# cas_Status, cas_ReasonForCaseClosure): checked by `cases.bulk.check_imported_status`.
IMPORTED_STATUS = frozenset({"status", "closure_reason", "closure_details"})
# ... and its owner (HTCDS cas_CaseOwner): an e-mail address, matched to a member of the
# importing organisation's staff by `imports`, never written as the file's text (ADR 21).
OWNER = "owner"
NOT_IMPORTED = SKIPPED - IMPORTED_STATUS - {OWNER}
# Columns of Harbour's own exports that identify the record rather than describe it.
REFERENCE_COLUMNS = frozenset({"case_reference", "survivor_reference", "harbour_case_reference"})
# Submission metadata KoBoToolbox and ODK add to every export.
META_COLUMNS = frozenset(
    {
        "start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber",
        "username", "audit", "instanceid", "instancename", "key", "submissiondate",
        "submitterid", "submittername", "attachmentspresent", "attachmentsexpected", "status",
        "reviewstate", "edits", "formversion", "parent_key",
    }
)  # fmt: skip
_BOOLEANS = {
    "true": True, "yes": True, "oui": True, "vrai": True, "y": True, "o": True, "1": True,
    "false": False, "no": False, "non": False, "faux": False, "n": False, "0": False,
}  # fmt: skip
# The HTCDS 2.0 Excel template spells one field name differently from the field standard.
TEMPLATE_SPELLINGS = {
    "vic_TraffickinStatusDecisionMakingOrg": "vic_TraffickingStatusDecisionMakingOrg"
}
_SPLIT = re.compile(r"\s*[|;]\s*")


@dataclass(frozen=True)
class Target:
    entity: str
    field: Field

    @property
    def key(self) -> str:
        return f"{self.entity}.{self.field.id}"


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text)).casefold().strip()
    return re.sub(r"[\s_]+", " ", text)


@cache
def _aliases() -> dict[str, Target]:
    """Every name a column may carry → its target; earlier kinds of name win a clash."""
    names: dict[str, Target] = {}
    targets = [
        Target(e, f)
        for e in ENTITIES
        for f in current().entity(e).offered_fields(current().latest)
        if not f.computed and f.id not in NOT_IMPORTED
    ]
    for t in targets:
        for name in (t.field.id, t.key, f"{t.entity}__{t.field.id}"):
            names.setdefault(normalise(name), t)
    for htcds_name, t in htcds_targets().items():
        names.setdefault(normalise(htcds_name), t)
    for spelling, htcds_name in TEMPLATE_SPELLINGS.items():
        if htcds_name in htcds_targets():
            names.setdefault(normalise(spelling), htcds_targets()[htcds_name])
    for row in htcds_fields():
        if row["field"] in htcds_targets():
            names.setdefault(normalise(row["label"]), htcds_targets()[row["field"]])
    for t in targets:
        for label in (t.field.label.en, t.field.label.fr):
            names.setdefault(normalise(label), t)
    return names


@cache
def htcds_targets() -> dict[str, Target]:
    """HTCDS field name → the one Harbour field that carries it (an exact match first, then a
    free-text field, so a location written as text is never forced into a code list)."""
    found: dict[str, list[Target]] = {}
    for entity in ENTITIES:
        for f in current().entity(entity).offered_fields(current().latest):
            if f.htcds and not f.computed and f.id not in NOT_IMPORTED:
                found.setdefault(f.htcds.field, []).append(Target(entity, f))
    rank = {"exact": 0, "close": 1, "narrower": 2, "broader": 3, "related": 4}

    def order(t: Target) -> tuple[int, int]:
        assert t.field.htcds is not None
        return (rank.get(t.field.htcds.match, 5), 0 if t.field.type == "text" else 1)

    return {name: sorted(ts, key=order)[0] for name, ts in found.items()}


@cache
def htcds_known() -> frozenset[str]:
    """Every HTCDS field name, mapped or not (unmapped ones are ignored with a warning)."""
    return frozenset(normalise(r["field"]) for r in htcds_fields()) | frozenset(
        normalise(r["label"]) for r in htcds_fields()
    )


def targets() -> list[Target]:
    """Every field a column may hold, in the dictionary's order."""
    return list({t.key: t for t in _aliases().values()}.values())


# A column of dates written with day and month as numbers (03/05/2024) is read only in the order
# chosen for it: the column's choice is then "<field key>@dmy" or "<field key>@mdy".
DATE_ORDERS = ("dmy", "mdy")


def split_choice(choice: str) -> tuple[str, str | None]:
    """A column's choice → (field key, date order or None)."""
    key, _sep, order = choice.partition("@")
    return key, (order if order in DATE_ORDERS else None)


def choice_keys() -> list[tuple[Target, str | None]]:
    """Every choice a column offers: each field, and each date field in either order."""
    return [
        (t, order)
        for t in targets()
        for order in ((None, *DATE_ORDERS) if t.field.type == "date" else (None,))
    ]


def target_by_key(key: str) -> Target | None:
    return next((t for t in targets() if t.key == key), None)


def target_of(header: str) -> Target | None:
    aliases = _aliases()
    name = normalise(header)
    if name in aliases:
        return aliases[name]
    last = re.split(r"[/-]", name)[-1].strip()
    return aliases.get(last)


def is_choice_column(header: str) -> bool:
    """KoBoToolbox's one-column-per-option expansion of a multi-select (`group/field/code`)."""
    parts = re.split(r"/", normalise(header))
    if len(parts) < 2:
        return False
    target = target_of("/".join(parts[:-1]))
    return bool(target and target.field.is_multi and _code_of(target.field, parts[-1]))


@cache
def _set_by_harbour() -> frozenset[str]:
    """Names of fields Harbour fills itself (status, closure) or links by id."""
    names: set[str] = set()
    for entity in ENTITIES:
        for f in current().entity(entity).fields:
            if f.id == OWNER and entity == "case":
                continue  # imported (matched to a member of staff), not set by Harbour
            if f.id in NOT_IMPORTED or f.computed or f.type in {"staff", "organisation"}:
                names |= {normalise(f.id), normalise(f.label.en), normalise(f.label.fr)}
                names |= {normalise(f.htcds.field)} if f.htcds else set()
    return frozenset(names)


def is_set_by_harbour(header: str) -> bool:
    name = normalise(header)
    return name in _set_by_harbour() or re.split(r"[/-]", name)[-1].strip() in _set_by_harbour()


def is_instance_column(header: str) -> bool:
    """The submission's own id in KoBoToolbox (`_uuid`, `meta/instanceID`) or ODK (`KEY`)."""
    last = re.split(r"[/-]", normalise(header))[-1].strip()
    return last in {"uuid", "instanceid", "key"}


def is_meta_column(header: str) -> bool:
    name = normalise(header)
    last = re.split(r"[/-]", name)[-1].strip()
    first = re.split(r"[/-]", name)[0].strip()
    return (
        header.strip().startswith("_")
        or last.replace(" ", "") in META_COLUMNS
        or first in {"meta", "formhub"}
        or name.replace(" ", "_") in REFERENCE_COLUMNS
    )


# --- values -----------------------------------------------------------------------------------


Resolver = Callable[[str], str | None]


def to_value(field: Field, cell: Any, resolve: Resolver | None = None) -> Any:
    """A cell as the intake's validation expects it (strings, lists, dates, booleans).
    `resolve` gives the code an organisation chose for a value Harbour does not know."""
    if isinstance(cell, str):
        cell = _unneutralise(cell.strip())
    if field.type == "codes":
        return _codes(field, cell, resolve)
    if field.type == "code":
        return _code_of(field, cell) or _chosen(cell, resolve) or _text(cell)
    if field.type == "boolean":
        return _boolean(cell)
    if field.type == "date":
        return _date(cell)
    if field.type == "integer" and isinstance(cell, float) and cell.is_integer():
        return int(cell)
    return _text(cell)


def _unneutralise(text: str) -> str:
    """Harbour's exports put an apostrophe before text a spreadsheet would run; take it off."""
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        return text[1:]
    return text


def _text(cell: Any) -> Any:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # a phone number or code Excel stored as a number
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return cell


def _boolean(cell: Any) -> Any:
    if isinstance(cell, bool):
        return cell
    key = normalise(_text(cell)) if cell is not None else ""
    return _BOOLEANS.get(key, cell)


def _date(cell: Any) -> Any:
    """Dates in the unambiguous forms spreadsheets hold: ISO (also with slashes or dots, or
    without separators), a date-time, or a month written as a word, English or French (5 March
    2024, March 5, 2024, 5 mars 2024, 1er mars 2024). Day and month as numbers before the year
    (03/05/2024) are read only in the order chosen for the column (`order`); otherwise they come
    back as an AmbiguousDate, which the check reports with the ISO form to use."""
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    if not isinstance(cell, str):
        return _text(cell)
    text = cell.strip()
    # ODK and KoBo write date-times as ISO 8601 (a real time is required, not any text).
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ].+", text):
        try:
            return dt.datetime.fromisoformat(text).date()
        except ValueError:
            return text
    match = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", text)
    if match:
        return _ymd(*match.groups()) or text
    match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if match:
        return _ymd(*match.groups()) or text
    if re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}", text):
        return AmbiguousDate(text)
    return _worded(text) or text


class AmbiguousDate(str):
    """Day and month both as numbers before the year: 03/05/2024 is 3 May or 5 March."""


def in_order(value: AmbiguousDate, order: str) -> Any:
    """An ambiguous date read in the order chosen for its column ("dmy" or "mdy")."""
    first, second, year = re.split(r"[/.-]", value)
    day, month = (first, second) if order == "dmy" else (second, first)
    return _ymd(year, month, day) or str(value)


def _ymd(year: str, month: str, day: str) -> str | None:
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


_MONTHS = {
    **{m: i for i, m in enumerate(["january", "february", "march", "april", "may", "june",
        "july", "august", "september", "october", "november", "december"], start=1)},
    **{m: i for i, m in enumerate(["janvier", "fevrier", "mars", "avril", "mai", "juin",
        "juillet", "aout", "septembre", "octobre", "novembre", "decembre"], start=1)},
}  # fmt: skip
_SHORT = {name[:3]: n for name, n in _MONTHS.items() if name[:3] not in ("mar", "mai", "jui")}
_SHORT |= {"mar": 3, "sept": 9, "janv": 1, "fevr": 2, "juil": 7}


def _worded(text: str) -> str | None:
    """5 March 2024, 5 Mar. 2024, March 5, 2024, 1er mars 2024, le 5 mars 2024."""
    plain = unicodedata.normalize("NFKD", normalise(text))
    plain = "".join(c for c in plain if not unicodedata.combining(c))  # février → fevrier
    words = re.findall(r"[^\W\d_]+|\d+", plain.replace("1er", "1"))
    words = [w for w in words if w not in ("le", "the", "of", "de", "du")]
    if len(words) != 3 or not words[2].isdigit() or len(words[2]) != 4:
        return None
    day, month = (words[0], words[1]) if words[0].isdigit() else (words[1], words[0])
    number = _MONTHS.get(month) or _SHORT.get(month)
    if not number or not day.isdigit():
        return None
    return _ymd(words[2], str(number), day)


def split_closure(text: str) -> tuple[str | None, str | None]:
    """HTCDS keeps the reason for closure as free text; Harbour's HTCDS export writes the coded
    reason's label first ("Goals met: …"). Returns (code, the rest) when the text starts so."""
    field = current().entity("case").field("closure_reason")
    assert field.codelist is not None
    name = normalise(text)
    for code in field.codelist.codes:
        for label in {code.code, code.htcds, code.label.en, code.label.fr} - {None, ""}:
            start = normalise(str(label))
            if name == start:
                return code.code, None
            if name.startswith(start + ":"):
                rest = text.split(":", 1)[1].strip()
                return code.code, rest or None
    return None, text


def closure_text(reason: str | None, details: str | None) -> str:
    """The HTCDS reason for closure: the coded reason's label, then the details."""
    field = current().entity("case").field("closure_reason")
    found = field.codelist.get(reason) if field.codelist and reason else None
    label = found.label.en if found else ""
    return ": ".join(p for p in (label, details or "") if p)


def _chosen(cell: Any, resolve: Resolver | None) -> str | None:
    return resolve(cell) if resolve and isinstance(cell, str) and cell else None


def _codes(field: Field, cell: Any, resolve: Resolver | None = None) -> Any:
    if cell is None or isinstance(cell, bool):
        return cell
    text = str(_text(cell))
    if _SPLIT.search(text):
        items = [i for i in _SPLIT.split(text) if i]
    else:
        # KoBoToolbox and ODK separate the chosen options' names with spaces.
        words = text.split()
        items = words if all(_code_of(field, w) for w in words) else [text]
    return [_code_of(field, item) or _chosen(item, resolve) or item for item in items]


def unknown_codes(field: Field, value: Any) -> list[str]:
    """The items of a converted code or codes value that are not codes of the field's list."""
    if field.codelist is None or value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [i for i in items if isinstance(i, str) and field.codelist.get(i) is None]


def _code_of(field: Field, text: Any) -> str | None:
    if field.codelist is None or not isinstance(text, str):
        return None
    return _code_names(field.codelist.id).get(normalise(text))


@cache
def _code_names(codelist_id: str) -> dict[str, str]:
    codelist = current().codelists[codelist_id]
    names: dict[str, str] = {}
    for code in codelist.codes:
        names.setdefault(normalise(code.code), code.code)
    for code in codelist.codes:
        spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", code.htcds) if code.htcds else None
        for name in (code.htcds, spaced, code.label.en, code.label.fr):
            if name:
                names.setdefault(normalise(name), code.code)
    return names
