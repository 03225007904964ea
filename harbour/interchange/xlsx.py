"""Reading and writing Excel workbooks (.xlsx) with the standard library only.

A workbook is a ZIP of XML parts. Reading is defensive because the file comes from outside:
the archive's expanded size and compression ratio are bounded (ZIP bombs), XML with a document
type declaration is refused before parsing (entity expansion and external entities: a real
workbook never has one) and parsed with defusedxml (the worksheet streamed, row by row),
and encrypted workbooks (an OLE
container, not a ZIP) get their own message. Only the first worksheet is read, as values:
formulas are never evaluated.
"""

import datetime as dt
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from typing import Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from django.utils.translation import gettext_lazy as _

from harbour.interchange.problems import FileProblem

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
MAX_EXPANDED = 200 * 1024 * 1024
MAX_RATIO = 200
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
# Built-in number formats that show a date (ECMA-376 part 1, 18.8.30).
_DATE_FORMATS = {14, 15, 16, 17, 22, 27, 30, 36, 45, 46, 47, 50, 57}
_EPOCH = dt.date(1899, 12, 30)
_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")

Cell = str | float | bool | dt.date | None
DAMAGED = _("The workbook is damaged or not a real .xlsx file.")
# What reading a damaged or truncated member of the archive raises.
_READ_ERRORS = (KeyError, zipfile.BadZipFile, ValueError, OSError, EOFError, zlib.error)


def is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def read_rows(data: bytes) -> Iterator[list[Cell]]:
    """The first worksheet's rows as lists of values (missing cells are None)."""
    if data[:4] == OLE_MAGIC:
        raise FileProblem(
            _(
                "This workbook is password-protected or in the old .xls format. Remove the "
                "password or save it as .xlsx or CSV UTF-8, then try again."
            )
        )
    archive = open_archive(data)
    strings = _shared_strings(archive)
    dates = _date_styles(archive)
    expected = 1
    for row in _streamed_rows(archive, _first_sheet_path(archive)):
        number = row.get("r", "")
        # Rows without cells are absent from the XML: keep the numbers a spreadsheet shows.
        while number.isdigit() and expected < int(number) and expected < 10**6:
            yield []
            expected += 1
        yield _row_values(row, strings, dates)
        expected += 1


