"""Selects whose HTML is remembered (harbour.core.widgets, issue 9's 5x spike) write exactly what
Django's own widgets write through their templates: hostile text, groups, selected values, a
language switch, attributes equal as Python values but not as HTML."""

import copy
import datetime as dt
import html
from typing import Any

import pytest
from django import forms
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from harbour.core import widgets

HOSTILE = [
    ("", "—"),
    ("a&b", 'Quote " and <tag> & ampersand'),
    ('"><script>x</script>', "<script>alert('x')</script>"),
    ("yes", gettext_lazy("Yes")),
    ("é", "Éwé «\u00a0x\u00a0»"),
    ("dup", "first of two"),
    ("dup", "second of two"),
]
GROUPED = [
    ("", "—"),
    ("Most <often> needed", [("eng", "English"), ("fra", "French & co")]),
    ("All, from A to Z", [("ara", "Arabic"), ("eng", "English again"), ("<x>", "Éwé <&>")]),
]
STOCK: dict[type, type] = {
    widgets.Select: forms.Select,
    widgets.SelectMultiple: forms.SelectMultiple,
}


def _stock(widget: forms.Widget, choices: Any) -> forms.Widget:
    return STOCK[type(widget)](attrs=widget.attrs, choices=list(choices))


@pytest.fixture(autouse=True)
def _empty_cache():
    widgets._layout.cache_clear()
    widgets._options.cache_clear()
    yield
    widgets._layout.cache_clear()
    widgets._options.cache_clear()


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize(
    ("cls", "choices", "values"),
    [
        (widgets.Select, HOSTILE, [None, "", "a&b", '"><script>x</script>', "dup", "none", 3]),
        (widgets.Select, GROUPED, [None, "eng", "<x>", ["ara", "fra"]]),
        (widgets.SelectMultiple, GROUPED, [None, [], ["eng"], ["<x>", "fra", "zzz"]]),
        (widgets.SelectMultiple, HOSTILE, [None, ["dup", "yes", "é"], ("a&b",)]),
    ],
)
def test_remembered_selects_write_what_django_writes(cls, choices, values, shared, language):
    attrs = {"data-filter": 'Type "to" <filter>', "required": True, "disabled": False, "size": 8}
    offered = widgets.Choices(choices) if shared else choices
    widget = cls(attrs=attrs, choices=offered)
    with override(language):
        for value in values * 2:  # the second time from the cache
            for extra in ({"id": "id_f__x"}, {"id": "id_f__x", "aria-invalid": "true"}):
                ours = widget.render("f__x", value, attrs=extra)
                assert ours == _stock(widget, choices).render("f__x", value, attrs=extra)
    # The cache was used, not bypassed; except for shared choices holding a lazy translation
    # (read once, it would be kept in one language: those are written each time).
    lazy = any(not isinstance(label, (str, list)) for _value, label in choices)
    assert (widgets._layout.cache_info().hits > 0) is not (shared and lazy)


def test_a_language_switch_never_reads_the_other_languages_html():
    widget = widgets.Select(choices=[("", "—"), ("yes", gettext_lazy("Yes"))])
    with override("en"):
        english = widget.render("x", "yes")
    with override("fr"):
        french = widget.render("x", "yes")
    with override("en"):
        again = widget.render("x", "yes")
    assert ">Yes</option>" in english and english == again
    assert ">Oui</option>" in french and "Yes" not in french


def test_attributes_equal_in_python_but_not_in_html_are_not_confused():
    """True == 1 and hash(True) == hash(1), but `size` and `size="1"` differ."""
    choices = widgets.Choices([("a", "A"), ("b", "B")])
    written = [
        widgets.Select(attrs={"size": value}, choices=choices).render("x", "a")
        for value in (True, 1, "1", True)
    ]
    expected = (
        '<select name="x" size>\n  <option value="a" selected>A</option>\n\n'
        '  <option value="b">B</option>\n\n</select>'
    )
    assert written[0] == written[3] == expected
    assert written[1] == written[2] != written[0]


@pytest.mark.parametrize("label", [3, mark_safe("<b>safe</b>"), dt.date(2026, 12, 6), None])
def test_choices_that_are_not_plain_text_are_written_as_before(label):
    choices = [("a", "A"), ("b", label)]
    widget = widgets.Select(choices=choices)
    assert widget.render("x", "b") == forms.Select(choices=choices).render("x", "b")
    assert widgets._layout.cache_info().currsize == 0


