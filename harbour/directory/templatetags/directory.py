"""Template helpers of the directory: the locally drawn map of Canada (no tiles, no CDN)."""

import re
from functools import cache
from pathlib import Path
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

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
            "people": grouped(getattr(cell, "people_far", 0)),
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


def grouped(value: Any, decimals: int = 0) -> str:
    """A number as the current language writes it: 1,234 in English, 1 234 in French (rounded:
    number_format alone cuts the extra decimals off)."""
    return number_format(round(value, decimals), decimals, force_grouping=True)


@register.filter
def km(value: Any) -> str:
    if value is None:
        return "—"
    # A no-break space: a number never ends a line without its unit.
    return f"{grouped(value)}\u00a0km" if value >= 10 else f"{grouped(value, 1)}\u00a0km"


@register.filter
def percent(value: Any) -> str:
    return "—" if value is None else f"{value * 100:.0f}\u00a0%"


@register.filter
def provname(code: str) -> str:
    from harbour.directory.places import province_name

    return province_name(code or "")


# gettext_noop by its own name: xgettext only extracts the names it knows.
REASONS = {
    "meets_need": gettext_noop("meets a need you chose"),
    "vacancy": gettext_noop("has room today"),
    "language": gettext_noop("speaks the survivor's language"),
    "youth": gettext_noop("for youth"),
    "men_and_boys": gettext_noop("for men and boys"),
    "indigenous_cultural": gettext_noop("Indigenous-led or cultural"),
    "twoslgbtqi_affirming": gettext_noop("2SLGBTQI+-affirming"),
    "interpretation": gettext_noop("offers interpretation"),
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
    """12345 → "12,345" in English, "12 345" in French."""
    if value is None:
        return "—"
    return grouped(int(value))


# The tables of HSDS 3.0 as people call them (an import report counts records per table).
HSDS_TABLES = {
    "taxonomy": gettext_noop("Taxonomies"),
    "taxonomy_term": gettext_noop("Taxonomy terms"),
    "organization": gettext_noop("Organisations"),
    "program": gettext_noop("Programs"),
    "service": gettext_noop("Services"),
    "location": gettext_noop("Locations"),
    "service_at_location": gettext_noop("Services at locations"),
    "address": gettext_noop("Addresses"),
    "contact": gettext_noop("Contacts"),
    "phone": gettext_noop("Phone numbers"),
    "schedule": gettext_noop("Schedules"),
    "service_area": gettext_noop("Service areas"),
    "language": gettext_noop("Languages"),
    "accessibility": gettext_noop("Accessibility"),
    "cost_option": gettext_noop("Cost options"),
    "funding": gettext_noop("Funding"),
    "required_document": gettext_noop("Required documents"),
    "organization_identifier": gettext_noop("Organisation identifiers"),
    "attribute": gettext_noop("Attributes (taxonomy terms of records)"),
    "metadata": gettext_noop("Metadata"),
    "meta_table_description": gettext_noop("Table descriptions"),
    "closure": gettext_noop("Closures"),
}


@register.filter
def hsds_table(name: str) -> str:
    label = HSDS_TABLES.get(name)
    return _(label) if label else name
