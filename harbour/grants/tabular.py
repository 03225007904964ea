"""CSV files of funders, programs, awards and partner profiles: writing them safely, and reading
them into checked rows. Import is all-or-nothing with a report naming row and column."""

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from harbour.audit.actions import lock_chains
from harbour.core.errors import DomainError, InvalidInput
from harbour.core.sensitivity import Sensitivity, declared_sensitivity
from harbour.grants import actions
from harbour.grants.models import Award, Funder, PartnerProfile, Program
from harbour.grants.values import FORMULA_START
from harbour.orgs.models import Organisation

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
LISTS = {"pillars", "populations", "provinces", "org_types", "regions", "languages"}

FUNDER_COLUMNS = ["short_name", "name_en", "name_fr", "kind", "province", "website"]
PROGRAM_COLUMNS = [
    "code", "funder", "name_en", "name_fr", "description_en", "description_fr", "pillars",
    "populations", "provinces", "org_types", "amount_min", "amount_max", "term_years",
    "opens_on", "deadline", "recurrence", "url", "is_active",
]  # fmt: skip
AWARD_COLUMNS = [
    "org", "program", "amount", "starts_on", "ends_on", "province", "pillars", "populations",
    "purpose_en", "purpose_fr",
]  # fmt: skip
KINDS = ("funders", "programs", "awards", "partners")


def partner_columns() -> list[str]:
    """Only what the model declares non-personal: contact details never leave in bulk."""
    public = [
        name
        for name, level in declared_sensitivity(PartnerProfile).items()
        if level == Sensitivity.NONE and name not in {"id", "org"}
    ]
    return ["org", *public]


# --- writing ----------------------------------------------------------------------------------


