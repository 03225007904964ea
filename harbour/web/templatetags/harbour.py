"""Template helpers: dictionary labels and server-rendered SVG charts (no JavaScript, no CDN)."""

from collections.abc import Mapping, Sequence
from typing import Any

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.formats import number_format
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from harbour.core.widgets import as_html

register = template.Library()


@register.filter
def get_item(mapping: Mapping[str, Any] | None, key: str) -> Any:
    return (mapping or {}).get(key)


@register.filter
def codelabel(codelist: Any, code: str) -> str:
    return str(codelist.label_of(code)) if codelist is not None else code


@register.simple_tag
def bar_chart(rows: Sequence[tuple[str, Any]], title: str, unit: str = "") -> SafeString:
    """A horizontal bar chart as accessible SVG. A value of None is drawn as suppressed."""
    width, label_w, bar_h = 640, 250, 20
    # Long labels take two lines rather than being cut (issue 8); rows make room for them.
    gap = 18 if any(len(_lines(label)) > 1 for label, _v in rows) else 8
    numbers = [v for _label, v in rows if isinstance(v, int | float)]
    top = max(numbers, default=0) or 1
    height = len(rows) * (bar_h + gap) + gap
    bars = format_html_join(
        "",
        "{}",
        (
            (_bar(i, label, v, _with_unit(v, unit), top, label_w, width, bar_h, gap),)
            for i, (label, v) in enumerate(rows)
        ),
    )
    return format_html(
        '<figure class="chart-figure"><svg class="chart" viewBox="0 0 {} {}" role="img" '
        'aria-label="{}"><title>{}</title>{}</svg><figcaption class="visually-hidden">{}'
        "</figcaption></figure>",
        width,
        height,
        title,
        title,
        bars,
        _table_text(rows, unit),
    )


def _bar(
    i: int,
    label: str,
    value: Any,
    shown: str,
    top: float,
    label_w: int,
    width: int,
    bar_h: int,
    gap: int,
) -> SafeString:
    y = gap + i * (bar_h + gap)
    room = width - label_w - 60
    text = _label_text(label, label_w - 8, y)
    if value is None:
        return format_html(
            '<g><title>{}</title>{}<rect class="bar suppressed" x="{}" y="{}" width="24" '
            'height="{}"></rect><text x="{}" y="{}">{}</text></g>',
            label,
            text,
            label_w,
            y,
            bar_h,
            label_w + 30,
            y + 15,
            _("suppressed"),
        )
    w = max(1, round(room * float(value) / top))
    return format_html(
        '<g><title>{}</title>{}<rect class="bar" x="{}" y="{}" width="{}" height="{}"></rect>'
        '<text x="{}" y="{}">{}</text></g>',
        label,
        text,
        label_w,
        y,
        w,
        bar_h,
        label_w + w + 6,
        y + 15,
        shown,
    )


def _label_text(label: str, x: int, y: int) -> SafeString:
    lines = _lines(label)
    if len(lines) == 1:
        return format_html('<text x="{}" y="{}" text-anchor="end">{}</text>', x, y + 15, label)
    spans = format_html_join(
        "",
        '<tspan x="{}" dy="{}">{}</tspan>',
        ((x, dy, ln) for dy, ln in zip((0, 14), lines, strict=False)),
    )
    return format_html('<text x="{}" y="{}" text-anchor="end">{}</text>', x, y + 7, spans)


def _lines(label: str, limit: int = 32) -> list[str]:
    """One line, or two broken at a space; only a label longer than two lines is shortened."""
    if len(label) <= limit:
        return [label]
    cut = label.rfind(" ", 0, limit + 1)
    if cut <= 0:
        cut = limit
    first, rest = label[:cut].rstrip(), label[cut:].strip()
    return [first, _short(rest, limit)]


@register.filter
def number(value: Any) -> str:
    """A count as the reader's language writes it ("" for None, so `|default` can say why)."""
    return "" if value is None else _number(value)


def _with_unit(value: Any, unit: str) -> str:
    # A no-break space: the unit never ends up alone on a line ("100 %", as the directory does).
    return _number(value) + (f"\u00a0{unit}" if unit else "") if value is not None else ""


