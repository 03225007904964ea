"""Checking a whole file of intakes before anything is written (invariant 5).

`plan` reads the file, recognises its columns, converts every cell and runs every row through
the intake's own validation (`cases.actions.check_intake`), collecting every problem with its
row and column. Only a plan without problems may be committed, in one transaction, by
`actions.run_import_job`.
"""

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from harbour.cases import bulk
from harbour.cases.actions import check_intake
from harbour.cases.models import CaseStatus
from harbour.core.errors import InvalidInput
from harbour.interchange import mapping, reading
from harbour.interchange.problems import MAX_PROBLEMS, FileProblem, Problem, column_letter
from harbour.orgs import crypto

Progress = Callable[[int, int], None]
MAX_UNKNOWN = 30  # distinct unknown values offered for a choice, per column


@dataclass
class Row:
    number: int
    survivor: dict[str, Any]
    case: dict[str, Any]
    key: str  # the submission key that makes a re-import create nothing new
    where: dict[str, str] = field(default_factory=dict)  # field id → column, for problems
    status: dict[str, Any] = field(default_factory=dict)  # a past case's status and closure
    owner: Any = None  # the member of staff the file names as the case's owner (a user id)


@dataclass
class Plan:
    count: int = 0  # rows ready to import
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # column → field key
    # field key → distinct values of code-list columns Harbour did not understand
    unknown: dict[str, list[str]] = field(default_factory=dict)

    def note_unknown(self, key: str, values: list[str]) -> None:
        known = self.unknown.setdefault(key, [])
        for value in values:
            if value not in known and len(known) < MAX_UNKNOWN and len(value) <= 100:
                known.append(value)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, row: int | None, column: str, message: Any) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(row, column, str(message)))

    def warn(self, row: int | None, column: str, message: Any) -> None:
        if len(self.warnings) < MAX_PROBLEMS:
            self.warnings.append(Problem(row, column, str(message)))


@dataclass
class Columns:
    targets: dict[int, mapping.Target] = field(default_factory=dict)
    ignored: set[int] = field(default_factory=set)
    instance: int | None = None  # the KoBo/ODK submission id column, if any
    date_orders: dict[int, str] = field(default_factory=dict)  # column → "dmy" or "mdy"


