"""Labels for the grants pages (codes to words in the reader's language)."""

from collections.abc import Iterable
from typing import Any

from django import template

from harbour.grants.models import Group, Pillar, Population

register = template.Library()


def _joined(codes: Iterable[str] | None, label: Any) -> str:
    return ", ".join(str(label(c)) for c in codes or [])


def _choice(choices: Any) -> Any:
    def label(code: str) -> str:
        try:
            return str(choices(code).label)
        except ValueError:
            return code

    return label


@register.filter
def pillars(codes: list[str] | None) -> str:
    return _joined(codes, _choice(Pillar))


@register.filter
def populations(codes: list[str] | None) -> str:
    return _joined(codes, _choice(Population))


@register.filter
def groups(codes: list[str] | None) -> str:
    return _joined(codes, _choice(Group))


@register.filter
def group(code: str) -> str:
    return str(_choice(Group)(code))


@register.filter
def provname(code: str) -> str:
    from harbour.directory.places import province_name

    return province_name(code or "")


@register.filter
def provnames(codes: list[str] | None) -> str:
    return _joined(codes, provname)


@register.filter
def orgtype(code: str) -> str:
    from harbour.standard.dictionary import current

    return current().codelists["organisation_type"].label_of(code)


@register.filter
def orgtypes(codes: list[str] | None) -> str:
    return _joined(codes, orgtype)


@register.filter
def langs(codes: list[str] | None) -> str:
    from harbour.standard.dictionary import current

    return _joined(codes, current().codelists["language"].label_of)


@register.filter
def share(value: float | None) -> str:
    # A no-break space before the sign, as French writes it and as the directory does.
    return "—" if value is None else f"{value * 100:.0f}\u00a0%"
