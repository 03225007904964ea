"""Widgets that write their HTML in Python instead of through Django's widget templates.

Django renders every <option>, checkbox and radio through its widget templates (an include of the
option template, which includes the attributes template). The intake form offers about 2,300
options (countries, languages, the Delphi indicators...), and rendering them that way took
about 80 % of the page's time (issue 9, load run). These widgets produce the same HTML as
Django's templates, character for character (harbour/core/tests/test_widgets.py compares them);
anything else a widget renders (the whole checkbox group, a custom template) still goes through
the templates. The text, date, e-mail and long-text inputs are written the same way (issue 9,
item 5: each was an include of input.html and attrs.html, on every form of the load run).
"""

import html
from typing import Any

from django import forms
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"
INPUT_OPTIONS = {
    "django/forms/widgets/checkbox_option.html",
    "django/forms/widgets/radio_option.html",
}
# Each of these only includes input.html (which includes attrs.html).
INPUTS = {f"django/forms/widgets/{kind}.html" for kind in ("text", "date", "email", "number")}
TEXTAREA = "django/forms/widgets/textarea.html"


def as_html(value: Any) -> str:
    """`{{ value }}` in an autoescaping template, as Django's render_value_in_context writes
    it: local time, localised, escaped unless already safe, lazy text translated."""
    if type(value) is str:  # nearly every label and value: what escape() does, without its
        return html.escape(value)  # lazy-string and localisation checks (2,300 options a form)
    value = localize(template_localtime(value))
    # Like render_value_in_context: anything not a str is made one first, so only text marked
    # safe skips escaping (an object's own __html__ is not trusted).
    return str(conditional_escape(value if isinstance(value, str) else str(value)))


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`: already-safe text stays as it is."""
    if type(value) is str:
        return html.escape(value)
    if isinstance(value, SafeData):
        return str(conditional_escape(value))
    text = "%s" % (str(value) if isinstance(value, tuple) else value)  # the filter's own formatting
    return str(conditional_escape(text))


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        shown = as_html(name)
        out.append(f" {shown}" if value is True else f' {shown}="{_formatted(value)}"')
    return "".join(out)


def _option(option: dict[str, Any]) -> str:
    """django/forms/widgets/select_option.html."""
    return (
        f'<option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
        f"{as_html(option['label'])}</option>\n"
    )


def _input_option(option: dict[str, Any]) -> str:
    """django/forms/widgets/checkbox_option.html or radio_option.html: input_option.html, which
    includes input.html (each template file ends with a newline, kept in the output)."""
    value = "" if option["value"] is None else f' value="{_formatted(option["value"])}"'
    tag = (
        f'<input type="{as_html(option["type"])}" name="{as_html(option["name"])}"{value}'
        f"{_attrs(option['attrs'])}>\n"
    )
    if not option.get("wrap_label"):
        return f"{tag}\n\n"
    id_ = option["attrs"].get("id")
    for_ = f' for="{as_html(id_)}"' if id_ else ""
    return f"<label{for_}>{tag} {as_html(option['label'])}</label>\n\n"


def _input(widget: dict[str, Any]) -> str:
    """django/forms/widgets/input.html, as text.html, date.html... include it."""
    value = widget["value"]
    shown = "" if value is None else f' value="{_formatted(value)}"'
    return (
        f'<input type="{as_html(widget["type"])}" name="{as_html(widget["name"])}"{shown}'
        f"{_attrs(widget['attrs'])}>"
    )


def _textarea(widget: dict[str, Any]) -> str:
    """django/forms/widgets/textarea.html."""
    value = as_html(widget["value"]) if widget["value"] else ""
    return (
        f'<textarea name="{as_html(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'
    )


def _select(widget: dict[str, Any]) -> str:
    """django/forms/widgets/select.html."""
    out = [f'<select name="{as_html(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{as_html(group_name)}">')
        out.extend(f"\n  {_option(option)}" for option in group_choices)
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>\n")
    return "".join(out)


class _InPython:
    """Renders the templates it knows in Python; any other through Django's renderer."""

    def _render(self, template_name: str, context: dict[str, Any], renderer: Any = None) -> str:
        widget = context["widget"]
        if template_name == SELECT:
            html = _select(widget)
        elif template_name == OPTION:
            html = _option(widget)
        elif template_name in INPUT_OPTIONS:
            html = _input_option(widget)
        elif template_name in INPUTS:
            html = _input(widget)
        elif template_name == TEXTAREA:
            html = _textarea(widget)
        else:
            return super()._render(template_name, context, renderer)  # type: ignore[misc]
        # As Django's renderer does with a template's output (the files end with a newline).
        return SafeString(html.strip())


class Select(_InPython, forms.Select):
    pass


class SelectMultiple(_InPython, forms.SelectMultiple):
    pass


class RadioSelect(_InPython, forms.RadioSelect):
    pass


class CheckboxSelectMultiple(_InPython, forms.CheckboxSelectMultiple):
    pass


class TextInput(_InPython, forms.TextInput):
    pass


class DateInput(_InPython, forms.DateInput):
    pass


class EmailInput(_InPython, forms.EmailInput):
    pass


class Textarea(_InPython, forms.Textarea):
    pass
