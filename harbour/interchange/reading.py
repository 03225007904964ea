"""Turning an uploaded file into a header and rows, whatever spreadsheet tool made it.

CSV (UTF-8, with or without a byte-order mark, comma, semicolon or tab separated, any line
endings), Excel workbooks and the JSON that KoBoToolbox and ODK Central export. Limits on size,
rows and cell length are checked here, before anything looks at the values.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from harbour.interchange import xlsx
from harbour.interchange.problems import FileProblem

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_CELL = 10_000
MAX_COLUMNS = 500


@dataclass
class Table:
    kind: str  # csv, xlsx, json
    headers: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)  # (row number, cells)


def read_table(data: bytes) -> Table:
    if not data.strip():
        raise FileProblem(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise FileProblem(too_large_message())
    if xlsx.is_xlsx(data) and not _is_workbook(data):
        return _table("zip", _zip_rows(data))
    if xlsx.is_xlsx(data) or data[:4] == xlsx.OLE_MAGIC:
        return _table("xlsx", xlsx.read_rows(data))
    text = _decode(data)
    if text.lstrip()[:1] in ("[", "{"):
        return _table("json", _json_rows(text))
    return _table("csv", _csv_rows(text))


def too_large_message() -> str:
    return str(
        _("The file is larger than %(mb)d MB. Split it into smaller files.")
        % {"mb": MAX_BYTES // (1024 * 1024)}
    )


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileProblem(
            _(
                "The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8” "
                "(or as .xlsx) and try again."
            )
        ) from None
    if "\x00" in text:
        raise FileProblem(_("The file contains binary data; it is not a spreadsheet."))
    return text


def _is_workbook(data: bytes) -> bool:
    return "xl/workbook.xml" in xlsx.open_archive(data).namelist()


def _zip_rows(data: bytes) -> Iterator[list[Any]]:
    """Harbour's HTCDS export: one CSV per HTCDS entity, joined back into one row per case by
    `harbour_case_reference` (so a round trip loses no HTCDS field)."""
    archive = xlsx.open_archive(data)
    merged: dict[str, dict[str, Any]] = {}
    headers: dict[str, None] = {}
    for name in sorted(n for n in archive.namelist() if n.lower().endswith(".csv")):
        rows = list(_csv_rows(_decode(archive.read(name))))
        if not rows or "harbour_case_reference" not in rows[0]:
            raise FileProblem(
                _("Each CSV in the ZIP needs a harbour_case_reference column to join its rows.")
            )
        key = rows[0].index("harbour_case_reference")
        headers.update(dict.fromkeys(rows[0]))
        for row in rows[1:]:
            if len(row) > key and row[key]:
                merged.setdefault(row[key], {}).update(zip(rows[0], row, strict=False))
    if not headers:
        raise FileProblem(_("The ZIP file holds no CSV file."))
    yield list(headers)
    for values in merged.values():
        yield [values.get(h) for h in headers]


def _csv_rows(text: str) -> Iterator[list[Any]]:
    sample = text[:8192]
    delimiter = max((",", ";", "\t"), key=lambda d: sample.split("\n", 1)[0].count(d))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        yield from reader
    except csv.Error:
        raise FileProblem(
            _("Row %(row)d is malformed (an unclosed quote or a cell too long).")
            % {"row": reader.line_num}
        ) from None


def _json_rows(text: str) -> Iterator[list[Any]]:
    """KoBoToolbox's and ODK Central's JSON: a list of submissions, or {"results": [...]}.
    Keys become the header in the order they first appear."""
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise FileProblem(_("The file is not valid JSON.")) from None
    if isinstance(document, dict):
        document = document.get("results", document.get("value"))
    if not isinstance(document, list) or not all(isinstance(r, dict) for r in document):
        raise FileProblem(_("The JSON file must hold a list of submissions."))
    headers: dict[str, None] = {}
    for record in document:
        headers.update(dict.fromkeys(str(k) for k in record))
    yield list(headers)
    for record in document:
        yield [_json_cell(record.get(h)) for h in headers]


def _json_cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        # A repeat group or an attachment list: not part of an intake; flagged if filled.
        return json.dumps(value)[: MAX_CELL + 1] if value else None
    return value


def _table(kind: str, source: Iterable[list[Any]]) -> Table:
    rows = enumerate(source, start=1)
    headers = _header(rows)
    table = Table(kind=kind, headers=headers)
    for number, cells in rows:
        if not any(_filled(c) for c in cells):
            continue
        _check_row(number, cells, len(headers))
        table.rows.append((number, cells))
        if len(table.rows) > MAX_ROWS:
            raise FileProblem(
                _("The file has more than %(max)d rows. Split it into smaller files.")
                % {"max": MAX_ROWS}
            )
    return table


def _header(rows: Iterator[tuple[int, list[Any]]]) -> list[str]:
    for _number, cells in rows:
        if any(_filled(c) for c in cells):
            if len(cells) > MAX_COLUMNS:
                raise FileProblem(
                    _("The file has more than %(max)d columns.") % {"max": MAX_COLUMNS}
                )
            return [str(c).strip() if c is not None else "" for c in cells]
    raise FileProblem(_("The file has no rows."))


def _check_row(number: int, cells: list[Any], width: int) -> None:
    for cell in cells:
        if isinstance(cell, str) and len(cell) > MAX_CELL:
            raise FileProblem(
                _("Row %(row)d has a cell longer than %(max)d characters.")
                % {"row": number, "max": MAX_CELL}
            )
    if len(cells) > width and any(_filled(c) for c in cells[width:]):
        raise FileProblem(
            _("Row %(row)d has more cells than the header has column names.") % {"row": number}
        )


def _filled(cell: Any) -> bool:
    return cell is not None and not (isinstance(cell, str) and cell.strip() == "")