def open_archive(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise FileProblem(DAMAGED) from None
    total = 0
    for info in members:
        if info.flag_bits & 0x1:
            raise FileProblem(_("The workbook is encrypted. Remove the password and try again."))
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_EXPANDED or (info.file_size > 1024 * 1024 and ratio > MAX_RATIO):
            raise FileProblem(_("The workbook expands to far more data than it holds; refused."))
    return archive


def _xml(archive: zipfile.ZipFile, name: str) -> ET.Element:
    try:
        raw = archive.read(name)
    except _READ_ERRORS:
        raise FileProblem(DAMAGED) from None
    _refuse_declarations(raw)
    try:
        # Twice guarded: declarations were refused above, and defusedxml refuses them again.
        return SafeET.fromstring(raw, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException):
        raise FileProblem(DAMAGED) from None


def _streamed_rows(archive: zipfile.ZipFile, name: str) -> Iterator[ET.Element]:
    """The worksheet's <row> elements one at a time, each dropped once read: a sheet of 100,000
    rows is never held whole (ET would keep every parsed row). Guarded as `_xml` is."""
    _refuse_declarations(_head(archive, name))
    try:
        with archive.open(name) as stream:
            parent: ET.Element | None = None
            for event, element in SafeET.iterparse(stream, ("start", "end"), forbid_dtd=True):
                if event == "start" and element.tag == f"{NS}sheetData":
                    parent = element
                elif event == "end" and element.tag == f"{NS}row":
                    yield element
                    if parent is not None:
                        parent.remove(element)  # the only child left: removing it is cheap
    except (ET.ParseError, DefusedXmlException, *_READ_ERRORS):
        raise FileProblem(DAMAGED) from None


def _head(archive: zipfile.ZipFile, name: str) -> bytes:
    """The part's first 64 KB, where a document type declaration would stand (the prolog)."""
    try:
        with archive.open(name) as stream:
            return stream.read(64 * 1024)
    except _READ_ERRORS:
        raise FileProblem(DAMAGED) from None


def _refuse_declarations(raw: bytes) -> None:
    if b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw.upper():
        raise FileProblem(_("The workbook contains XML declarations Harbour refuses for safety."))


def _first_sheet_path(archive: zipfile.ZipFile) -> str:
    book = _xml(archive, "xl/workbook.xml")
    sheet = book.find(f"{NS}sheets/{NS}sheet")
    if sheet is None:
        raise FileProblem(_("The workbook has no worksheet."))
    rel_id = sheet.get(f"{REL_NS}id")
    rels = _xml(archive, "xl/_rels/workbook.xml.rels")
    for rel in rels:
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    raise FileProblem(DAMAGED)


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    root = _xml(archive, "xl/sharedStrings.xml")
    return ["".join(t.text or "" for t in si.iter(f"{NS}t")) for si in root.iter(f"{NS}si")]


def _date_styles(archive: zipfile.ZipFile) -> set[int]:
    """Indexes of cell styles whose number format shows a date."""
    if "xl/styles.xml" not in archive.namelist():
        return set()
    root = _xml(archive, "xl/styles.xml")
    custom = set()
    for fmt in root.iter(f"{NS}numFmt"):
        code = re.sub(r'"[^"]*"|\[[^\]]*\]', "", fmt.get("formatCode", "").lower())
        if "y" in code or ("d" in code and "m" in code):
            custom.add(int(fmt.get("numFmtId", "0")))
    xfs = root.find(f"{NS}cellXfs")
    if xfs is None:
        return set()
    return {
        i
        for i, xf in enumerate(xfs.findall(f"{NS}xf"))
        if int(xf.get("numFmtId", "0")) in _DATE_FORMATS | custom
    }


def _row_values(row: ET.Element, strings: list[str], dates: set[int]) -> list[Cell]:
    values: list[Cell] = []
    for cell in row.findall(f"{NS}c"):
        index = _column_index(cell.get("r", ""), len(values))
        values.extend([None] * (index - len(values)))
        values.append(_cell_value(cell, strings, dates))
    return values


def _column_index(ref: str, fallback: int) -> int:
    match = _CELL_REF.match(ref)
    if not match:
        return fallback
    index = 0
    for letter in match.group(1):
        index = index * 26 + (ord(letter) - 64)
    return index - 1


def _cell_value(cell: ET.Element, strings: list[str], dates: set[int]) -> Cell:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in cell.iter(f"{NS}t"))
    raw = cell.findtext(f"{NS}v")
    if raw is None:
        return None
    if kind == "s":
        index = int(raw) if raw.isdigit() else -1
        return strings[index] if 0 <= index < len(strings) else None
    if kind == "b":
        return raw == "1"
    if kind in {"str", "e"}:
        return raw
    return _number(raw, int(cell.get("s", "0") or 0) in dates)


def _number(raw: str, is_date: bool) -> Cell:
    try:
        number = float(raw)
    except ValueError:
        return raw
    if is_date and 0 < number < 2958466:
        return _EPOCH + dt.timedelta(days=int(number))
    return number


# --- writing ----------------------------------------------------------------------------------


def write_workbook(sheets: Iterable[tuple[str, Iterable[Iterable[Any]]]]) -> bytes:
    """A workbook with one worksheet per (name, rows); every value is written as text or a
    number, never as a formula."""
    sheets = list(sheets)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _content_types(len(sheets)))
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _workbook(name for name, _ in sheets))
        archive.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets)))
        for i, (_name, rows) in enumerate(sheets, start=1):
            archive.writestr(f"xl/worksheets/sheet{i}.xml", _sheet(rows))
    return buffer.getvalue()


_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)


def _content_types(count: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, count + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f"{sheets}</Types>"
    )


def _workbook(names: Iterable[str]) -> str:
    sheets = "".join(
        f'<sheet name="{escape(name[:31], {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
        for i, name in enumerate(names, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f"<sheets>{sheets}</sheets></workbook>"
    )


def _workbook_rels(count: int) -> str:
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/'
        f'2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, count + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{rels}</Relationships>"
    )


def _sheet(rows: Iterable[Iterable[Any]]) -> str:
    body = "".join(
        f'<row r="{r}">{"".join(_cell(v) for v in row)}</row>' for r, row in enumerate(rows, 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{body}</sheetData></worksheet>"
    )


_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "<c/>"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"<c><v>{value}</v></c>"
    text = _XML_ILLEGAL.sub("", str(value))
    return f'<c t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'
