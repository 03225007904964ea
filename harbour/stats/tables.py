"""Tables of the catalogue, counted over person rows, and their disclosure control.

`count` gives the exact table (for an organisation's own data, or as the input of disclosure
control); `protect` turns it into what may be published by one of three methods: small-cell
suppression with complementary suppression, random rounding to base 5, or differential privacy.
"""

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from random import Random
from typing import Any

from harbour.stats.catalogue import MAX_CODES, UNKNOWN, Variable, variable
from harbour.stats.core import dp, rounding, suppression

ALL = "all"  # the one column of a one-way table


class Method:
    SUPPRESSION = "suppression"
    ROUNDING = "rounding"
    DP = "dp"
    ALL = (SUPPRESSION, ROUNDING, DP)


@dataclass(frozen=True)
class Spec:
    row: str
    col: str = ""
    layer: str = ""  # a three-way table: one row × col table per code of this variable

    def ids(self) -> tuple[str, ...]:
        """The table's variable ids in order (rows, columns, layer), the empty ones left out."""
        return tuple(v for v in (self.row, self.col, self.layer) if v)

    def variables(self) -> tuple[Variable, Variable | None]:
        return variable(self.row), (variable(self.col) if self.col else None)

    def layer_variable(self) -> Variable | None:
        return variable(self.layer) if self.layer else None

    def sensitivity(self, records_per_person: int) -> int:
        """How many cells one person can move (its L1 contribution), the DP sensitivity."""
        row, col = self.variables()
        layer = self.layer_variable()
        return row.cap * (col.cap if col else 1) * (layer.cap if layer else 1) * records_per_person


@dataclass
class Table:
    """A table ready to show: cells by (row code, col code), None where withheld."""

    spec: Spec
    rows: list[str]
    cols: list[str]
    cells: dict[tuple[str, str], int | None]
    row_totals: dict[str, int | None]
    col_totals: dict[str, int | None]
    total: int | None
    meta: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "row": self.spec.row,
            "col": self.spec.col,
            "rows": self.rows,
            "cols": self.cols,
            "cells": [[r, c, self.cells[(r, c)]] for r in self.rows for c in self.cols],
            "row_totals": self.row_totals,
            "col_totals": self.col_totals,
            "total": self.total,
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Table":
        return cls(
            spec=Spec(data["row"], data["col"]),
            rows=list(data["rows"]),
            cols=list(data["cols"]),
            cells={(r, c): v for r, c, v in data["cells"]},
            row_totals=dict(data["row_totals"]),
            col_totals=dict(data["col_totals"]),
            total=data["total"],
            meta=dict(data.get("meta", {})),
        )


def ordered(var: Variable | None, seen: set[str]) -> list[str]:
    if var is None:
        return [ALL]
    known = [c for c in var.categories() if c in seen]
    rest = sorted(seen - set(known) - {UNKNOWN})
    return known + rest + ([UNKNOWN] if UNKNOWN in seen else [])


def count(spec: Spec, people: list[dict[str, Any]], *, capped: bool = False) -> Table:
    """The exact table: every category of the code list, plus those the data holds. `capped`
    (for differential privacy) bounds the codes each person contributes (catalogue.MAX_CODES)."""
    row_var, col_var = spec.variables()
    counts: Counter[tuple[str, str]] = Counter()
    for person in people:
        for r in row_var.codes_of(person[row_var.column], capped):
            for c in col_var.codes_of(person[col_var.column], capped) if col_var else [ALL]:
                counts[(r, c)] += 1
    rows = ordered(row_var, {r for r, _c in counts} | set(row_var.categories()))
    cols = ordered(col_var, {c for _r, c in counts} | set(col_var.categories() if col_var else []))
    cells: dict[tuple[str, str], int | None] = {(r, c): counts[(r, c)] for r in rows for c in cols}
    return _with_margins(spec, rows, cols, cells)


def _with_margins(
    spec: Spec, rows: list[str], cols: list[str], cells: dict[tuple[str, str], int | None]
) -> Table:
    def add(keys: list[tuple[str, str]]) -> int:
        return sum(cells[k] or 0 for k in keys)

    row_totals: dict[str, int | None] = {r: add([(r, c) for c in cols]) for r in rows}
    col_totals: dict[str, int | None] = {c: add([(r, c) for r in rows]) for c in cols}
    return Table(spec, rows, cols, cells, row_totals, col_totals, add(list(cells)))


