"""Charts of three-way tables as small multiples (ADR 46): one two-way chart per layer, all drawn
on the same scale so that the layers compare, each titled with its layer's name. Server-side
SVG like `charts.bars`; every figure is also in the data tables beside the charts.

A panel groups bars by row category (a heading), one bar per column category. A withheld figure
is drawn as a grey stub marked "suppressed", never as a zero; rounded or noisy figures carry a
mark (≈) explained under the charts, because a rounded 0 may stand for 1 to 4 persons.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from harbour.stats.charts import shown, wrap

PANEL_W, LABEL_W, BAR_H, STEP, AXIS_H = 520, 200, 14, 18, 30
ROOM = PANEL_W - LABEL_W - 80  # the longest bar leaves room for its figure
LABEL_CHARS = 30
APPROXIMATE = "≈"


@dataclass(frozen=True)
class Panel:
    """One layer's two-way table: its name, the column labels, and (row label, cells) pairs."""

    name: str
    header: Sequence[str]
    rows: Sequence[tuple[str, Sequence[Any]]]


def nice_top(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above `value`: a scale end a reader can use."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(s * power for s in (1, 2, 2.5, 5, 10) if s * power >= value)


def shared_scale(panels: Sequence[Panel]) -> float:
    """One scale for every panel: the largest published cell of any layer, rounded up."""
    values = [v for p in panels for _label, cells in p.rows for v in cells if v is not None]
    return nice_top(max(values, default=0))


def drop_empty(panels: Sequence[Panel]) -> tuple[list[Panel], int]:
    """The panels without the row and column categories that are 0 in every layer (a table
    holds every code of its code lists; most are empty). The same categories are left out of
    every panel, so the panels keep one shape; withheld cells are not zeros and stay. Returns
    the panels and how many categories were left out."""
    if not panels:
        return [], 0
    rows = len(panels[0].rows)
    cols = len(panels[0].header)
    keep_rows = [
        i for i in range(rows) if any(p.rows[i][1][j] != 0 for p in panels for j in range(cols))
    ]
    keep_cols = [
        j for j in range(cols) if any(p.rows[i][1][j] != 0 for p in panels for i in range(rows))
    ]
    kept = [
        Panel(
            p.name,
            [p.header[j] for j in keep_cols],
            [(p.rows[i][0], [p.rows[i][1][j] for j in keep_cols]) for i in keep_rows],
        )
        for p in panels
    ]
    return kept, (rows - len(keep_rows)) + (cols - len(keep_cols))


def figure_text(value: Any, approximate: bool) -> str:
    """A figure as the chart writes it: withheld ones as such, rounded or noisy ones marked."""
    if value is None or not approximate:
        return shown(value)
    return f"{APPROXIMATE}{shown(value)}"


def panel_svg(panel: Panel, top: float, approximate: bool) -> SafeString:
    """One layer as grouped bars on the scale `top` (the value of a full-length bar)."""
    y, parts = 4, []
    for row_label, cells in panel.rows:
        heading = wrap(row_label, 70, 2)
        parts.append(_heading(y, row_label, heading))
        y += len(heading) * 14 + 4
        for col_label, value in zip(panel.header, cells, strict=True):
            parts.append(_bar(y, row_label, col_label, value, top, approximate))
            y += STEP
        y += 8
    axis = _axis(y, top)
    height = y + AXIS_H
    data = "; ".join(
        f"{row} · {col}: {figure_text(v, approximate)}"
        for row, cells in panel.rows
        for col, v in zip(panel.header, cells, strict=True)
    )
    return format_html(
        '<figure class="chart-figure layer-chart"><h3>{}</h3><svg class="chart" '
        'viewBox="0 0 {} {}" role="img" aria-label="{}"><title>{}</title><desc>{}</desc>{}{}'
        "</svg></figure>",
        panel.name,
        PANEL_W,
        height,
        panel.name,
        panel.name,
        data,
        format_html_join("", "{}", ((p,) for p in parts)),
        axis,
    )


def _heading(y: int, label: str, lines: list[str]) -> SafeString:
    tspans = format_html_join(
        "",
        '<tspan x="0" dy="{}">{}</tspan>',
        ((14 if i else 0, line) for i, line in enumerate(lines)),
    )
    return format_html(
        '<text class="group" x="0" y="{}" font-weight="bold"><title>{}</title>{}</text>',
        y + 11,
        label,
        tspans,
    )


def _bar(y: int, row: str, col: str, value: Any, top: float, approximate: bool) -> SafeString:
    label = wrap(col, LABEL_CHARS, 1)[0]
    text = figure_text(value, approximate)
    if value is None:
        width, css = 24, "bar suppressed"
    else:
        width, css = round(ROOM * float(value) / top), "bar"
    return format_html(
        '<g data-value="{}"><title>{} · {}: {}</title>'
        '<text x="{}" y="{}" text-anchor="end">{}</text>'
        '<rect class="{}" x="{}" y="{}" width="{}" height="{}"></rect>'
        '<text x="{}" y="{}">{}</text></g>',
        "" if value is None else value,
        row,
        col,
        text,
        LABEL_W - 6,
        y + 11,
        label,
        css,
        LABEL_W,
        y,
        width,
        BAR_H,
        LABEL_W + width + 4,
        y + 11,
        text,
    )


def _axis(y: int, top: float) -> SafeString:
    """The shared scale under the bars: 0, the middle (when whole) and the end."""
    ticks = [0.0, top / 2, top] if (top / 2).is_integer() else [0.0, top]
    marks = format_html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#8a9aa5"></line>'
        '<text x="{}" y="{}" text-anchor="middle">{}</text>',
        (
            (x, y, x, y + 5, x, y + 18, shown(int(t)) if t.is_integer() else shown(t))
            for t in ticks
            for x in [LABEL_W + round(ROOM * t / top)]
        ),
    )
    return format_html(
        '<g class="axis"><line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#8a9aa5"></line>{}</g>',
        LABEL_W,
        y,
        LABEL_W + ROOM,
        y,
        marks,
    )


def note(meta: dict[str, Any], left_out: int, withheld: bool, layers: int) -> list[str]:
    """What a reader needs to read the marks of the charts."""
    lines = []
    if meta.get("method") == "rounding":
        base = int(meta.get("base", 5))
        lines.append(
            _(
                "≈: figures randomly rounded to a multiple of %(base)s; a 0 may stand for 1 to "
                "%(below)s persons."
            )
            % {"base": base, "below": base - 1}
        )
    elif meta.get("method") == "dp":
        lines.append(_("≈: figures with random noise added (differential privacy)."))
    if withheld:
        lines.append(_("Grey bars marked “suppressed”: figures withheld, not zeros."))
    if left_out and layers > 1:
        lines.append(
            _(
                "Categories that are 0 in every layer are left out of the charts; the tables "
                "list them all."
            )
        )
    elif left_out:
        lines.append(
            _(
                "Categories that are 0 throughout are left out of the chart; the table lists "
                "them all."
            )
        )
    return lines


def small_multiples(panels: Sequence[Panel], meta: dict[str, Any]) -> dict[str, Any]:
    """The charts of a three-way table: a panel per layer on one shared scale, and its notes.
    `meta`: the table's disclosure control (its method, and the rounding base)."""
    kept, left_out = drop_empty(panels)
    top = shared_scale(kept)
    approximate = meta.get("method") in ("rounding", "dp")
    withheld = any(None in cells for p in kept for _row, cells in p.rows)
    return {
        "panels": [panel_svg(p, top, approximate) for p in kept if p.rows and p.header],
        "scale": top,
        "notes": note(meta, left_out, withheld, len(kept)),
    }
