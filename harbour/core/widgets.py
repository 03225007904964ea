"""Widgets that write their HTML in Python instead of through Django's widget templates.

Django renders every <option>, checkbox and radio through its widget templates (an include of the
option template, which includes the attributes template). The intake form offers about 2,300
options (countries, languages, the Delphi indicators...), and rendering them that way took
about 80 % of the page's time (issue 9, load run). These widgets produce the same HTML as
Django's templates, character for character (harbour/core/tests/test_widgets.py compares them);
anything else a widget renders (the whole checkbox group, a custom template) still goes through
the templates. The text, date, e-mail and long-text inputs are written the same way (issue 9,
item 5: each was an include of input.html and attrs.html, on every form of the load run).

A select's HTML is moreover remembered (issue 9, the 5x spike: the intake form's ~2,300 options
were written again for every request): everything but the selected options is a function of the
widget's name, attributes and choices, all plain text, so that HTML is kept, keyed by exactly
those (and the language), and only the ` selected` marks are put in per request.
"""

import functools
import html
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.choices import BaseChoiceIterator
from django.utils.formats import localize
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]
from django.utils.translation import get_language

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"
INPUT_OPTIONS = {
    "django/forms/widgets/checkbox_option.html",
    "django/forms/widgets/radio_option.html",
}
# Each of these only includes input.html (which includes attrs.html).
INPUTS = {
    f"django/forms/widgets/{kind}.html" for kind in ("text", "date", "email", "number", "checkbox")
}
TEXTAREA = "django/forms/widgets/textarea.html"


def _escape(text: str) -> str:
    """html.escape(text), which returns the same text when none of its five characters is in it
    (most labels, values and ids): the five tests are cheaper than its five replaces."""
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return html.escape(text)
    return text


