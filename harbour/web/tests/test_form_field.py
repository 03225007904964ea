"""`{% form_field f %}` writes what templates/includes/field.html writes, character for
character, for every kind of field the forms have: text, date, long text, selects, radio and
checkbox groups, required marks, help, errors; in English and French (issue 9, item 5)."""

from types import SimpleNamespace

import pytest
from django import forms
from django.template.loader import render_to_string
from django.utils.translation import override

from harbour.cases.forms import CloseCaseForm, DictionaryForm, ScreeningForm, SearchForm
from harbour.cases.views import _intake_parts
from harbour.web.templatetags.harbour import form_field


def _same(form: forms.Form) -> int:
    for bound in form:
        theirs = render_to_string("includes/field.html", {"field": bound})
        assert form_field(bound) == theirs, bound.name
    return len(form.fields)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_intake_field_as_the_include_writes_it(language) -> None:
    with override(language):
        empty = DictionaryForm(None, parts=_intake_parts(), choices={"staff": [("1", "Ann")]})
        count = _same(empty)
        data = {
            "survivor__given_name": 'Ann "A" <b>',
            "survivor__birth_date": "not a date",
            "case__intake_date": "2026-13-45",
            "case__current_needs": ["emergency_shelter", "<bad>"],
        }
        bound = DictionaryForm(data, parts=_intake_parts(), choices={"staff": [("1", "Ann")]})
        bound.is_valid()
        bound.add_error(None, "A form-wide error")
        for name in list(bound.fields)[:12]:  # errors on all kinds of field, escaped
            bound.add_error(name, f"Wrong & <{name}>")
        _same(bound)
    assert count > 40


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_small_forms_as_the_include_writes_them(language) -> None:
    with override(language):
        search = SearchForm({"name": "", "reference": "x" * 40})
        search.is_valid()
        for form in (SearchForm(), search, CloseCaseForm(), ScreeningForm(), CloseCaseForm({})):
            form.is_valid() if form.is_bound else None
            _same(form)


def test_a_field_without_an_id_and_with_help() -> None:
    class Form(forms.Form):
        x = forms.ChoiceField(
            choices=[("a", "A & a"), ("b", "B")], widget=forms.RadioSelect, help_text="Pick <one>"
        )
        y = forms.MultipleChoiceField(choices=[("a", "A")], widget=forms.CheckboxSelectMultiple)
        z = forms.MultipleChoiceField(choices=[("a", "A")])  # a multiple select, not a group
        w = forms.CharField(widget=forms.Textarea, initial="Line\n<two>")

    _same(Form(auto_id=False))
    _same(Form({"x": "c"}))


def test_value_rows_as_the_loops_wrote_them() -> None:
    """The case page's groups and timeline rows (value_rows, value_rows_br) against the loops
    they replace, with labels of every kind and values that need escaping."""
    import datetime as dt

    from django.template import engines
    from django.utils import timezone
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    from harbour.standard.dictionary import current

    def Field(label: object) -> SimpleNamespace:
        return SimpleNamespace(label=label)

    label = current().entity("case").field("intake_date").label  # a bilingual label
    rows = [
        {"field": Field(label), "value": "Line one\nLine <two> & 'three'\r\nfour"},
        {"field": Field(gettext_lazy("Yes")), "value": ""},
        {"field": Field('A "label" <b>'), "value": dt.date(2026, 12, 6)},
        {"field": Field("Count"), "value": 1234.5},
        {"field": Field("Safe"), "value": mark_safe("<i>kept</i>")},
        {"field": Field("When"), "value": timezone.now()},
        {"field": Field("None"), "value": None},
    ]
    engine = engines["django"]
    groups = engine.from_string(
        "{% for r in rows %}{% if r.value %}<dt>{{ r.field.label }}</dt><dd>{{ r.value }}</dd>"
        "{% endif %}{% endfor %}|{% load harbour %}{{ rows|value_rows }}"
    )
    timeline = engine.from_string(
        "{% for r in rows %}<dt>{{ r.field.label }}</dt><dd>{{ r.value|linebreaksbr }}</dd>"
        "{% endfor %}|{% load harbour %}{{ rows|value_rows_br }}"
    )
    for language in ("en", "fr"):
        with override(language):
            for template in (groups, timeline):
                theirs, ours = template.render({"rows": rows}).split("|")
                assert ours == theirs
                assert "&lt;two&gt;" in ours
