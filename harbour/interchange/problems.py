"""What goes wrong with a file, said so a person can fix it: where (row, column) and what.

Messages never repeat a cell's value (it may identify a survivor), and a column is named by its
position, plus its header only when Harbour recognised it (an unrecognised "header" may be a row
of data in a file that has none).
"""

from dataclasses import dataclass

from django.utils.functional import Promise

# A report lists this many problems at most; more would drown the first ones.
MAX_PROBLEMS = 500


class FileProblem(Exception):
    """The file as a whole cannot be read (encoding, format, size, structure)."""

    def __init__(self, message: str | Promise) -> None:
        self.message = message
        super().__init__(str(message))


@dataclass(frozen=True)
class Problem:
    row: int | None  # the row number a spreadsheet shows (the header is row 1)
    column: str  # "C" or "C (intake_date)"; "" for the whole row or file
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "message": self.message}


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the names spreadsheets show."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
