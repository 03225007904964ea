"""Three-way tables (row × column × layer): rounding and differential privacy property-tested,
and the reason suppression is refused (ADR 46) shown on a table where it would fail."""

from fractions import Fraction
from random import Random
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from harbour.stats.core import suppression, threeway


@st.composite
def three_way(draw: st.DrawFn) -> threeway.ThreeWay:
    rows = tuple(f"r{i}" for i in range(draw(st.integers(1, 4))))
    cols = tuple(f"c{i}" for i in range(draw(st.integers(1, 4))))
    layers = tuple(f"g{i}" for i in range(draw(st.integers(1, 4))))
    small = st.one_of(st.just(0), st.integers(1, 9), st.integers(10, 60))
    cells = {(r, c, g): draw(small) for r in rows for c in cols for g in layers}
    return threeway.with_margins(cells, rows, cols, layers)


def figures(t: threeway.ThreeWay) -> list[int]:
    return [
        *t.cells.values(),
        *t.row_totals.values(),
        *t.col_totals.values(),
        *t.layer_totals.values(),
        *t.summed.values(),
        *t.summed_rows.values(),
        *t.summed_cols.values(),
        t.total,
    ]


def consistent(t: threeway.ThreeWay) -> bool:
    """Every margin is the sum of the cells it covers."""
    return t == threeway.with_margins(t.cells, t.rows, t.cols, t.layers)


@given(three_way())
def test_exact_margins_add_up_and_layers_sum_to_the_two_way_table(t: threeway.ThreeWay) -> None:
    assert consistent(t)
    assert sum(t.layer_totals.values()) == t.total == sum(t.summed.values())
    for r in t.rows:
        assert t.summed_rows[r] == sum(t.row_totals[(r, g)] for g in t.layers)


@given(three_way(), st.integers(0, 2**32))
def test_rounding_publishes_multiples_of_five_within_one_step(
    t: threeway.ThreeWay, seed: int
) -> None:
    out = threeway.rounded(t, 5, Random(seed))
    for exact, shown in zip(figures(t), figures(out), strict=True):
        assert shown % 5 == 0 and abs(shown - exact) < 5
        assert exact != 0 or shown == 0  # a zero stays a zero
        assert exact % 5 != 0 or shown == exact
    assert out.layers == t.layers and set(out.cells) == set(t.cells)


@given(three_way(), st.integers(0, 2**32))
def test_a_figure_shown_twice_is_rounded_once(t: threeway.ThreeWay, seed: int) -> None:
    """With one layer the summed table is that layer; with one column a row total is its
    cell: the same count, so the same published figure (two draws would narrow it)."""
    out = threeway.rounded(t, 5, Random(seed))
    for g in t.layers:
        if len(t.cols) == 1:
            assert out.layer_totals[g] == out.col_totals[(t.cols[0], g)]
        for r in t.rows:
            for c in t.cols:
                if len(t.layers) == 1:
                    assert out.summed[(r, c)] == out.cells[(r, c, g)]
                if len(t.cols) == 1:
                    assert out.row_totals[(r, g)] == out.cells[(r, c, g)]
                if len(t.rows) == 1:
                    assert out.col_totals[(c, g)] == out.cells[(r, c, g)]
    if len(t.layers) == 1:
        assert out.total == out.layer_totals[t.layers[0]]
        assert all(out.summed_rows[r] == out.row_totals[(r, t.layers[0])] for r in t.rows)


@given(three_way(), st.integers(0, 2**32))
def test_no_published_rounded_figure_is_a_small_count(t: threeway.ThreeWay, seed: int) -> None:
    """Rounded to base 5, a published 1 to 4 cannot occur; a 5 stands for 1 to 9."""
    out = threeway.rounded(t, 5, Random(seed))
    assert not any(0 < v < 5 for v in figures(out))


@given(three_way(), st.sampled_from(["0.5", "1", "3"]), st.integers(1, 3), st.integers(0, 2**32))
def test_noisy_tables_are_non_negative_integers_with_consistent_totals(
    t: threeway.ThreeWay, epsilon: str, sensitivity: int, seed: int
) -> None:
    from harbour.stats.core import dp

    out = threeway.noisy(t, dp.scale_for(epsilon, sensitivity), Random(seed))
    assert all(isinstance(v, int) and v >= 0 for v in figures(out))
    assert consistent(out)
    assert sum(out.layer_totals.values()) == out.total == sum(out.summed.values())


def test_noise_is_drawn_per_layer_cell() -> None:
    cells = {("r", "c", "g1"): 50, ("r", "c", "g2"): 50}
    t = threeway.with_margins(cells, ("r",), ("c",), ("g1", "g2"))
    draws = {threeway.noisy(t, Fraction(2), Random(s)).cells[("r", "c", "g1")] for s in range(30)}
    assert len(draws) > 3


def test_layer_by_layer_suppression_is_undone_by_the_summed_table() -> None:
    """Why ADR 46 refuses suppression: each layer suppressed on its own, and the two-way table
    summed over the layers published beside them, give the small cell back by subtraction."""
    rows, cols = ("r1", "r2"), ("c1", "c2")
    layer_a = {("r1", "c1"): 3, ("r1", "c2"): 20, ("r2", "c1"): 20, ("r2", "c2"): 20}
    layer_b = dict.fromkeys(layer_a, 20)
    shown_a = suppression.suppress_crosstab(layer_a, rows, cols, 10)
    shown_b = suppression.suppress_crosstab(layer_b, rows, cols, 10)
    summed = {k: layer_a[k] + layer_b[k] for k in layer_a}
    shown_sum = suppression.suppress_crosstab(summed, rows, cols, 10)
    assert shown_a.cells[("r1", "c1")] is None  # withheld in its layer...
    recovered = shown_sum.cells[("r1", "c1")] - shown_b.cells[("r1", "c1")]  # type: ignore[operator]
    assert recovered == 3  # ...and recovered by differencing


PROVINCES = ["CA-ON", "CA-MB", "CA-QC", None]
KINDS = ["sexual_exploitation", "forced_labour", "domestic_servitude"]


@st.composite
def people(draw: st.DrawFn) -> list[dict[str, Any]]:
    person: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
        {
            "intake_province": st.sampled_from(PROVINCES),
            "exploitation_types": st.lists(st.sampled_from(KINDS), max_size=3, unique=True),
            "intake_method": st.sampled_from(["self", "police", None]),
        }
    )
    return draw(st.lists(person, max_size=40))


@given(people())
def test_the_layers_of_a_counted_table_add_up_to_the_two_way_count(
    persons: list[dict[str, Any]],
) -> None:
    """Counted from person rows, the summed table is exactly the two-way table of the same
    persons, and the layer totals are the margin of the row × layer two-way table (sums of
    cells, so a person with two exploitation types counts in both, as in every table)."""
    from harbour.stats import layered, tables

    spec = tables.Spec("exploitation_type", "referral_source", "province")
    three = layered.as_table(spec, layered.count(spec, persons), {})
    two = tables.count(tables.Spec("exploitation_type", "referral_source"), persons)
    for key, value in two.cells.items():
        assert three.summed.cells.get(key, 0) == value
    by_layer = tables.count(tables.Spec("exploitation_type", "province"), persons)
    for g in three.layers:
        assert three.layer_totals[g] == by_layer.col_totals[g]
        for r in three.summed.rows:
            assert three.tables[g].row_totals[r] == by_layer.cells[(r, g)]
    assert three.total == two.total == by_layer.total
