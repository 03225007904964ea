"""Server-rendered SVG pictures (no JavaScript, no external service): the funding map of Canada
and the collaboration network. Both carry a text alternative."""

import math
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from harbour.grants.models import Group
from harbour.grants.queries import Edge
from harbour.stats.core.suppression import DEFAULT_THRESHOLD

# Five steps of one blue (light to dark), readable in grey too; never colour alone (every shape
# has a title and the page has the same figures as a table).
SHADES = ("#eef3f8", "#c6d9ec", "#8fb4d9", "#4f86bf", "#1f4e85")
GROUP_COLOURS = {
    Group.FRONTLINE: "#1f77b4",
    Group.NGO: "#2ca02c",
    Group.COMMUNITIES: "#d98c00",
    Group.SURVIVORS: "#9467bd",
}
NO_GROUP = "#8c8c8c"


def shades(values: Mapping[str, float]) -> dict[str, int]:
    """0 for nothing, then quartiles of the others (by rank: a territory with few people and one
    award would otherwise make every province look alike)."""
    ranked = sorted((v, k) for k, v in values.items() if v > 0)
    out = dict.fromkeys(values, 0)
    for i, (_v, key) in enumerate(ranked):
        out[key] = 1 + 4 * i // len(ranked)
    return out


def funding_map(per_100k: Mapping[str, int], names: Mapping[str, str], title: str) -> SafeString:
    # The directory's vendored @svg-maps/canada shapes (CC BY 4.0), read once and cached there.
    from harbour.directory.places import provinces
    from harbour.directory.templatetags.directory import _shapes, grouped

    view_box, shapes = _shapes()
    steps = shades(per_100k)
    paths = format_html_join(
        "",
        '<path d="{}" fill="{}" stroke="#555" stroke-width="1"><title>{}</title></path>',
        (
            (
                shapes[prov.svg_id],
                SHADES[steps.get(code, 0)],
                _("%(name)s: $%(amount)s per 100,000 people")
                % {"name": names.get(code, code), "amount": grouped(per_100k.get(code, 0))},
            )
            for code, prov in provinces().items()
        ),
    )
    return format_html(
        '<svg class="canada-map" viewBox="{}" role="img" aria-label="{}"><title>{}</title>{}</svg>',
        view_box,
        title,
        title,
        paths,
    )


def network(
    nodes: Iterable[tuple[Any, str, str]],
    edges: Iterable[Edge],
    title: str,
    width: int = 1000,
    height: int = 720,
) -> SafeString:
    """Organisations on a circle (grouped by representation group), an arrow per pair that
    referred; the line's width grows with the count, and counts under the publication threshold
    are not told."""
    ordered = sorted(nodes, key=lambda n: (n[2] or "~", n[1]))
    # Room on both sides for the labels, which run outwards from their dots.
    cx, cy, radius = width / 2, height / 2, height / 2 - 60
    at = {}
    for i, (pk, _label, _group) in enumerate(ordered):
        angle = 2 * math.pi * i / max(1, len(ordered)) - math.pi / 2
        at[pk] = (cx + radius * math.cos(angle), cy + radius * math.sin(angle), angle)
    names = {pk: label for pk, label, _g in ordered}
    lines = format_html_join(
        "", "{}", ((_edge(e, at, names),) for e in edges if e.source in at and e.target in at)
    )
    dots = format_html_join(
        "", "{}", ((_node(pk, label, group, at[pk]),) for pk, label, group in ordered)
    )
    return format_html(
        '<svg class="network" viewBox="0 0 {} {}" role="img" aria-label="{}"><title>{}</title>'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#666"></path></marker></defs>{}{}</svg>',
        width,
        height,
        title,
        title,
        lines,
        dots,
    )


def count_text(count: int) -> str:
    if count < DEFAULT_THRESHOLD:
        return _("fewer than %(n)s referrals") % {"n": DEFAULT_THRESHOLD}
    return _("%(n)s referrals") % {"n": count}


def _edge(e: Edge, at: Mapping[Any, tuple[float, float, float]], names: Mapping[Any, str]) -> str:
    (x1, y1, _a), (x2, y2, _b) = at[e.source], at[e.target]
    # Stop short of the target's dot so the arrow head stays visible.
    length = math.hypot(x2 - x1, y2 - y1) or 1
    x2, y2 = x2 - (x2 - x1) * 9 / length, y2 - (y2 - y1) * 9 / length
    width = (
        1
        if e.count < DEFAULT_THRESHOLD
        else min(8, 1 + math.log2(e.count / DEFAULT_THRESHOLD + 1) * 2)
    )
    return format_html(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#666" stroke-opacity="0.6" '
        'stroke-width="{}" marker-end="url(#arrow)"><title>{}</title></line>',
        _n(x1),
        _n(y1),
        _n(x2),
        _n(y2),
        _n(width),
        _("%(a)s → %(b)s: %(count)s")
        % {"a": names[e.source], "b": names[e.target], "count": count_text(e.count)},
    )


def _node(pk: Any, label: str, group: str, where: tuple[float, float, float]) -> str:
    x, y, angle = where
    right = math.cos(angle) >= 0
    lx = x + (12 if right else -12)
    group_label = str(Group(group).label) if group in Group.values else _("no entry yet")
    label = _without_demo_prefix(label)
    short = label if len(label) <= 30 else label[:29] + "…"
    return format_html(
        '<g><circle cx="{}" cy="{}" r="8" fill="{}"><title>{} ({})</title></circle>'
        '<text x="{}" y="{}" font-size="12" text-anchor="{}">{}</text></g>',
        _n(x),
        _n(y),
        GROUP_COLOURS.get(group, NO_GROUP),  # type: ignore[call-overload]
        label,
        group_label,
        _n(lx),
        _n(y + 4),
        "start" if right else "end",
        short,
    )


def _without_demo_prefix(label: str) -> str:
    """Every demo organisation's name starts the same way; on the picture it only takes room."""
    for prefix in ("Demo — ", "Démo — "):
        if label.startswith(prefix):
            return label[len(prefix) :]
    return label


def _n(value: float) -> str:
    """format_html escapes its arguments into text, so numbers are formatted first."""
    return f"{value:.1f}"
