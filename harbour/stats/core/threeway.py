"""Three-way tables (row × column × layer) and their disclosure control. Pure Python, no Django.

A three-way table is published as one two-way table per layer code, each with its margins, plus
the two-way table summed over the layers and the layer totals. Every person falls in exactly one
layer (the layer variable has one code per person), so the layers add up to the summed table.

Only two methods apply (ADR 46):
- random rounding: every *distinct* figure is rounded once, on its own (a figure shown twice,
  such as a layer's total in its table and in the list of layer totals, is the same rounded
  value both times: two independent roundings of one count could be combined to narrow it);
- differential privacy: noise on the layer cells only, every margin and the summed table being
  sums of the noisy cells (post-processing), so the figures are consistent and cost ε once.
Small-cell suppression is refused: see `SuppressionRefused`.
"""

import itertools
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from random import Random
from typing import Any

from harbour.stats.core import dp, rounding

Key3 = tuple[Any, Any, Any]  # (row, col, layer) codes


class SuppressionRefused(ValueError):
    """Complementary suppression layer by layer does not protect a three-way table whose sums
    (row × column, row × layer, column × layer) are also published: a cell withheld in one layer
    can be recovered by differencing the summed table against the other layers. A sound
    three-dimensional suppression is an integer programme (no bridge criterion exists beyond two
    dimensions), so three-way tables are published with rounding or differential privacy only."""


@dataclass(frozen=True)
class ThreeWay:
    rows: tuple[Hashable, ...]
    cols: tuple[Hashable, ...]
    layers: tuple[Hashable, ...]
    cells: dict[Key3, int]  # (row, col, layer)
    row_totals: dict[tuple[Hashable, Hashable], int]  # (row, layer): a layer's row margin
    col_totals: dict[tuple[Hashable, Hashable], int]  # (col, layer)
    layer_totals: dict[Hashable, int]
    summed: dict[tuple[Hashable, Hashable], int]  # (row, col) summed over the layers
    summed_rows: dict[Hashable, int]
    summed_cols: dict[Hashable, int]
    total: int


def with_margins(
    cells: Mapping[Any, int],
    rows: tuple[Hashable, ...],
    cols: tuple[Hashable, ...],
    layers: tuple[Hashable, ...],
) -> ThreeWay:
    """Every margin as the sum of the cells (missing cells are zero)."""
    body = {(r, c, g): cells.get((r, c, g), 0) for g in layers for r in rows for c in cols}
    if any(v < 0 for v in body.values()):
        raise ValueError("counts cannot be negative")
    return ThreeWay(
        rows=rows,
        cols=cols,
        layers=layers,
        cells=body,
        row_totals={(r, g): sum(body[(r, c, g)] for c in cols) for r in rows for g in layers},
        col_totals={(c, g): sum(body[(r, c, g)] for r in rows) for c in cols for g in layers},
        layer_totals={g: sum(body[(r, c, g)] for r in rows for c in cols) for g in layers},
        summed={(r, c): sum(body[(r, c, g)] for g in layers) for r in rows for c in cols},
        summed_rows={r: sum(body[(r, c, g)] for c in cols for g in layers) for r in rows},
        summed_cols={c: sum(body[(r, c, g)] for r in rows for g in layers) for c in cols},
        total=sum(body.values()),
    )


def rounded(
    table: ThreeWay, base: int = rounding.DEFAULT_BASE, rng: Random | None = None
) -> ThreeWay:
    """Each distinct figure randomly rounded to the base, once (unbiased, off by less than the
    base, zeros and multiples of the base unchanged). Figures need not add up: by design.

    A figure is identified by the cells it adds up: with one layer, the summed table *is* that
    layer; with one column, a row total *is* its cell. Such a figure is rounded once and shown
    the same everywhere, since two independent roundings of one count would narrow it."""
    rows, cols, layers = table.rows, table.cols, table.layers
    shown: dict[frozenset[Key3], int] = {}

    def figure(cover: frozenset[Key3], exact: int) -> int:
        if cover not in shown:
            shown[cover] = rounding.random_round(exact, base, rng)
        return shown[cover]

    def cover(rs: Iterable[Any], cs: Iterable[Any], gs: Iterable[Any]) -> frozenset[Key3]:
        return frozenset(itertools.product(rs, cs, gs))

    return replace(
        table,
        cells={k: figure(cover([k[0]], [k[1]], [k[2]]), v) for k, v in table.cells.items()},
        row_totals={
            (r, g): figure(cover([r], cols, [g]), v) for (r, g), v in table.row_totals.items()
        },
        col_totals={
            (c, g): figure(cover(rows, [c], [g]), v) for (c, g), v in table.col_totals.items()
        },
        layer_totals={g: figure(cover(rows, cols, [g]), v) for g, v in table.layer_totals.items()},
        summed={(r, c): figure(cover([r], [c], layers), v) for (r, c), v in table.summed.items()},
        summed_rows={r: figure(cover([r], cols, layers), v) for r, v in table.summed_rows.items()},
        summed_cols={c: figure(cover(rows, [c], layers), v) for c, v in table.summed_cols.items()},
        total=figure(cover(rows, cols, layers), table.total),
    )


def noisy(table: ThreeWay, scale: Fraction, rng: Random | None = None) -> ThreeWay:
    """Discrete Laplace noise on the layer cells, clamped at zero; everything else summed."""
    return with_margins(
        dp.noisy_counts(table.cells, scale, rng), table.rows, table.cols, table.layers
    )