def as_html(value: Any) -> str:
    """`{{ value }}` in an autoescaping template, as Django's render_value_in_context writes
    it: local time, localised, escaped unless already safe, lazy text translated."""
    if type(value) is str:  # nearly every label and value: what escape() does, without its
        return _escape(value)  # lazy-string and localisation checks (2,300 options a form)
    value = localize(template_localtime(value))
    # Like render_value_in_context: anything not a str is made one first, so only text marked
    # safe skips escaping (an object's own __html__ is not trusted).
    return str(conditional_escape(value if isinstance(value, str) else str(value)))


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`: already-safe text stays as it is."""
    if type(value) is str:
        return _escape(value)
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


# --- selects remembered -------------------------------------------------------------------------

# Choices as plain text: ((value, label) | (group name, ((value, label), ...)), ...).
Content = tuple[tuple[str, Any], ...]
# A select's HTML a language and process keep (~40 kB for the longest lists); the intake form
# has about 20 selects a language.
LAYOUTS = 256


class Choices(BaseChoiceIterator):
    """Choices built once and shared between forms and threads, so immutable: Django takes an
    iterator as it is (the ~2,300 options of the intake form are not normalised again for each
    form), and a select knows its content without walking it."""

    def __init__(self, choices: Iterable[tuple[Any, Any]]) -> None:
        self.items = tuple(
            (v, tuple(label) if isinstance(label, (list, tuple)) else label) for v, label in choices
        )
        # Read once, so only plain text: a lazy translation would be kept in one language.
        self.content = _content(self.items, lazy=False)
        self.values = frozenset(
            value
            for v, label in self.items
            for value in ([x for x, _ in label] if isinstance(label, tuple) else [v])
        )

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __copy__(self) -> "Choices":  # immutable: a widget's or a field's copy may share it
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> "Choices":
        return self


def _text(value: Any, lazy: bool) -> str | None:
    """`value` as the text a template writes for it, when that text is all it writes: plain
    text, or (`lazy`) a lazy translation read now (the language is part of the key)."""
    if type(value) is str:
        return value
    if lazy and isinstance(value, Promise):
        text = str(value)
        return text if type(text) is str else None
    return None


def _content(choices: Iterable[Any], *, lazy: bool = True) -> Content | None:
    """The choices as plain text, or None when one of them is anything else (a number, safe
    HTML, a date: left to the uncached path)."""
    out: list[tuple[str, Any]] = []
    for value, label in choices:
        if type(value) is not str:
            return None
        if isinstance(label, (list, tuple)):
            group = []
            for sub_value, sub_label in label:
                text = _text(sub_label, lazy)
                if type(sub_value) is not str or text is None:
                    return None
                group.append((sub_value, text))
            out.append((value, tuple(group)))
            continue
        text = _text(label, lazy)
        if text is None:
            return None
        out.append((value, text))
    return tuple(out)


def _attrs_key(attrs: dict[str, Any]) -> tuple[tuple[str, type, Any], ...] | None:
    """The attributes with their types (True, 1 and 1.0 are equal keys but not equal HTML); a
    lazy translation as its text now (the language is part of the key)."""
    out = []
    for name, value in attrs.items():
        if isinstance(value, Promise):
            value = _text(value, lazy=True)
        if type(name) is not str or type(value) not in (str, int, bool):
            return None
        out.append((name, type(value), value))
    return tuple(out)


class _Layout:
    """A select's HTML in parts; each option's part also written with ` selected`."""

    def __init__(self, name: str, attrs: dict[str, Any], content: Content) -> None:
        parts = [f'<select name="{as_html(name)}"{_attrs(attrs)}>']
        self.chosen: dict[int, str] = {}  # part index -> the option selected
        self.at: dict[str, list[int]] = {}  # value -> its options' part indexes, in order
        for group_name, group in _groups(content):
            if group_name:
                parts.append(f'\n  <optgroup label="{as_html(group_name)}">')
            for value, label in group:
                self.at.setdefault(value, []).append(len(parts))
                self.chosen[len(parts)] = "\n  " + _option(
                    {"value": value, "attrs": {"selected": True}, "label": label}
                )
                parts.append("\n  " + _option({"value": value, "attrs": {}, "label": label}))
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")  # the template's last newline, stripped as _render does
        self.parts = tuple(parts)
        self.unselected = "".join(parts)

    def html(self, values: list[str], multiple: bool) -> str:
        """As ChoiceWidget.optgroups marks them: each option whose value is among `values`, or
        for a single select only the first such option."""
        found = [self.at[v] for v in values if v in self.at]
        if not found:
            return self.unselected
        marked = {i for at in found for i in at} if multiple else {min(at[0] for at in found)}
        out = list(self.parts)
        for i in marked:
            out[i] = self.chosen[i]
        return "".join(out)


def _groups(content: Content) -> Iterable[tuple[str | None, tuple[tuple[str, str], ...]]]:
    for value, label in content:
        if isinstance(label, tuple):
            yield value, label
        else:
            yield None, ((value, label),)


@functools.lru_cache(maxsize=LAYOUTS)
def _layout(
    name: str, attrs: tuple[tuple[str, type, Any], ...], content: Content, language: str | None
) -> _Layout:
    """Everything in the key is what the HTML is made of (the language too, though plain text
    does not depend on it: no cache entry is ever read in another language)."""
    return _Layout(name, {k: v for k, _type, v in attrs}, content)


# An option dict of a kept radio or checkbox carries its HTML under this key.
KEPT = "harbour_kept"
# Radio and checkbox groups a process keeps (the intake form has about 30 a language).
OPTION_GROUPS = 512


def _kept_or_written(option: dict[str, Any]) -> str:
    """The option's kept HTML when the option is still what it was written from."""
    kept = option.get(KEPT)
    shown = (option["type"], option["name"], option["value"], option["label"], option["attrs"])
    if kept is not None and shown == kept[0]:
        return kept[2] if option.get("wrap_label") else kept[1]
    return _input_option(option)


class _Options:
    """A radio or checkbox group's option dicts, selected and not, each with its HTML."""

    def __init__(self, widget: Any, name: str, attrs: dict[str, Any], content: Content) -> None:
        self.groups: list[Any] = []  # (group name, [(value, (not selected, selected))], index)
        for index, (value, label) in enumerate(content):
            group_name, subindex, members = (
                (value, 0, label) if isinstance(label, tuple) else (None, None, ((value, label),))
            )
            options = []
            for sub_value, sub_label in members:
                variants = tuple(
                    self._variant(
                        widget.create_option(
                            name, sub_value, sub_label, on, index, subindex=subindex, attrs=attrs
                        )
                    )
                    for on in (False, True)
                )
                options.append((sub_value, variants))
                if subindex is not None:
                    subindex += 1
            self.groups.append((group_name, options, index))

    @staticmethod
    def _variant(data: dict[str, Any]) -> tuple[dict[str, Any], tuple[Any, str, str]]:
        shown = (data["type"], data["name"], data["value"], data["label"], dict(data["attrs"]))
        written = (_input_option(data | {"wrap_label": False}), _input_option(data))
        return data, (shown, *written)

    def optgroups(self, values: list[str], multiple: bool) -> list[Any]:
        """As ChoiceWidget.optgroups: fresh dicts (a caller may change them), selected as it
        selects them."""
        out = []
        has_selected = False
        for group_name, options, index in self.groups:
            subgroup = []
            for value, variants in options:
                selected = (not has_selected or multiple) and value in values
                has_selected |= selected
                data, kept = variants[selected]
                subgroup.append(data | {"attrs": dict(data["attrs"]), KEPT: kept})
            out.append((group_name, subgroup, index))
        return out


@functools.lru_cache(maxsize=OPTION_GROUPS)
def _options(
    cls: Any,
    how: tuple[Any, ...],
    name: str,
    attrs: tuple[tuple[str, type, Any], ...],
    content: Content,
    language: str | None,
) -> _Options:
    """Everything create_option reads is in the key: the class, and `how` (its input type,
    option template and id numbering, in case an instance changed them)."""
    widget = cls()
    widget.input_type, widget.option_template_name, widget.add_id_index = how
    return _Options(widget, name, {k: v for k, _type, v in attrs}, content)


def _choices_content(choices: Any) -> Content | None:
    if isinstance(choices, Choices):
        return choices.content
    # A list, read twice if it is not plain text; never a lazy iterator (it would run twice).
    return _content(choices) if isinstance(choices, (list, tuple)) else None


class _InPython:
    """Renders the templates it knows in Python; any other through Django's renderer."""

    def _render(self, template_name: str, context: dict[str, Any], renderer: Any = None) -> str:
        widget = context["widget"]
        if template_name == SELECT:
            html = _select(widget)
        elif template_name == OPTION:
            html = _option(widget)
        elif template_name in INPUT_OPTIONS:
            html = _kept_or_written(widget)
        elif template_name in INPUTS:
            html = _input(widget)
        elif template_name == TEXTAREA:
            html = _textarea(widget)
        else:
            return super()._render(template_name, context, renderer)  # type: ignore[misc]
        # As Django's renderer does with a template's output (the files end with a newline).
        return SafeString(html.strip())


class _Remembered(_InPython):
    """A select whose HTML is kept (above) when its choices and attributes are plain text."""

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        widget: Any = self
        # Only where _render would write it in Python: not through a template of another name,
        # nor when _render is replaced (the tests get Django's templates' HTML that way).
        if (
            widget.template_name == SELECT
            and widget.option_template_name == OPTION
            and type(widget)._render is _InPython._render
        ):
            content = _choices_content(widget.choices)
            # As Widget.get_context and Select.get_context build them.
            final = widget.build_attrs(widget.attrs, attrs)
            if widget.allow_multiple_selected:
                final["multiple"] = True
            key = _attrs_key(final)
            if content is not None and key is not None and type(name) is str:
                layout = _layout(name, key, content, get_language())
                values = widget.format_value(value)
                return SafeString(layout.html(values, widget.allow_multiple_selected))
        return super().render(name, value, attrs, renderer)  # type: ignore[misc]


class Select(_Remembered, forms.Select):
    pass


class SelectMultiple(_Remembered, forms.SelectMultiple):
    pass


class _RememberedOptions(_InPython):
    """Radios and checkboxes whose option dicts and HTML are kept (above) when their choices
    and attributes are plain text: the intake form's ~250 were built and written each time."""

    def optgroups(self, name: str, value: Any, attrs: Any = None) -> Any:
        widget: Any = self
        if (
            type(widget)._render is _InPython._render  # as for selects
            and widget.option_template_name in INPUT_OPTIONS
            and widget.option_inherits_attrs
        ):
            content = _choices_content(widget.choices)
            key = _attrs_key(widget.build_attrs(widget.attrs, attrs))  # each option's attrs
            if content is not None and key is not None and type(name) is str:
                how = (widget.input_type, widget.option_template_name, widget.add_id_index)
                kept = _options(widget.__class__, how, name, key, content, get_language())
                return kept.optgroups(value, widget.allow_multiple_selected)
        return super().optgroups(name, value, attrs)  # type: ignore[misc]


class RadioSelect(_RememberedOptions, forms.RadioSelect):
    pass


class CheckboxSelectMultiple(_RememberedOptions, forms.CheckboxSelectMultiple):
    pass


class TextInput(_InPython, forms.TextInput):
    pass


class DateInput(_InPython, forms.DateInput):
    pass


class EmailInput(_InPython, forms.EmailInput):
    pass


class Textarea(_InPython, forms.Textarea):
    pass


class CheckboxInput(_InPython, forms.CheckboxInput):
    pass