def protect(
    table: Table,
    method: str,
    *,
    threshold: int = suppression.DEFAULT_THRESHOLD,
    epsilon: Decimal | None = None,
    records_per_person: int = 1,
    rng: Random | None = None,
) -> Table:
    if method == Method.SUPPRESSION:
        return _suppressed(table, threshold)
    if method == Method.ROUNDING:
        return _rounded(table, rng)
    if method == Method.DP and epsilon is not None:
        return _noisy(table, epsilon, records_per_person, rng)
    raise ValueError(f"unknown method {method!r}")


def _exact(table: Table) -> dict[tuple[str, str], int]:
    return {k: v or 0 for k, v in table.cells.items()}


def _one_way_hidden(totals: dict[str, int | None], threshold: int) -> tuple[set[str], bool]:
    """What the one-way release of these counts withholds: categories, and the total."""
    keys = tuple(totals)
    cells = {(k, ALL): v or 0 for k, v in totals.items()}
    out = suppression.suppress_crosstab(cells, keys, (ALL,), threshold)
    return {k for k in keys if out.cells[(k, ALL)] is None}, out.total is None


def _linked_margins(table: Table, threshold: int) -> tuple[frozenset[Any], frozenset[Any]]:
    """Margins of a two-way table that equal a one-way table of the same data (the other
    variable has one code per person): withheld exactly as that one-way table withholds them."""
    row_var, col_var = table.spec.variables()
    forced: set[Any] = set()
    locked: set[Any] = set()
    total = suppression.TOTAL
    if col_var is not None and not col_var.multi:
        hidden, grand = _one_way_hidden(table.row_totals, threshold)
        forced |= {(r, total) for r in hidden} | ({(total, total)} if grand else set())
        locked |= {(r, total) for r in table.rows} | {(total, total)}
    if col_var is not None and not row_var.multi:
        hidden, grand = _one_way_hidden(table.col_totals, threshold)
        forced |= {(total, c) for c in hidden} | ({(total, total)} if grand else set())
        locked |= {(total, c) for c in table.cols} | {(total, total)}
    return frozenset(forced), frozenset(locked)


def _suppressed(table: Table, threshold: int) -> Table:
    forced, locked = _linked_margins(table, threshold)
    out = suppression.suppress_crosstab(
        _exact(table),
        tuple(table.rows),
        tuple(table.cols),
        threshold,
        forced=forced,
        locked=locked,
    )
    one_way = table.cols == [ALL]
    return Table(
        table.spec,
        table.rows,
        table.cols,
        {k: out.cells[k] for k in table.cells},
        # A one-way table's row totals are its cells again: not shown separately.
        {r: out.row_totals[r] for r in table.rows},
        {c: out.col_totals[c] for c in table.cols},
        out.total,
        {"method": Method.SUPPRESSION, "threshold": threshold, "one_way": one_way},
    )


def _rounded(table: Table, rng: Random | None) -> Table:
    def r(v: int | None) -> int:
        return rounding.random_round(v or 0, rounding.DEFAULT_BASE, rng)

    return Table(
        table.spec,
        table.rows,
        table.cols,
        {k: r(v) for k, v in table.cells.items()},
        {k: r(v) for k, v in table.row_totals.items()},
        {k: r(v) for k, v in table.col_totals.items()},
        r(table.total),
        {"method": Method.ROUNDING, "base": rounding.DEFAULT_BASE},
    )


def _noisy(table: Table, epsilon: Decimal, records_per_person: int, rng: Random | None) -> Table:
    """Noise on the cells only; the margins are sums of the noisy cells (post-processing), so
    the table is consistent and the whole release costs epsilon once."""
    sensitivity = table.spec.sensitivity(records_per_person)
    scale = dp.scale_for(epsilon, sensitivity)
    noisy: dict[tuple[str, str], int | None] = dict(dp.noisy_counts(_exact(table), scale, rng))
    out = _with_margins(table.spec, table.rows, table.cols, noisy)
    out.meta = {
        "method": Method.DP,
        "epsilon": str(epsilon),
        "delta": "0",
        "sensitivity": sensitivity,
        "scale": str(scale),
        "mechanism": dp.mechanism_name(),
        "error_95": dp.error_bound(scale),
        "codes_per_person_at_most": MAX_CODES,
    }
    return out
