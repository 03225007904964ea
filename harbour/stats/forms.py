"""Forms of the statistics pages: a release to define, a research extract to request, a period."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from harbour.stats import layered
from harbour.stats.catalogue import VARIABLES
from harbour.stats.models import ExtractMethod
from harbour.stats.tables import Method, Spec

METHOD_CHOICES = [
    (Method.SUPPRESSION, _("Small-cell suppression (counts from 1 to 9 withheld)")),
    (Method.ROUNDING, _("Random rounding to base 5")),
    (Method.DP, _("Differential privacy (spends privacy budget)")),
]


def variable_choices(blank: bool = False) -> list[tuple[str, Any]]:
    choices: list[tuple[str, Any]] = [(v.id, v.label) for v in VARIABLES.values()]
    return [("", _("None (a one-way table)")), *choices] if blank else choices


def layer_choices() -> list[tuple[str, Any]]:
    """Variables with one code per person: each person falls in exactly one layer."""
    return [("", _("None (a one- or two-way table)"))] + [
        (v, VARIABLES[v].label) for v in layered.layer_choices()
    ]


class PeriodForm(forms.Form):
    first_year = forms.IntegerField(
        label=_("From year"), required=False, min_value=1990, max_value=2100
    )
    last_year = forms.IntegerField(
        label=_("To year"), required=False, min_value=1990, max_value=2100
    )

    def years(self) -> tuple[int | None, int | None]:
        if not self.is_valid():
            return None, None
        return self.cleaned_data.get("first_year"), self.cleaned_data.get("last_year")


class TableForm(forms.Form):
    row = forms.ChoiceField(label=_("Rows"), choices=variable_choices)
    col = forms.ChoiceField(
        label=_("Columns"), choices=lambda: variable_choices(True), required=False
    )
    layer = forms.ChoiceField(
        label=_("Layer (one table per code)"), choices=layer_choices, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        row, col = data.get("row") or "", data.get("col") or ""
        for field, errors in layered.spec_errors(row, col, data.get("layer") or "").items():
            for error in errors:
                self.add_error(field, error)
        return data

    def spec(self) -> Spec:
        data = self.cleaned_data
        return Spec(data["row"], data.get("col") or "", data.get("layer") or "")


class ReleaseForm(PeriodForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    title_fr = forms.CharField(label=_("Title in French"), max_length=200, required=False)
    row_variable = forms.ChoiceField(label=_("Rows"), choices=variable_choices)
    col_variable = forms.ChoiceField(
        label=_("Columns"), choices=lambda: variable_choices(True), required=False
    )
    layer_variable = forms.ChoiceField(
        label=_("Layer (one table per code)"),
        choices=layer_choices,
        required=False,
        help_text=_(
            "A three-way table, such as recruitment by control for each region. Published with "
            "random rounding or differential privacy only."
        ),
    )
    method = forms.ChoiceField(label=_("Disclosure control"), choices=METHOD_CHOICES)
    epsilon = forms.CharField(
        label=_("Epsilon (differential privacy only)"),
        required=False,
        max_length=12,
        help_text=_("Smaller is more private and noisier. At 1, 95 % of counts are within ±3."),
    )


class ExtractForm(PeriodForm):
    purpose = forms.CharField(
        label=_("Research purpose"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("The project, its ethics approval and what the data will be used for."),
    )
    method = forms.ChoiceField(
        label=_("Protection"),
        choices=ExtractMethod.choices,
        initial=ExtractMethod.KANON,
        required=False,  # k-anonymised unless asked otherwise
        widget=forms.RadioSelect,
    )
    epsilon = forms.CharField(
        label=_("Epsilon (synthetic microdata only)"),
        required=False,
        max_length=12,
        help_text=_(
            "From 0.1 to 10; 1 if left empty. Spent once from the research privacy budget when "
            "the request is approved. Smaller is more private and less accurate."
        ),
    )
