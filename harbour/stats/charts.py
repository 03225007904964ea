"""Server-side SVG charts with labels readable in full: long labels wrap onto up to three lines,
anything longer ends in an ellipsis with the whole label in the bar's tooltip (<title>), and every
chart comes with its data as text for screen readers (and as a table on the page)."""

import re
from collections.abc import Sequence
from functools import cache
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


# The map of Canada is the directory's vendored @svg-maps/canada (CC BY 4.0, Victor Cazanave).
SHADES = ("#dbe9f4", "#a9cbe6", "#6fa6d3", "#3b7fb8", "#1d5a8f")
WITHHELD = "#c9d3da"
_PATH = re.compile(r'<path\s+id="(?P<id>[a-z]+)"\s+aria-label="[^"]*"\s+d="(?P<d>[^"]+)"', re.S)


@cache
def _shapes() -> tuple[str, dict[str, str]]:
    from harbour.directory.templatetags.directory import MAP

    text = MAP.read_text(encoding="utf-8")
    view_box = re.search(r'viewBox="([^"]+)"', text)
    assert view_box is not None
    return view_box.group(1), {m["id"]: " ".join(m["d"].split()) for m in _PATH.finditer(text)}


def shade(value: Any, top: float) -> str:
    if value is None:
        return WITHHELD
    if not value or not top:
        return "#f4f7f9"
    return SHADES[min(len(SHADES) - 1, int(len(SHADES) * float(value) / (top + 1)))]


def canada_map(values: dict[str, Any], title: str) -> SafeString:
    """Provinces and territories shaded by their published count (withheld ones in grey); the
    same figures are in the table beside it."""
    from harbour.directory.places import provinces

    view_box, shapes = _shapes()
    top = max((v for v in values.values() if isinstance(v, int)), default=0)
    paths = format_html_join(
        "",
        '<path d="{}" fill="{}" stroke="#8a9aa5"><title>{}: {}</title></path>',
        (
            (shapes[p.svg_id], shade(values.get(code), top), p.en if _en() else p.fr,
             shown(values.get(code)))
            for code, p in provinces().items()
            if p.svg_id in shapes
        ),
    )  # fmt: skip
    return format_html(
        '<figure class="chart-figure"><svg class="chart map" viewBox="{}" role="img" '
        'aria-label="{}"><title>{}</title>{}</svg><figcaption class="small muted">{}</figcaption>'
        "</figure>",
        view_box,
        title,
        title,
        paths,
        _("Map: @svg-maps/canada, Victor Cazanave, CC BY 4.0. Grey: withheld."),
    )


def _en() -> bool:
    from django.utils.translation import get_language

    return not (get_language() or "en").startswith("fr")
