"""Suppression, property-tested. The recovery check solves the published margins with exact linear
algebra (Gaussian elimination on rationals), independently of the graph method in the code."""

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from harbour.stats.core.suppression import (
    TOTAL,
    augmented,
    safe_total,
    suppress,
    suppress_crosstab,
)

tables = st.dictionaries(st.text(min_size=1, max_size=5), st.integers(0, 200), max_size=12)


@given(tables, st.integers(1, 20))
def test_no_small_count_is_published(table: dict[str, int], threshold: int) -> None:
    out = suppress(table, threshold)
    assert all(v is None or v == 0 or v >= threshold for v in out.values())


@given(tables, st.integers(1, 20))
def test_published_values_are_true_values(table: dict[str, int], threshold: int) -> None:
    out = suppress(table, threshold)
    assert set(out) == set(table)
    assert all(v is None or v == table[k] for k, v in out.items())


@given(tables, st.integers(2, 20))
def test_a_single_hidden_cell_cannot_be_recovered_from_the_total(
    table: dict[str, int], threshold: int
) -> None:
    out = suppress(table, threshold)
    hidden = [k for k, v in out.items() if v is None]
    nonzero_others = [k for k, v in table.items() if v and k not in hidden]
    assert len(hidden) != 1 or not nonzero_others


def test_examples() -> None:
    assert suppress({"a": 3, "b": 40, "c": 12}) == {"a": None, "b": 40, "c": None}
    assert suppress({"a": 0, "b": 40}) == {"a": 0, "b": 40}
    assert suppress({"a": 3, "b": 4, "c": 50}) == {"a": None, "b": None, "c": 50}
    assert safe_total({"a": 3, "b": 4}) is None
    assert safe_total({"a": 30}) == 30


# --- two-way tables ---------------------------------------------------------------------------


@st.composite
def crosstabs(draw: st.DrawFn) -> tuple[dict, tuple, tuple]:
    rows = tuple(range(draw(st.integers(1, 5))))
    cols = tuple(f"c{i}" for i in range(draw(st.integers(1, 5))))
    small = st.integers(0, 12)
    big = st.integers(0, 80)
    cells = {(r, c): draw(st.one_of(small, big)) for r in rows for c in cols}
    return cells, rows, cols


def _rank(matrix: list[list[Fraction]]) -> int:
    m = [row[:] for row in matrix]
    rank, width = 0, len(m[0]) if m else 0
    for col in range(width):
        pivot = next((i for i in range(rank, len(m)) if m[i][col] != 0), None)
        if pivot is None:
            continue
        m[rank], m[pivot] = m[pivot], m[rank]
        for i in range(len(m)):
            if i != rank and m[i][col] != 0:
                factor = m[i][col] / m[rank][col]
                m[i] = [a - factor * b for a, b in zip(m[i], m[rank], strict=True)]
        rank += 1
    return rank


def recoverable(cells: dict, rows: tuple, cols: tuple, hidden: set) -> set:
    """The hidden figures an attacker can solve for exactly from the published ones."""
    unknown = sorted(hidden, key=str)
    if not unknown:
        return set()
    index = {k: i for i, k in enumerate(unknown)}
    constraints: list[list[Fraction]] = []
    # Each row: its cells minus its total is zero; each column likewise (margins included).
    for r in (*rows, TOTAL):
        keys = [(r, c) for c in cols]
        constraints.append(_row(keys, (r, TOTAL), index))
    for c in (*cols, TOTAL):
        keys = [(r, c) for r in rows]
        constraints.append(_row(keys, (TOTAL, c), index))
    base = _rank(constraints)
    found = set()
    for k in unknown:
        unit = [Fraction(0)] * len(unknown)
        unit[index[k]] = Fraction(1)
        if _rank([*constraints, unit]) == base:
            found.add(k)
    return found


def _row(keys: list, total: tuple, index: dict) -> list[Fraction]:
    row = [Fraction(0)] * len(index)
    for k in keys:
        if k in index:
            row[index[k]] += 1
    if total in index:
        row[index[total]] -= 1
    return row


