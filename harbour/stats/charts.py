"""Server-side SVG charts with labels readable in full: long labels wrap onto up to three lines,
anything longer ends in an ellipsis with the whole label in the bar's tooltip (<title>), and every
chart comes with its data as text for screen readers (and as a table on the page)."""

from collections.abc import Sequence
from typing import Any

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

WIDTH, LABEL_W, LINE_H, GAP = 680, 250, 14, 10
LINE_CHARS, MAX_LINES = 32, 3


def wrap(label: str, width: int = LINE_CHARS, lines: int = MAX_LINES) -> list[str]:
    """Words onto lines of at most `width` characters; the last line ends in … if cut."""
    out: list[str] = []
    current = ""
    for word in label.split():
        candidate = f"{current} {word}".strip()
        if len(candidate) <= width or not current:
            current = candidate
        else:
            out.append(current)
            current = word
    out.append(current)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: width - 1].rstrip() + "…"
    return [line if len(line) <= width else line[: width - 1] + "…" for line in out]


def shown(value: Any, unit: str = "") -> str:
    if value is None:
        return _("suppressed")
    text = number_format(value, force_grouping=True)
    return f"{text}\u00a0{unit}" if unit else text


def bars(rows: Sequence[tuple[str, Any]], title: str, unit: str = "") -> SafeString:
    """A horizontal bar chart; a value of None is drawn as withheld."""
    top = max((v for _l, v in rows if isinstance(v, int | float)), default=0) or 1
    y, parts = GAP, []
    for label, value in rows:
        lines = wrap(str(label))
        height = max(20, len(lines) * LINE_H + 6)
        parts.append(_bar(y, height, str(label), lines, value, top, unit))
        y += height + GAP
    return format_html(
        '<figure class="chart-figure"><svg class="chart" viewBox="0 0 {} {}" role="img" '
        'aria-label="{}"><title>{}</title>{}</svg><figcaption class="visually-hidden">{}'
        "</figcaption></figure>",
        WIDTH,
        y,
        title,
        title,
        format_html_join("", "{}", ((p,) for p in parts)),
        "; ".join(f"{label}: {shown(v, unit)}" for label, v in rows),
    )


def _bar(
    y: int, height: int, label: str, lines: list[str], value: Any, top: float, unit: str
) -> SafeString:
    tspans = format_html_join(
        "",
        '<tspan x="{}" dy="{}">{}</tspan>',
        ((LABEL_W - 8, LINE_H if i else 0, line) for i, line in enumerate(lines)),
    )
    text_y = y + 14 + (height - 20 - (len(lines) - 1) * LINE_H) // 2
    room = WIDTH - LABEL_W - 80
    width = 24 if value is None else max(1, round(room * float(value) / top))
    css = "bar suppressed" if value is None else "bar"
    return format_html(
        '<g><title>{}: {}</title><text x="{}" y="{}" text-anchor="end">{}</text>'
        '<rect class="{}" x="{}" y="{}" width="{}" height="20"></rect>'
        '<text x="{}" y="{}">{}</text></g>',
        label,
        shown(value, unit),
        LABEL_W - 8,
        text_y,
        tspans,
        css,
        LABEL_W,
        y + (height - 20) // 2,
        width,
        LABEL_W + width + 6,
        y + (height - 20) // 2 + 15,
        shown(value, unit),
    )