def test_shared_choices_are_immutable_and_copied_as_themselves():
    choices = widgets.Choices(GROUPED)
    assert copy.copy(choices) is choices and copy.deepcopy(choices) is choices
    assert list(choices) == [(v, tuple(x) if isinstance(x, list) else x) for v, x in GROUPED]
    assert choices.values == {"", "eng", "fra", "ara", "<x>"}
    field = forms.ChoiceField(choices=choices, widget=widgets.Select)
    assert field.choices is choices and field.widget.choices is choices  # not normalised again
    assert copy.deepcopy(field).widget.choices is choices
    with pytest.raises(TypeError):
        choices.items[0] = ("x", "y")


def test_the_cache_is_bounded():
    for n in range(widgets.LAYOUTS + 10):
        widgets.Select(choices=[(str(n), "x")]).render("x", None)
    assert widgets._layout.cache_info().currsize == widgets.LAYOUTS


def test_a_lazy_attribute_is_read_in_each_language():
    """The care map's language select: its filter hint is a lazy translation in its attrs."""
    choices = widgets.Choices([("", "—"), ("fra", "French")])
    widget = widgets.Select(attrs={"data-filter": gettext_lazy("Type to filter the list")})
    widget.choices = choices
    for language in ("en", "fr", "en"):
        with override(language):
            ours = widget.render("language", "fra")
            assert ours == _stock(widget, choices).render("language", "fra")
            assert ("Tapez" in ours) is (language == "fr")
    assert widgets._layout.cache_info().hits == 1


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("value", [True, False, None, "", "on", 'x"><b>'])
def test_a_checkbox_is_written_as_django_writes_it(value, language):
    attrs = {"id": "id_children", "required": False, "data-x": 'a "b" <c>'}
    ours = widgets.CheckboxInput(attrs=attrs)
    with override(language):
        assert ours.render("children", value) == forms.CheckboxInput(attrs=attrs).render(
            "children", value
        )


@pytest.mark.parametrize(
    "text", ["", "plain", "é «\u00a0x\u00a0»", "a&b", "<", ">", '"', "'", "&amp;"]
)
def test_the_escape_shortcut_is_html_escape(text):
    assert widgets._escape(text) == html.escape(text)


GROUPS = {
    widgets.RadioSelect: forms.RadioSelect,
    widgets.CheckboxSelectMultiple: forms.CheckboxSelectMultiple,
}


def _tags(cls: type, choices: Any, initial: Any, auto_id: Any, wrap: bool) -> list[str]:
    class Form(forms.Form):
        x = forms.MultipleChoiceField(choices=choices, widget=cls, required=False)

    form = Form(initial={"x": initial}, auto_id=auto_id)
    return [str(b) if wrap else b.tag() for b in form["x"]] + [
        f"{b.id_for_label}|{b.choice_label}" for b in form["x"]
    ]


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("cls", list(GROUPS))
@pytest.mark.parametrize("choices", [HOSTILE, GROUPED])
def test_remembered_radios_and_checkboxes_write_what_django_writes(cls, choices, language):
    with override(language):
        for initial in (None, [], ["dup"], ["a&b", "yes", "eng", "<x>"], ["nothing"]) * 2:
            for auto_id in ("id_%s", False):
                for wrap in (False, True):
                    ours = _tags(cls, choices, initial, auto_id, wrap)
                    assert ours == _tags(GROUPS[cls], choices, initial, auto_id, wrap)
    assert widgets._options.cache_info().hits > 0


def test_a_changed_option_is_written_again_not_taken_from_the_cache():
    widget = widgets.CheckboxSelectMultiple(choices=[("a", "A"), ("b", "B")])
    options = list(widget.options("x", ["a"], attrs={"id": "id_x"}))
    assert options[0][widgets.KEPT] is not None
    options[0]["attrs"]["data-x"] = "changed"
    options[1]["label"] = "<b>"
    html = [widget._render(o["template_name"], {"widget": o}) for o in options]
    assert html[0].startswith('<label for="id_x_0"><input type="checkbox" name="x" value="a"')
    assert 'data-x="changed"' in html[0] and "&lt;b&gt;" in html[1]
    second = list(widget.options("x", ["a"], attrs={"id": "id_x"}))
    assert "data-x" not in second[0]["attrs"]  # each request its own dicts
