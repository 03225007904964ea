from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from harbour.core.forms import set_choices
from harbour.standard.dictionary import current


def _codes(list_id: str) -> list[tuple[str, str]]:
    codelist = current().codelists[list_id]
    return [(c.code, str(c.label)) for c in codelist.offered(current().latest)]


class OrganisationForm(forms.Form):
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    name_fr = forms.CharField(label=_("Name (French)"), max_length=200)
    short_name = forms.SlugField(
        label=_("Short name"),
        max_length=40,
        help_text=_("Letters, digits and hyphens; used in exports."),
    )
    type = forms.ChoiceField(label=_("Type"))
    province = forms.ChoiceField(label=_("Province or territory"))
    city = forms.CharField(label=_("City"), max_length=120, required=False)
    provinces_served = forms.MultipleChoiceField(
        label=_("Provinces and territories served"), widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "type", _codes("organisation_type"))
        set_choices(self, "province", _codes("province"))
        set_choices(self, "provinces_served", _codes("province"))
