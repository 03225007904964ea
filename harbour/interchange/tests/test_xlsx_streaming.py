"""A worksheet is read row by row, not parsed whole (issue 13: large files stream)."""

import io
import tracemalloc
import zipfile

import pytest

from harbour.interchange import xlsx
from harbour.interchange.problems import FileProblem

SHEET = "xl/worksheets/sheet1.xml"


def _book(rows: int) -> bytes:
    return xlsx.write_workbook([("s", ([f"r{i}", i, "x" * 40] for i in range(rows)))])


def _with_sheet(data: bytes, sheet: bytes) -> bytes:
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            target.writestr(name, sheet if name == SHEET else source.read(name))
    return out.getvalue()


def test_rows_before_a_damaged_part_arrive_before_the_damage_is_refused() -> None:
    """Parsed whole, the damage at the end would be refused before the first row."""
    data = _book(50)
    sheet = zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    cut = sheet.index(b'<row r="40"')
    rows = xlsx.read_rows(_with_sheet(data, sheet[:cut] + b"<row r='40'><c"))
    assert next(rows)[0] == "r0"
    with pytest.raises(FileProblem):
        list(rows)


def test_reading_a_large_sheet_holds_a_row_at_a_time() -> None:
    """Memory while reading 20,000 rows stays a small part of what the parsed sheet would take."""
    data = _book(20_000)
    tracemalloc.start()
    try:
        count = sum(1 for _ in xlsx.read_rows(data))
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    expanded = zipfile.ZipFile(io.BytesIO(data)).getinfo(SHEET).file_size
    assert count == 20_000
    assert peak < expanded, (peak, expanded)


def test_a_declaration_in_the_worksheet_is_refused() -> None:
    data = _book(3)
    sheet = zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    bad = sheet.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "b">]>', 1)
    with pytest.raises(FileProblem, match="declarations"):
        list(xlsx.read_rows(_with_sheet(data, bad)))