def safe_cell(value: Any) -> str:
    """Text a spreadsheet would run as a formula (= + - @, tab, CR first) gets a quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        value = ";".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def write_csv(columns: list[str], rows: Iterable[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(c)) for c in columns])
    return out.getvalue()


def funder_rows(funders: Iterable[Funder]) -> Iterable[dict[str, Any]]:
    for f in funders:
        yield {c: getattr(f, c) for c in FUNDER_COLUMNS}


def program_rows(programs: Iterable[Program]) -> Iterable[dict[str, Any]]:
    for p in programs:
        row = {c: getattr(p, c) for c in PROGRAM_COLUMNS if c != "funder"}
        yield row | {"funder": p.funder.short_name}


def award_rows(awards: Iterable[Award]) -> Iterable[dict[str, Any]]:
    for a in awards:
        row = {c: getattr(a, c) for c in AWARD_COLUMNS if c not in {"org", "program"}}
        yield row | {"org": a.org.short_name, "program": a.program.code}


def partner_rows(profiles: Iterable[PartnerProfile]) -> Iterable[dict[str, Any]]:
    columns = partner_columns()[1:]
    for p in profiles:
        yield {c: getattr(p, c) for c in columns} | {"org": p.org.short_name}


def export(kind: str) -> str:
    if kind == "funders":
        return write_csv(FUNDER_COLUMNS, funder_rows(Funder.objects.all()))
    if kind == "programs":
        return write_csv(PROGRAM_COLUMNS, program_rows(Program.objects.select_related("funder")))
    if kind == "awards":
        awards = Award.objects.select_related("org", "program")
        return write_csv(AWARD_COLUMNS, award_rows(awards))
    profiles = PartnerProfile.objects.select_related("org")
    return write_csv(partner_columns(), partner_rows(profiles))


# --- reading ----------------------------------------------------------------------------------


@dataclass
class Report:
    created: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class _Rollback(Exception):
    pass


def read_rows(data: bytes, columns: list[str]) -> list[dict[str, str]]:
    """Header and encoding checked; every problem is a DomainError naming where it is."""
    if len(data) > MAX_BYTES:
        raise InvalidInput({"file": [_("The file is larger than 5 MB.")]})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            {
                "file": [
                    _("This file is not UTF-8 text (byte %(at)s). Save it as CSV UTF-8.")
                    % {"at": error.start}
                ]
            }
        ) from None
    try:
        return _rows(csv.DictReader(io.StringIO(text, newline="")), columns)
    except csv.Error:
        # NUL bytes, a cell over the csv module's size limit, an unclosed quote at the end...
        raise InvalidInput({"file": [_("This file could not be read as CSV.")]}) from None


def _rows(reader: csv.DictReader[str], columns: list[str]) -> list[dict[str, str]]:
    header = list(reader.fieldnames or [])
    missing = [c for c in columns if c not in header and c not in _OPTIONAL]
    unknown = [h for h in header if h not in columns]
    if missing or unknown:
        message = _("The header does not match. Missing: %(missing)s. Unknown: %(unknown)s.") % {
            "missing": ", ".join(missing) or "—",
            "unknown": ", ".join(h[:30] for h in unknown) or "—",
        }
        raise InvalidInput({"header": [message]})
    rows = []
    for row in reader:
        if None in row:
            where = _("row %(n)s") % {"n": reader.line_num}
            raise InvalidInput({where: [_("This row has more cells than the header.")]})
        rows.append({k: v for k, v in row.items() if v is not None})
        if len(rows) > MAX_ROWS:
            raise InvalidInput({"file": [_("The file has more than 5,000 rows.")]})
    return rows


_OPTIONAL = {
    "description_en", "description_fr", "pillars", "populations", "provinces", "org_types",
    "amount_min", "term_years", "recurrence", "url", "is_active", "province", "website",
    "purpose_fr",
}  # fmt: skip


def import_csv(*, by: Any, kind: str, data: bytes) -> Report:
    """All or nothing: every row is checked by the same actions as the web and the API; if any
    row fails, the whole file is rolled back and the report lists every problem."""
    columns = {"funders": FUNDER_COLUMNS, "programs": PROGRAM_COLUMNS, "awards": AWARD_COLUMNS}
    if kind not in columns:
        raise InvalidInput({"kind": [_("Import funders, programs or awards.")]})
    report = Report()
    try:
        rows = read_rows(data, columns[kind])
    except InvalidInput as error:
        report.problems = [(k, str(m)) for k, msgs in error.errors.items() for m in msgs]
        return report
    save = {"funders": _save_funder, "programs": _save_program, "awards": _save_award}[kind]
    try:
        with transaction.atomic():
            if kind == "awards":
                _lock_award_chains(rows)
            _each(by, rows, save, report)
            if report.problems:
                raise _Rollback()
    except _Rollback:
        report.created = 0
    return report


def _lock_award_chains(rows: list[dict[str, str]]) -> None:
    """Each award's event goes to its organisation's chain: all taken first, in one order
    (ADR 35), not in the file's order, which another file could cross."""
    named = {row.get("org", "") for row in rows}
    lock_chains(Organisation.objects.filter(short_name__in=named).values_list("pk", flat=True))


def _each(by: Any, rows: list[dict[str, str]], save: Callable[..., Any], report: Report) -> None:
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        try:
            with transaction.atomic():
                save(by, row)
            report.created += 1
        except InvalidInput as error:
            for name, messages in error.errors.items():
                for message in messages:
                    report.problems.append(
                        (_("row %(n)s, %(column)s") % {"n": number, "column": name}, str(message))
                    )
        except DomainError as error:
            report.problems.append((_("row %(n)s") % {"n": number}, str(error.message)))


def _save_funder(by: Any, row: dict[str, str]) -> None:
    actions.save_funder(by=by, values_in=row)


def _save_program(by: Any, row: dict[str, str]) -> None:
    funder = Funder.objects.filter(short_name=row.get("funder", "")).first()
    if funder is None:
        raise InvalidInput({"funder": [_("No funder has this short name.")]})
    actions.save_program(by=by, funder=funder, values_in=row)


def _save_award(by: Any, row: dict[str, str]) -> None:
    org = Organisation.objects.filter(short_name=row.get("org", "")).first()
    program = Program.objects.filter(code=row.get("program", "")).first()
    problems: dict[str, list[Any]] = {}
    if org is None:
        problems["org"] = [_("No organisation has this short name.")]
    if program is None:
        problems["program"] = [_("No program has this code.")]
    if problems:
        raise InvalidInput(problems)
    actions.save_award(by=by, org=org, program=program, values_in=row)  # type: ignore[arg-type]
