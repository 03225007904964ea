"""Template helpers of the directory: the locally drawn map of Canada (no tiles, no CDN)."""

import re
from functools import cache
from pathlib import Path
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as _noop

from harbour.directory.places import provinces

register = template.Library()
MAP = (
    Path(__file__).resolve().parent.parent
    / "static"
    / "directory"
    / "vendor"
    / "svg-maps-canada"
    / "canada.svg"
)
_PATH = re.compile(r'<path\s+id="(?P<id>[a-z]+)"\s+aria-label="[^"]*"\s+d="(?P<d>[^"]+)"', re.S)


@cache
def _shapes() -> tuple[str, dict[str, str]]:
    """The vendored @svg-maps/canada shapes (CC BY 4.0, Victor Cazanave), by svg id."""
    text = MAP.read_text(encoding="utf-8")
    view_box = re.search(r'viewBox="([^"]+)"', text)
    assert view_box is not None
    return view_box.group(1), {m["id"]: " ".join(m["d"].split()) for m in _PATH.finditer(text)}


@register.simple_tag
def canada_map(cells: dict[str, Any], title: str) -> SafeString:
    """A choropleth: each province or territory coloured by its cell's severity (0–4)."""
    view_box, shapes = _shapes()
    parts = []
    for code, prov in provinces().items():
        cell = cells.get(code)
        severity = getattr(cell, "severity", 0)
        label = _("%(name)s: %(people)s people beyond a reasonable distance") % {
            "name": prov.name,
            "people": f"{getattr(cell, 'people_far', 0):,}",
        }
        parts.append((shapes[prov.svg_id], severity, label, code))
    paths = format_html_join(
        "",
        '<path d="{}" class="sev-{}"><title>{}</title></path>',
        ((d, s, label) for d, s, label, _code in parts),
    )
    return format_html(
        '<svg class="canada-map" viewBox="{}" role="img" aria-label="{}"><title>{}</title>{}</svg>',
        view_box,
        title,
        title,
        paths,
    )


@register.filter
def km(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f} km" if value >= 10 else f"{value:.1f} km"


@register.filter
def percent(value: Any) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


@register.filter
def provname(code: str) -> str:
    from harbour.directory.places import province_name

    return province_name(code or "")


REASONS = {
    "meets_need": _noop("meets a need you chose"),
    "vacancy": _noop("has room today"),
    "language": _noop("speaks the survivor's language"),
    "youth": _noop("for youth"),
    "men_and_boys": _noop("for men and boys"),
    "indigenous_cultural": _noop("Indigenous-led or cultural"),
    "twoslgbtqi_affirming": _noop("2SLGBTQI+-affirming"),
    "interpretation": _noop("offers interpretation"),
}


@register.filter
def reason(code: str) -> str:
    found = REASONS.get(code)
    return _(found) if found else code


@register.filter
def tri(value: bool | None) -> str:
    if value is None:
        return _("Not stated")
    return _("Yes") if value else _("No")


@register.filter
def genders(codes: list[str]) -> str:
    from harbour.standard.dictionary import current

    listed = current().codelists["gender_identity"]
    return ", ".join(listed.label_of(c) for c in codes or [])


@register.filter
def thousands(value: Any) -> str:
    """12345 → "12 345" (a thin space reads right in English and French)."""
    if value is None:
        return "—"
    return f"{int(value):,}".replace(",", "\u202f")