def plan(
    data: bytes | reading.Table,
    *,
    org_id: Any,
    defaults: dict[str, Any] | None = None,
    chosen: Mapping[str, str] | None = None,
    values: Mapping[tuple[str, str], str] | None = None,
    progress: Progress | None = None,
    sink: Callable[[Row], None] | None = None,
    may_set_status: bool = True,
    owners: Mapping[str, Any] | None = None,
) -> Plan:
    """`chosen` maps a column name's token (see `header_token`) to the field someone chose for
    it, or "-" to leave it out; it wins over Harbour's own recognition.

    The file's rows are streamed, never held as a list: a check keeps only the problems and
    the count, and a write hands each converted row to `sink` (the bulk intake, which
    validates it itself; ADR 45) as long as no problem was found. `data` may be a file already
    read (`reading.read_table`): its shape, size and row count were checked then, and the
    write reads the rows of the table the check read instead of reading the file again.

    A case status other than active needs Perm.CASE_EDIT (`may_set_status`, the importer's):
    without it the file gets one problem (no row number), and no row is written.

    `owners` maps the e-mail addresses (case-folded) of the importer's colleagues who may own
    the cases to their user ids (`policy.owners_for`); a case owner column's value that is not
    one of them is a warning, and the importer owns that case."""
    result = Plan()
    if isinstance(data, reading.Table):
        table = data
    else:
        try:
            table = reading.read_table(data)
        except FileProblem as exc:
            result.problem(None, "", exc.message)
            return result
    columns = _columns(table.headers, result, _choices_by_index(table.headers, org_id, chosen))
    _check_columns_with_data(table, columns, result)
    if result.problems:
        return result
    context = _Context(org_id, {}, defaults or {}, values or {}, may_set_status, owners or {})
    total = max(table.count, 1)
    step = max(200, total // 100)  # at most ~100 progress writes, whatever the size
    done = 0
    for number, cells in _data_rows(table, columns):
        row = _plan_row(number, cells, table.headers, columns, context, result, sink is None)
        done += 1
        if row is not None:
            result.count += 1
            if sink is not None and result.ok:
                sink(row)
        if progress and done % step == 0:
            progress(done, max(total, done))
    if not done:
        result.problem(None, "", _("The file has column names but no rows to import."))
    if progress:
        progress(done, done)
    return result


def _name(index: int, header: str, target: mapping.Target | None) -> str:
    return f"{column_letter(index)} ({target.key})" if target else column_letter(index)


@dataclass
class _Context:
    org_id: Any
    seen: dict[str, int]
    defaults: dict[str, Any]
    values: Mapping[tuple[str, str], str]
    may_set_status: bool = True
    owners: Mapping[str, Any] = field(default_factory=dict)  # e-mail (case-folded) → user id
    status_refused: bool = False  # reported once, for the whole file

    def resolver(self, key: str) -> mapping.Resolver | None:
        if not self.values:
            return None
        return lambda text: self.values.get((key, value_token(self.org_id, text)))


def value_token(org_id: Any, value: str) -> str:
    return crypto.blind_index(org_id, "interchange.value", mapping.normalise(value))


def header_token(org_id: Any, header: str) -> str:
    return crypto.blind_index(org_id, "interchange.column", mapping.normalise(header))


def headers_of(data: bytes) -> list[str]:
    return reading.read_table(data).headers


def _choices_by_index(
    headers: list[str], org_id: Any, chosen: Mapping[str, str] | None
) -> dict[int, str]:
    if not chosen:
        return {}
    found = {i: chosen.get(header_token(org_id, h)) for i, h in enumerate(headers) if h}
    return {i: key for i, key in found.items() if key}


def _columns(headers: list[str], result: Plan, chosen: dict[int, str]) -> Columns:
    columns = Columns()
    owner: dict[str, int] = {}
    for index, header in enumerate(headers):
        key, order = mapping.split_choice(chosen.get(index, ""))
        target = mapping.target_by_key(key) if key else None
        if order and target is not None:
            columns.date_orders[index] = order
        target = target or (mapping.target_of(header) if header else None)
        if chosen.get(index) == "-":
            columns.ignored.add(index)
            result.columns[column_letter(index)] = "-"
        elif not header:
            columns.ignored.add(index)
        elif target is not None:
            _claim(index, target, owner, columns, result)
        elif mapping.is_instance_column(header):
            columns.instance = index
            columns.ignored.add(index)
        elif mapping.is_meta_column(header) or mapping.is_choice_column(header):
            columns.ignored.add(index)
        elif mapping.is_set_by_harbour(header):
            columns.ignored.add(index)
            result.warnings.append(
                Problem(None, column_letter(index), _("Harbour sets this itself; not imported."))
            )
        elif mapping.normalise(header) in mapping.htcds_known():
            columns.ignored.add(index)
            result.warnings.append(
                Problem(
                    None,
                    column_letter(index),
                    _(
                        "This HTCDS field has no place in Harbour "
                        "yet; its values were not imported."
                    ),
                )
            )
        else:
            result.columns[column_letter(index)] = ""
            result.problem(
                None,
                column_letter(index),
                _(
                    "Harbour does not recognise this column name. Choose its field below, "
                    "rename it to a field of the data dictionary, or remove the column."
                ),
            )
    return columns


def _claim(
    index: int, target: mapping.Target, owner: dict[str, int], columns: Columns, result: Plan
) -> None:
    if target.key in owner:
        result.problem(
            None,
            _name(index, "", target),
            _("Two columns hold the same field (columns %(a)s and %(b)s); keep one.")
            % {"a": column_letter(owner[target.key]), "b": column_letter(index)},
        )
        return
    owner[target.key] = index
    columns.targets[index] = target
    result.columns[column_letter(index)] = target.key


def _data_rows(table: reading.Table, columns: Columns) -> Iterator[tuple[int, list[Any]]]:
    """The HTCDS template has field names in row 1 and their labels in row 2: skip the labels.
    Rows with values only in columns without a name (the template numbers its rows) are empty."""
    first = True
    for number, cells in table.rows():
        if not (
            any(reading._filled(c) for i, c in enumerate(cells) if i not in columns.ignored)
            or any(reading._filled(c) for i, c in enumerate(cells) if i == columns.instance)
        ):
            continue
        if first and columns.targets and _is_label_row(cells, columns):
            first = False
            continue
        first = False
        yield number, cells


def _is_label_row(cells: list[Any], columns: Columns) -> bool:
    same = [
        mapping.target_of(str(cells[i])) == t
        for i, t in columns.targets.items()
        if i < len(cells) and reading._filled(cells[i])
    ]
    return bool(same) and sum(same) >= 0.8 * len(same)


def _check_columns_with_data(table: reading.Table, columns: Columns, result: Plan) -> None:
    unnamed = [i for i in sorted(columns.ignored) if not table.headers[i] and i != columns.instance]
    if not unnamed:
        return
    filled = dict.fromkeys(unnamed, False)
    numbers = dict.fromkeys(unnamed, True)
    for _number, cells in _data_rows(table, columns):
        for index in unnamed:
            if index < len(cells) and reading._filled(cells[index]):
                filled[index] = True
                numbers[index] = numbers[index] and _is_row_number(cells[index])
    for index in unnamed:
        if filled[index] and numbers[index]:
            # The HTCDS template numbers its rows in a column without a name.
            result.warnings.append(
                Problem(None, column_letter(index), _("This column has no name; ignored."))
            )
        elif filled[index]:
            result.problem(
                None,
                column_letter(index),
                _("This column has values but no name in the first row; name it or remove it."),
            )


def _is_row_number(value: Any) -> bool:
    return isinstance(value, float | int) or (isinstance(value, str) and value.strip().isdigit())


def _plan_row(
    number: int,
    cells: list[Any],
    headers: list[str],
    columns: Columns,
    context: _Context,
    result: Plan,
    check: bool = True,
) -> Row | None:
    values: dict[str, dict[str, Any]] = {"survivor": {}, "case": dict(context.defaults)}
    where: dict[str, str] = {}
    ambiguous: set[str] = set()
    for index, target in columns.targets.items():
        cell = cells[index] if index < len(cells) else None
        if not reading._filled(cell):
            continue
        value = mapping.to_value(target.field, cell, context.resolver(target.key))
        if isinstance(value, mapping.AmbiguousDate) and index in columns.date_orders:
            value = mapping.in_order(value, columns.date_orders[index])
        result.note_unknown(target.key, mapping.unknown_codes(target.field, value))
        values[target.entity][target.field.id] = value
        where[target.field.id] = _name(index, headers[index], target)
        if isinstance(value, mapping.AmbiguousDate):
            ambiguous.add(target.field.id)
    for field_id in sorted(ambiguous):
        result.problem(number, where[field_id], ambiguous_date_message())
    key = _key(context.org_id, values, cells, columns)
    if key in context.seen:
        result.problem(
            number,
            "",
            _("This row repeats row %(row)d; remove one of them.") % {"row": context.seen[key]},
        )
        return None
    context.seen[key] = number
    owner = _owner_of(number, values["case"], where, context, result)
    status = _status_of(values["case"])
    moved_on = status.get("status") not in (None, "", CaseStatus.ACTIVE)
    refused = moved_on and not context.may_set_status
    if refused and not context.status_refused:  # once for the file; the row is still checked
        context.status_refused = True
        result.problem(None, "", status_refused_message())
    row = Row(number, values["survivor"], values["case"], key, where, status, owner)
    if check:
        try:
            _check(values["survivor"], values["case"], status)
        except InvalidInput as exc:
            # An ambiguous date was reported above, with the form to use; not again here.
            errors = {k: v for k, v in exc.errors.items() if k not in ambiguous}
            note_rejection(row, InvalidInput(errors), result)
            return None
    return None if ambiguous else row


def _owner_of(
    number: int, case: dict[str, Any], where: dict[str, str], context: _Context, result: Plan
) -> Any:
    """The case owner column's e-mail address → the user id of the importer's colleague with
    that address who may own cases. Any other value is a warning, the same whatever the reason
    (nobody has it, someone who may not own cases, or someone of another organisation: the
    lookup never leaves the importer's organisation), and the importer owns the case."""
    text = case.pop(mapping.OWNER, None)
    if text in (None, ""):
        return None
    found = context.owners.get(str(text).strip().casefold())
    if found is None:
        result.warn(number, where.get(mapping.OWNER, ""), owner_unmatched_message())
    return found


def owner_unmatched_message() -> str:
    return str(
        _(
            "No member of your organisation who may own cases has this e-mail address: "
            "you will be this case's owner. To give the case to a colleague, write their "
            "e-mail address, or reassign the case after the import."
        )
    )


def _status_of(case: dict[str, Any]) -> dict[str, Any]:
    """A past case's status and closure leave the intake's values for their own check; an
    HTCDS reason for closure that starts with a closure reason's label gives its code too."""
    status = {k: case.pop(k) for k in mapping.IMPORTED_STATUS if k in case}
    if "closure_reason" not in status and isinstance(status.get("closure_details"), str):
        code, details = mapping.split_closure(status["closure_details"])
        if code:
            status |= {"closure_reason": code, "closure_details": details}
    return status


def _check(survivor: dict[str, Any], case: dict[str, Any], status: dict[str, Any]) -> None:
    """The intake's checks and the status's, their problems reported together."""
    errors: dict[str, list[Any]] = {}
    for check in (
        lambda: check_intake(survivor_values=survivor, case_values=case),
        lambda: bulk.check_imported_status(status),
    ):
        try:
            check()
        except InvalidInput as exc:
            errors |= exc.errors
    if errors:
        raise InvalidInput(errors)


def status_refused_message() -> str:
    return str(
        _(
            "Some rows give a case status other than active (follow-up or closed). Importing "
            "them needs the permission to edit cases, which you do not have: ask someone who "
            "has it to import the file, or leave the status empty."
        )
    )


def ambiguous_date_message() -> str:
    return str(
        _(
            "This date could be read day first or month first (like 03/05/2024). Write it "
            "as YYYY-MM-DD (2024-05-03 for 3 May 2024), or choose the column's date order "
            "in the column choices."
        )
    )


def note_rejection(row: Row, exc: InvalidInput, result: Plan) -> None:
    """A row's validation errors, each pointed at the column that held the value."""
    for field_id, messages in exc.errors.items():
        for message in messages:
            result.problem(row.number, row.where.get(field_id, field_id), message)


def _key(org_id: Any, values: dict[str, Any], cells: list[Any], columns: Columns) -> str:
    """The same row imported again (same file or another) is recognised and not duplicated.
    A KoBo/ODK submission is known by its own instance id."""
    if columns.instance is not None and columns.instance < len(cells) and cells[columns.instance]:
        basis: Any = ["instance", str(cells[columns.instance])]
    else:
        basis = values
    text = json.dumps([str(org_id), basis], sort_keys=True, default=str)
    return "import:" + hashlib.sha256(text.encode()).hexdigest()[:64]
