"""The Python-rendered choice widgets write exactly what Django's widget templates write."""

import datetime as dt
from collections.abc import Callable

import pytest
from django import forms
from django.forms.boundfield import BoundWidget
from django.template import engines
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from harbour.core import widgets
from harbour.core.widgets import _InPython

CHOICES = [
    ("", "—"),
    ("a&b", 'Quote " and <tag> & ampersand'),
    ("CA-QC", gettext_lazy("Yes")),
    (3, 7),
    ("safe", mark_safe("<b>safe</b>")),
    ("day", dt.date(2026, 12, 6)),
]
GROUPED = [
    ("Most often needed", [("eng", "English"), ("fra", "French")]),
    ("All, from A to Z", [("ara", "Arabic"), ("spa", "Spanish"), ("<x>", "Éwé <&>")]),
]
ATTRS = {"data-filter": 'Type "to" filter', "required": True, "disabled": False, "size": 8}


def _both(widget: forms.Widget, render: Callable[[], object]) -> tuple[str, str]:
    """The widget's HTML as written in Python, and through Django's templates (the override
    bypassed for the second call)."""
    ours = str(render())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(widget), "_render", forms.Widget._render, raising=False)  # type: ignore[attr-defined]
        theirs = str(render())
    assert type(widget)._render is _InPython._render  # type: ignore[attr-defined]
    return ours, theirs


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(
    ("cls", "choices", "value"),
    [
        (widgets.Select, CHOICES, "a&b"),
        (widgets.Select, CHOICES, None),
        (widgets.Select, GROUPED, "spa"),
        (widgets.SelectMultiple, GROUPED, ["eng", "<x>"]),
        (widgets.SelectMultiple, CHOICES, []),
    ],
)
def test_selects_match_django(cls, choices, value, language):
    widget = cls(attrs=ATTRS, choices=choices)
    with override(language):
        ours, theirs = _both(widget, lambda: widget.render("f__x", value, attrs={"id": "id_f__x"}))
    assert "<option" in ours
    assert ours == theirs


@pytest.mark.parametrize("cls", [widgets.RadioSelect, widgets.CheckboxSelectMultiple])
@pytest.mark.parametrize("wrap_label", [False, True])
@pytest.mark.parametrize("with_id", [True, False])
def test_each_checkbox_and_radio_matches_django(cls, wrap_label, with_id):
    """The intake form writes each option with `{{ choice.tag }}`; str(choice) wraps the label."""

    class Form(forms.Form):
        x = forms.MultipleChoiceField(choices=CHOICES, widget=cls, required=False)

    form = Form(initial={"x": ["a&b", "3"]}, auto_id="id_%s" if with_id else False)
    options = list(form["x"])
    assert len(options) == len(CHOICES)
    for option in options:

        def write(option: BoundWidget = option) -> str:
            return str(option) if wrap_label else option.tag(wrap_label=False)

        ours, theirs = _both(form.fields["x"].widget, write)
        assert ours == theirs
        assert "<input" in ours


def test_the_whole_group_still_renders_through_templates():
    """A template this module does not write in Python is left to Django."""
    widget = widgets.CheckboxSelectMultiple(choices=CHOICES)
    assert widget.render("x", ["3"], attrs={"id": "id_x"}) == forms.CheckboxSelectMultiple(
        choices=CHOICES
    ).render("x", ["3"], attrs={"id": "id_x"})


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(
    ("widget", "value"),
    [
        (widgets.TextInput(attrs={"maxlength": 200, "autocomplete": "off"}), 'A "quoted" <b>&'),
        (widgets.TextInput(attrs={"type": "tel", "required": True, "disabled": False}), ""),
        (widgets.TextInput(attrs={"inputmode": "decimal"}), 1234.5),
        (widgets.TextInput(), None),
        (widgets.TextInput(), mark_safe("<i>safe</i>")),
        (widgets.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), dt.date(2026, 12, 6)),
        (widgets.DateInput(attrs={"type": "date"}), "not a date"),
        (widgets.EmailInput(attrs={"autocomplete": "off"}), "a&b@example.org"),
        (widgets.Textarea(attrs={"rows": 4, "maxlength": 2000}), "Line one\n<two> & 'three'"),
        (widgets.Textarea(attrs={"rows": 3}), ""),
        (widgets.Textarea(), None),
    ],
)
def test_inputs_and_textareas_match_django(widget, value, language):
    with override(language):
        ours, theirs = _both(widget, lambda: widget.render("f__x", value, attrs={"id": "id_f__x"}))
    assert ours == theirs
    assert ours.startswith(("<input", "<textarea"))


class _Unsafe:
    """An object that claims to be HTML and is not: `{{ value }}` escapes its text anyway."""

    def __html__(self) -> str:
        return "<b>trusted</b>"

    def __str__(self) -> str:
        return "<script>x</script>"


@pytest.mark.parametrize(
    "value",
    [
        "<i>O'Brien & Co</i>",
        mark_safe("<b>ok</b>"),
        gettext_lazy("Survivor"),
        3.5,
        dt.date(2026, 12, 6),
        None,
        _Unsafe(),
    ],
)
def test_as_html_is_what_a_template_writes(value: object) -> None:
    template = engines["django"].from_string("{{ value }}")
    for language in ("en", "fr"):
        with override(language):
            assert widgets.as_html(value) == template.render({"value": value})
