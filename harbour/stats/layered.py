"""Three-way tables: a row × column table per code of a layer variable (a region, a year...),
each with its margins, plus the table summed over the layers and the layer totals (ADR 46).

The layer variable has one code per person, so the layers partition the persons and add up to
the two-way table. Disclosure control is random rounding or differential privacy
(`core.threeway`); suppression is refused (`core.threeway.SuppressionRefused`).
"""

import hashlib
import hmac
import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from random import Random
from typing import Any

from django.utils.translation import gettext_lazy as _

from harbour.stats.catalogue import MAX_CODES, VARIABLES
from harbour.stats.core import dp, rounding, threeway
from harbour.stats.tables import Method, Spec, Table, ordered

THREE_WAY_METHODS = (Method.ROUNDING, Method.DP)


def layer_choices() -> list[str]:
    """The variables that can be a layer: those with one code per person."""
    return [v.id for v in VARIABLES.values() if not v.multi]


MSG_LAYER = _(
    "Choose a layer variable with one code per person, different from the rows and columns."
)
MSG_LAYER_NEEDS_COLUMN = _("A three-way table needs a column variable.")


def spec_errors(row: str, col: str, layer: str) -> dict[str, list[Any]]:
    """What is wrong with a table's layer, by role ("layer", "col"); empty when nothing is.
    The one statement of the rule, for the form and the action (the page, API and commands)."""
    if not layer:
        return {}
    if layer not in layer_choices() or layer in (row, col):
        return {"layer": [MSG_LAYER]}
    if not col:
        return {"col": [MSG_LAYER_NEEDS_COLUMN]}
    return {}


@dataclass
class LayeredTable:
    """A three-way table ready to show: one `Table` per layer code, the summed table. The layer
    totals and the grand total are read from those tables, never stored beside them."""

    spec: Spec
    layers: list[str]
    tables: dict[str, Table]
    summed: Table
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def layer_totals(self) -> dict[str, int | None]:
        """Each layer's total: the total of its table (one figure, shown in two places)."""
        return {g: self.tables[g].total for g in self.layers}

    @property
    def total(self) -> int | None:
        """The grand total: the total of the table summed over the layers."""
        return self.summed.total

    def as_json(self) -> dict[str, Any]:
        return {
            "row": self.spec.row,
            "col": self.spec.col,
            "layer": self.spec.layer,
            "layers": [{"code": g, "table": self.tables[g].as_json()} for g in self.layers],
            "summed": self.summed.as_json(),
            "layer_totals": self.layer_totals,
            "total": self.total,
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "LayeredTable":
        """`layer_totals` and `total` are written for readers of the JSON and ignored here."""
        spec = Spec(data["row"], data["col"], data["layer"])
        layers = [item["code"] for item in data["layers"]]
        return cls(
            spec=spec,
            layers=layers,
            tables={item["code"]: Table.from_json(item["table"]) for item in data["layers"]},
            summed=Table.from_json(data["summed"]),
            meta=dict(data.get("meta", {})),
        )


def load(result: dict[str, Any]) -> Table | LayeredTable:
    """A release's stored result, whichever its shape."""
    return LayeredTable.from_json(result) if result.get("layer") else Table.from_json(result)


def count(spec: Spec, people: list[dict[str, Any]], *, capped: bool = False) -> threeway.ThreeWay:
    """The exact three-way counts. Each person's codes are read once, so a capped person
    contributes the same codes to its layer and to the summed table."""
    row_var, col_var = spec.variables()
    layer_var = spec.layer_variable()
    if col_var is None or layer_var is None or layer_var.multi:
        raise ValueError("a three-way table needs a column and a single-code layer variable")
    counts: Counter[tuple[str, str, str]] = Counter()
    for person in people:
        g = layer_var.codes_of(person[layer_var.column])[0]
        for r in row_var.codes_of(person[row_var.column], capped):
            for c in col_var.codes_of(person[col_var.column], capped):
                counts[(r, c, g)] += 1
    rows = ordered(row_var, {k[0] for k in counts} | set(row_var.categories()))
    cols = ordered(col_var, {k[1] for k in counts} | set(col_var.categories()))
    # Rounded, an empty layer would show zeros only (zeros are published as zeros): it is left
    # out. With noise (`capped`), which layers exist must not depend on the data: all of them.
    seen = {k[2] for k in counts} | (set(layer_var.categories()) if capped else set())
    layers = ordered(layer_var, seen)
    return threeway.with_margins(dict(counts), tuple(rows), tuple(cols), tuple(layers))


def as_table(spec: Spec, figures: threeway.ThreeWay, meta: dict[str, Any]) -> LayeredTable:
    rows, cols = [str(r) for r in figures.rows], [str(c) for c in figures.cols]
    two_way = Spec(spec.row, spec.col)

    def layer(g: Any) -> Table:
        return Table(
            two_way,
            rows,
            cols,
            {(r, c): figures.cells[(r, c, g)] for r in rows for c in cols},
            {r: figures.row_totals[(r, g)] for r in rows},
            {c: figures.col_totals[(c, g)] for c in cols},
            figures.layer_totals[g],
            {"layer": g},
        )

    summed = Table(
        two_way,
        rows,
        cols,
        {(r, c): figures.summed[(r, c)] for r in rows for c in cols},
        {r: figures.summed_rows[r] for r in rows},
        {c: figures.summed_cols[c] for c in cols},
        figures.total,
    )
    layers = [str(g) for g in figures.layers]
    return LayeredTable(
        spec=spec,
        layers=layers,
        tables={str(g): layer(g) for g in figures.layers},
        summed=summed,
        meta=meta,
    )


def keyed_rng(spec: Spec, exact: threeway.ThreeWay, key: str | bytes) -> Random:
    """A generator seeded by a keyed hash (HMAC-SHA256) of the table and its exact cells: the same
    table over the same counts always rounds the same way, so a figure shown again (a preview
    reloaded) cannot be averaged back to its exact count. The idea of the cell-key method
    (ADR 46); the key keeps the seed, and so the draw, out of reach of anyone who guesses the
    counts."""
    cells = sorted([str(r), str(c), str(g), v] for (r, c, g), v in exact.cells.items())
    message = json.dumps([spec.row, spec.col, spec.layer, cells], separators=(",", ":"))
    secret = key.encode() if isinstance(key, str) else key
    digest = hmac.new(secret, message.encode(), hashlib.sha256).digest()
    return Random(int.from_bytes(digest, "big"))


def protect(
    spec: Spec,
    exact: threeway.ThreeWay,
    method: str,
    *,
    epsilon: Decimal | None = None,
    records_per_person: int = 1,
    rng: Random | None = None,
) -> LayeredTable:
    if method == Method.ROUNDING:
        meta = {"method": Method.ROUNDING, "base": rounding.DEFAULT_BASE}
        return as_table(spec, threeway.rounded(exact, rounding.DEFAULT_BASE, rng), meta)
    if method == Method.DP and epsilon is not None:
        sensitivity = spec.sensitivity(records_per_person)
        scale = dp.scale_for(epsilon, sensitivity)
        meta = {
            "method": Method.DP,
            "epsilon": str(epsilon),
            "delta": "0",
            "sensitivity": sensitivity,
            "scale": str(scale),
            "mechanism": dp.mechanism_name(),
            "error_95": dp.error_bound(scale),
            "codes_per_person_at_most": MAX_CODES,
        }
        return as_table(spec, threeway.noisy(exact, scale, rng), meta)
    if method == Method.SUPPRESSION:
        raise threeway.SuppressionRefused(method)
    raise ValueError(f"unknown method {method!r}")