def _number(value: Any) -> str:
    """As the reader's language writes it: 137,541 in English, 137 541 in French."""
    return number_format(value, force_grouping=True)


def _short(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _table_text(rows: Sequence[tuple[str, Any]], unit: str) -> str:
    def shown(value: Any) -> str:
        return _with_unit(value, unit) if value is not None else _("suppressed")

    return "; ".join(
        _("%(label)s: %(value)s") % {"label": label, "value": shown(value)} for label, value in rows
    )


@register.filter
def local(text: Any) -> str:
    """Pick the current language from a bilingual value (anything with `.en` and `.fr`)."""
    from django.utils.translation import get_language

    if text is None:
        return ""
    return str(text.fr if (get_language() or "en").startswith("fr") else text.en)


# Screening codes as people read them (the engine stores codes, never sentences).
SCREENING_LABELS = {
    "strong": gettext_noop("strong"),
    "medium": gettext_noop("medium"),
    "weak": gettext_noop("weak"),
    "two_strong": gettext_noop("positive: at least two strong indicators"),
    "strong_plus_other": gettext_noop("positive: one strong indicator with a medium or weak one"),
    "three_medium": gettext_noop("positive: three medium indicators"),
    "two_medium_one_weak": gettext_noop("positive: two medium indicators and a weak one"),
    "insufficient": gettext_noop("not positive: not enough indicators for this dimension"),
    "met": gettext_noop("The ILO/EC indicators of trafficking are met."),
    "no_recruitment": gettext_noop(
        "Not met: no recruitment dimension (deceptive, coercive or by abuse of vulnerability) "
        "is positive."
    ),
    "no_exploitation": gettext_noop(
        "Not met: the exploitative-conditions dimension is not positive."
    ),
    "no_coercion_or_abuse_at_destination": gettext_noop(
        "Not met: neither coercion nor abuse of vulnerability at destination is positive."
    ),
}


@register.filter
def screening_label(code: Any) -> str:
    label = SCREENING_LABELS.get(str(code))
    return _(label) if label else str(code)


@register.simple_tag
def shown(field: Any, value: Any) -> str:
    """A dictionary value as people read it (codes as labels, references as names)."""
    from harbour.cases.values import display_value

    if field is None:
        return str(value)
    if field.type in {"staff", "organisation"} and value:
        return _reference_name(field.type, value)
    return display_value(field, value)


def _reference_name(kind: str, value: Any) -> str:
    from harbour.accounts.models import User
    from harbour.orgs.models import Organisation

    model = User if kind == "staff" else Organisation
    found = model.objects.filter(pk=value).first()
    return str(found) if found else "—"


@register.simple_tag
def bilingual_label(field: Any) -> str:
    """Both languages, each marked as such (the survivor's copy is read in either; screen
    readers and the crawl's untranslated-text check rely on the marks)."""
    if field is None:
        return ""
    return format_html(
        '<span lang="en">{}</span> / <span lang="fr">{}</span>', field.label.en, field.label.fr
    )


@register.filter
def category_label(category_id: str) -> str:
    from harbour.standard.dictionary import current

    try:
        return str(current().category(category_id).label)
    except StopIteration:
        return category_id


@register.filter
def list_label(code: str, list_id: str) -> str:
    """`{{ org.province|list_label:"province" }}`: a code as its label in the current language."""
    from harbour.standard.dictionary import current

    codelist = current().codelists.get(list_id)
    return codelist.label_of(code) if codelist and code else code


@register.filter
def purpose_label(code: str) -> str:
    from harbour.sharing.models import Purpose

    return str(Purpose(code).label) if code in Purpose.values else code


@register.filter
def role_label(code: str) -> str:
    from harbour.accounts.policy import Role

    return str(Role(code).label) if code in Role.values else code


FIELD_TYPES = {
    "text": gettext_noop("text"),
    "long_text": gettext_noop("free text"),
    "integer": gettext_noop("whole number"),
    "decimal": gettext_noop("number"),
    "date": gettext_noop("date"),
    "boolean": gettext_noop("yes or no"),
    "code": gettext_noop("one code"),
    "codes": gettext_noop("several codes"),
    "email": gettext_noop("e-mail address"),
    "phone": gettext_noop("phone number"),
    "postal_code": gettext_noop("postal code"),
    "staff": gettext_noop("staff member"),
    "organisation": gettext_noop("organisation"),
}
MATCHES = {
    "exact": gettext_noop("exact"),
    "close": gettext_noop("close"),
    "broader": gettext_noop("broader"),
    "narrower": gettext_noop("narrower"),
    "related": gettext_noop("related"),
}


@register.filter
def field_type_label(kind: str) -> str:
    return _(FIELD_TYPES[kind]) if kind in FIELD_TYPES else kind


@register.filter
def match_label(kind: str) -> str:
    return _(MATCHES[kind]) if kind in MATCHES else kind


# --- a form field, as templates/includes/field.html writes it ----------------------------------


def _required_mark(bound: Any) -> str:
    dictionary_field = getattr(bound.field, "dictionary_field", None)
    if not getattr(dictionary_field, "required", False):
        return ""
    hidden = as_html(_("(required)"))
    return (
        ' <span class="required-mark" aria-hidden="true">*</span>'
        f'<span class="visually-hidden">{hidden}</span>'
    )


def _help_and_errors(bound: Any, indent: str) -> str:
    help_text = (
        f'<span class="help" id="{as_html(bound.auto_id)}_help">{as_html(bound.help_text)}</span>'
        if bound.help_text
        else ""
    )
    errors = bound.errors
    listed = (
        f'<ul class="errorlist" id="{as_html(bound.auto_id)}_errors">'
        + "".join(f"<li>{as_html(e)}</li>" for e in errors)
        + "</ul>"
        if errors
        else ""
    )
    return f"{indent}{help_text}\n{indent}{listed}\n"


@register.simple_tag
def form_field(bound: Any) -> SafeString:
    """templates/includes/field.html, character for character, written in Python: the
    include was a template of its own for every field of every form (the intake form has about
    60, each checkbox of a group its own loop turn), about a quarter of that page's time
    (issue 9, item 5). harbour/web/tests/test_form_field.py compares the two."""
    widget = bound.field.widget
    input_type = getattr(widget, "input_type", None)
    grouped = input_type == "radio" or (
        getattr(widget, "allow_multiple_selected", False) and input_type == "checkbox"
    )
    label = f"{as_html(bound.label)}{_required_mark(bound)}"
    if grouped:
        choices = "".join(
            f'<li>{choice.tag()}<label for="{as_html(choice.id_for_label)}">'
            f"{as_html(choice.choice_label)}</label></li>"
            for choice in bound
        )
        body = (
            f"\n  <fieldset>\n    <legend>{label}</legend>\n"
            f"{_help_and_errors(bound, '    ')}"
            f'    <ul class="choices">{choices}</ul>\n  </fieldset>\n  '
        )
    else:
        body = (
            f'\n  <label for="{as_html(bound.id_for_label)}">{label}</label>\n'
            f"{_help_and_errors(bound, '  ')}  {conditional_escape(str(bound))}\n  "
        )
    has_error = " has-error" if bound.errors else ""
    return SafeString(
        f'\n<div class="field{has_error}" id="field-{as_html(bound.html_name)}">\n'
        f"  {body}\n</div>\n\n"
    )


# --- a record's values as <dt>/<dd> pairs (the case page's groups and timeline) ----------------


@register.filter
def value_rows(rows: Sequence[Mapping[str, Any]]) -> SafeString:
    """`{% for r in rows %}{% if r.value %}<dt>{{ r.field.label }}</dt><dd>{{ r.value }}</dd>
    {% endif %}{% endfor %}` in Python: the case page writes about 150 of these pairs, and each
    was several template lookups (issue 9, item 5; test_form_field.py compares the two)."""
    return SafeString(
        "".join(
            f"<dt>{as_html(r['field'].label)}</dt><dd>{as_html(r['value'])}</dd>"
            for r in rows
            if r["value"]
        )
    )


@register.filter
def value_rows_br(rows: Sequence[Mapping[str, Any]]) -> SafeString:
    """The same for the timeline: every row, its value with `|linebreaksbr`."""
    return SafeString(
        "".join(
            f"<dt>{as_html(r['field'].label)}</dt>"
            f"<dd>{linebreaksbr(r['value'], autoescape=True)}</dd>"
            for r in rows
        )
    )