def _hidden(out) -> set:
    hidden = {k for k, v in out.cells.items() if v is None}
    hidden |= {(r, TOTAL) for r, v in out.row_totals.items() if v is None}
    hidden |= {(TOTAL, c) for c, v in out.col_totals.items() if v is None}
    return hidden | ({(TOTAL, TOTAL)} if out.total is None else set())


@given(crosstabs(), st.integers(2, 12))
def test_crosstab_publishes_no_small_figure_and_only_true_ones(table, threshold: int) -> None:
    cells, rows, cols = table
    out = suppress_crosstab(cells, rows, cols, threshold)
    full = augmented(cells, rows, cols)
    published = (
        [((r, c), v) for (r, c), v in out.cells.items()]
        + [((r, TOTAL), v) for r, v in out.row_totals.items()]
        + [((TOTAL, c), v) for c, v in out.col_totals.items()]
        + [((TOTAL, TOTAL), out.total)]
    )
    for key, value in published:
        assert value is None or value == full[key]
        assert value is None or not (0 < value < threshold)


@given(crosstabs(), st.integers(2, 12))
def test_no_withheld_figure_can_be_solved_from_the_published_ones(table, threshold: int) -> None:
    cells, rows, cols = table
    out = suppress_crosstab(cells, rows, cols, threshold)
    hidden = _hidden(out)
    full = augmented(cells, rows, cols)
    assert all(full[k] > 0 for k in hidden)  # a zero is never withheld: cycles move both ways
    assert recoverable(cells, rows, cols, hidden) == set()


def test_one_small_cell_takes_three_others_with_it() -> None:
    cells: dict = {("a", "x"): 3, ("a", "y"): 40, ("b", "x"): 50, ("b", "y"): 60}
    out = suppress_crosstab(cells, ("a", "b"), ("x", "y"))
    assert out.cells[("a", "x")] is None
    assert out.withheld() == 4
    assert recoverable(cells, ("a", "b"), ("x", "y"), _hidden(out)) == set()


def _one_way(values: dict, threshold: int) -> tuple[set, bool]:
    keys = tuple(values)
    out = suppress_crosstab({(k, "all"): v for k, v in values.items()}, keys, ("all",), threshold)
    return {k for k in keys if out.cells[(k, "all")] is None}, out.total is None


@given(crosstabs(), st.integers(2, 12))
def test_a_two_way_table_and_its_one_way_margins_together_reveal_no_small_cell(
    table, threshold: int
) -> None:
    """Two releases of the same data: the one-way tables of both variables, and their two-way
    table. Its margins are withheld exactly where the one-way tables withhold them; solving all
    the published figures together recovers no small cell."""
    cells, rows, cols = table
    full = augmented(cells, rows, cols)
    hidden_rows, row_total = _one_way({r: full[(r, TOTAL)] for r in rows}, threshold)
    hidden_cols, col_total = _one_way({c: full[(TOTAL, c)] for c in cols}, threshold)
    forced = {(r, TOTAL) for r in hidden_rows} | {(TOTAL, c) for c in hidden_cols}
    forced |= {(TOTAL, TOTAL)} if (row_total or col_total) else set()
    locked = {(r, TOTAL) for r in rows} | {(TOTAL, c) for c in cols} | {(TOTAL, TOTAL)}
    out = suppress_crosstab(
        cells, rows, cols, threshold, forced=frozenset(forced), locked=frozenset(locked)
    )
    assert {r for r, v in out.row_totals.items() if v is None} == hidden_rows
    assert {c for c, v in out.col_totals.items() if v is None} == hidden_cols
    hidden = _hidden(out)
    if not (row_total and col_total):  # a one-way table publishes the grand total
        hidden.discard((TOTAL, TOTAL))
    small = {k for k in hidden if k[0] != TOTAL and k[1] != TOTAL and 0 < full[k] < threshold}
    assert not recoverable(cells, rows, cols, hidden) & small
