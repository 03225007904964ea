"""Template helpers of the statistics pages: charts with readable labels, withheld figures."""

from typing import Any

from django import template
from django.utils.safestring import SafeString

from harbour.stats import charts

register = template.Library()


@register.simple_tag
def stats_bars(rows: Any, title: str, unit: str = "") -> SafeString:
    return charts.bars(rows, title, unit)


@register.filter
def figure(value: Any) -> str:
    """A published figure as the reader's language writes it, or why it is missing."""
    return charts.shown(value)


@register.simple_tag
def stats_map(rows: Any, title: str) -> SafeString:
    """`rows`: (province code, value) pairs."""
    return charts.canada_map(dict(rows), title)
