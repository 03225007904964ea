"""The case page's closing form writes its reasons in Python (harbour.core.widgets, issue 9's
load run): the same HTML as Django's widget templates, bound or not, in English and French."""

import pytest
from django import forms
from django.utils.translation import override

from harbour.cases.forms import CloseCaseForm
from harbour.core import widgets

pytestmark = pytest.mark.django_db


def _through_templates(form: forms.Form) -> str:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(widgets.Select, "_render", forms.Widget._render, raising=False)  # type: ignore[attr-defined]
        return str(form["closure_reason"])


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("data", [None, {"closure_reason": "goals_met"}, {"closure_reason": "x"}])
def test_the_reasons_are_written_as_the_templates_write_them(language, data) -> None:
    with override(language):
        form = CloseCaseForm(data)
        ours = str(form["closure_reason"])
        assert isinstance(form.fields["closure_reason"].widget, widgets.Select)
        assert ours == _through_templates(form)
        field = form.fields["closure_reason"]
        assert isinstance(field, forms.ChoiceField)
        assert ours.count("<option") == len(field.widget.choices) > 2
        if data and data["closure_reason"] == "goals_met":
            assert '<option value="goals_met" selected>' in ours
