"""The dictionary forms' choices are built once a process (cases.forms._offered) and their selects
remembered (core.widgets): the intake form still writes what Django's own widgets write, in
English and French, new or re-shown with errors, and a record's held codes or another
dictionary version never get another's choices (issue 9, the 5x spike)."""

import copy
import dataclasses
from typing import Any

import pytest
from django import forms
from django.forms.boundfield import BoundField
from django.utils.translation import override

from harbour.cases import forms as case_forms
from harbour.cases.forms import DictionaryForm, fields_of, form_field
from harbour.core import widgets
from harbour.standard.dictionary import Bilingual, Lifetime, Version, current

STOCK: dict[type, type] = {
    widgets.Select: forms.Select,
    widgets.SelectMultiple: forms.SelectMultiple,
    widgets.RadioSelect: forms.RadioSelect,
    widgets.CheckboxSelectMultiple: forms.CheckboxSelectMultiple,
}
BAD = {
    "survivor__estimated_age": "lots",
    "case__intake_date": "2026-02-30",
    "case__intake_province": "CA-QC",
    "survivor__gender_identity": "woman",
    "survivor__primary_language": "fra",
    "survivor__other_languages": ["eng", "zzz", "spa", "<script>"],
    "survivor__country_of_birth": '"><b>x</b>',
    "case__exploitation_types": ["forced_labour", "sexual_exploitation"],
}


def _intake(data: Any = None) -> DictionaryForm:
    survivor, case = current().entity("survivor"), current().entity("case")
    staff = {"staff": [("1", "Ana <&> O'Neil")], "organisation": [("2", "Maison « A&B »")]}
    parts = [(survivor, fields_of(survivor)), (case, fields_of(case))]
    return DictionaryForm(data, parts=parts, choices=staff)


def _stock(bound: BoundField) -> list[str]:
    """The field as Django's own widget writes it, through its templates."""
    ours = bound.field.widget
    stock = STOCK[type(ours)](attrs=dict(ours.attrs), choices=list(ours.choices))
    if isinstance(ours, (widgets.Select, widgets.SelectMultiple)):
        return [str(bound.as_widget(widget=stock))]
    field = copy.deepcopy(bound.field)
    field.widget = stock
    return [choice.tag() for choice in BoundField(bound.form, field, bound.name)]


def _written(form: DictionaryForm) -> dict[str, list[str]]:
    out = {}
    for bound in form:
        if type(bound.field.widget) in STOCK:
            widget = bound.field.widget
            if isinstance(widget, (widgets.Select, widgets.SelectMultiple)):
                out[bound.name] = [str(bound)]
            else:
                out[bound.name] = [choice.tag() for choice in bound]
            assert out[bound.name] == _stock(bound), bound.name
    return out


@pytest.mark.parametrize("data", [None, BAD])
def test_the_intake_form_writes_what_django_writes_in_both_languages(data) -> None:
    written: dict[str, list[dict[str, list[str]]]] = {}
    for language in ("en", "fr", "en", "fr"):
        with override(language):
            form = _intake(copy.deepcopy(data))
            if data:
                assert not form.is_valid()
                assert {"survivor__estimated_age", "case__intake_date"} <= set(form.errors)
            written.setdefault(language, []).append(_written(form))
    english, french = written["en"], written["fr"]
    assert english[0] == english[1] and french[0] == french[1]  # nothing kept from the other
    languages = english[0]["survivor__primary_language"][0]
    assert '<optgroup label="Most often needed">' in languages
    assert (
        '<optgroup label="Choix les plus fréquents">' in french[0]["survivor__primary_language"][0]
    )
    assert "Most often needed" not in str(french[0])
    assert sum(s.count("<option") for parts in english[0].values() for s in parts) > 1500
    if data:
        assert '<option value="fra" selected>' in languages
        spoken = english[0]["survivor__other_languages"][0]
        assert spoken.count(" selected>") == 2 and '<option value="eng" selected>' in spoken
        country = english[0]["survivor__country_of_birth"][0]
        assert 'aria-invalid="true"' in country and '<option value="CA">' in country


def test_the_choices_are_shared_and_built_once() -> None:
    with override("en"):
        first, second = _intake(), _intake()
    name = "survivor__country_of_birth"
    assert first.fields[name].widget.choices is second.fields[name].widget.choices
    assert isinstance(first.fields[name].widget.choices, widgets.Choices)
    with override("fr"):
        french = _intake()
    assert french.fields[name].widget.choices is not first.fields[name].widget.choices


def _a_code_field() -> Any:
    """A code field whose list changes between 1.0 and 1.1: `old` deprecated, `new` added."""
    field = current().entity("survivor").field("gender_identity")
    assert field.codelist is not None
    one, eleven = Version((1, 0)), Version((1, 1))
    codes = list(field.codelist.codes)
    old = dataclasses.replace(codes[0], code="old", lifetime=Lifetime(one, eleven))
    new = dataclasses.replace(
        codes[0], code="new", label=Bilingual("New", "Nouveau"), lifetime=Lifetime(eleven, None)
    )
    codelist = dataclasses.replace(field.codelist, codes=(*codes, old, new), _by_code={})
    return dataclasses.replace(field, codelist=codelist), one, eleven


def _values(form_field_: forms.Field) -> list[str]:
    return [v for v, _label in form_field_.widget.choices]


def test_a_dictionary_version_or_a_held_code_never_gets_anothers_choices() -> None:
    field, one, eleven = _a_code_field()
    with override("en"):
        in_one, in_eleven = _values(form_field(field, one)), _values(form_field(field, eleven))
        held_old = _values(form_field(field, eleven, held="old"))
        held_offered = form_field(field, eleven, held="new")
        again = _values(form_field(field, eleven))
    assert "old" in in_one and "new" not in in_one
    assert "new" in in_eleven and "old" not in in_eleven
    assert held_old == [*in_eleven[:-1], "old", "new"]  # a record keeps its deprecated code
    assert again == in_eleven  # ... and no other record gets it
    # a held code the field offers anyway is not a key of its own
    assert held_offered.widget.choices is form_field(field, eleven).widget.choices
    # the same dictionary loaded again is new objects: never an old entry
    reloaded = dataclasses.replace(field, codelist=dataclasses.replace(field.codelist, _by_code={}))
    assert form_field(reloaded, eleven).widget.choices is not held_offered.widget.choices
    info = case_forms._offered.cache_info()
    assert info.maxsize is not None and info.currsize <= info.maxsize
