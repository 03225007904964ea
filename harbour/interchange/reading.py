"""Turning an uploaded file into a header and rows, whatever spreadsheet tool made it.

CSV (UTF-8, with or without a byte-order mark, comma, semicolon or tab separated, any line
endings), Excel workbooks and the JSON that KoBoToolbox and ODK Central export. Limits on size,
rows and cell length are checked here, before anything looks at the values.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from harbour.interchange import xlsx
from harbour.interchange.problems import FileProblem

# Env-driven (HARBOUR_IMPORT_MAX_MB, HARBOUR_IMPORT_MAX_ROWS): a 100,000-row file fits (ADR 45).
MAX_BYTES = settings.HARBOUR_IMPORT_MAX_MB * 1024 * 1024
MAX_ROWS = settings.HARBOUR_IMPORT_MAX_ROWS
MAX_CELL = 10_000
MAX_COLUMNS = 500


@dataclass
class Table:
    """A file's header, and its rows read again from the file on each call of `rows()`:
    a CSV of 100,000 rows is never held as a list of rows (ADR 45)."""

    kind: str  # csv, xlsx, json, zip
    headers: list[str]
    source: Callable[[], Iterable[list[Any]]]
    count: int = 0  # rows with a value, after the header

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """(row number, cells) of every row with a value. Not checked again here: the size of
        cells, rows and columns was checked when `read_table` read the file."""
        rows = enumerate(self.source(), start=1)
        _header(rows)
        for number, cells in rows:
            if any(_filled(c) for c in cells):
                yield number, cells


def read_table(data: bytes) -> Table:
    """Read the file once through, checking its shape and size, and keep only its header and
    how to read it again. CSV and workbooks are re-read from the upload's bytes (a worksheet is
    streamed row by row); JSON and joined HTCDS ZIPs (parsed whole) keep their rows."""
    if not data.strip():
        raise FileProblem(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise FileProblem(too_large_message())
    if xlsx.is_xlsx(data) and not _is_workbook(data):
        return _table("zip", _kept(_zip_rows(data)))
    if xlsx.is_xlsx(data) or data[:4] == xlsx.OLE_MAGIC:
        return _table("xlsx", lambda: xlsx.read_rows(data))
    text = _decode(data)
    if text.lstrip()[:1] in ("[", "{"):
        return _table("json", _kept(_json_rows(text)))
    delimiter = _delimiter(text)
    del text  # the rows are read from the bytes, decoded as they are read
    return _table("csv", lambda: _csv_rows(data, delimiter))


def _kept(rows: Iterable[list[Any]]) -> Callable[[], Iterable[list[Any]]]:
    kept = list(rows)
    return lambda: kept


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


def _delimiter(text: str) -> str:
    first = text[:8192].split("\n", 1)[0]
    return max((",", ";", "\t"), key=first.count)


def _csv_rows(data: bytes | str, delimiter: str | None = None) -> Iterator[list[Any]]:
    """Rows of a CSV, decoded as they are read (the bytes were checked as UTF-8 already)."""
    stream: io.TextIOBase
    if isinstance(data, str):
        delimiter, stream = delimiter or _delimiter(data), io.StringIO(data, newline="")
    else:
        stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    reader = csv.reader(stream, delimiter=delimiter or ",", strict=True)
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


def _table(kind: str, source: Callable[[], Iterable[list[Any]]]) -> Table:
    rows = enumerate(source(), start=1)
    table = Table(kind=kind, headers=_header(rows), source=source)
    for number, cells in rows:
        if not any(_filled(c) for c in cells):
            continue
        _check_row(number, cells, len(table.headers))
        table.count += 1
        if table.count > MAX_ROWS:
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
