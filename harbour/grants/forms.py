"""Forms of the grants pages. They only shape input: the actions check every value."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from harbour.core.forms import set_choices
from harbour.grants.models import FunderKind, Group, Pillar, Population, Recurrence

CHECKS = forms.CheckboxSelectMultiple
# ISO dates, whatever the language: a browser's date picker reads only YYYY-MM-DD.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def province_choices() -> list[tuple[str, str]]:
    from harbour.directory.places import provinces

    return [(code, p.name) for code, p in provinces().items()]


def org_type_choices() -> list[tuple[str, str]]:
    from harbour.standard.dictionary import current

    return [(c.code, str(c.label)) for c in current().codelists["organisation_type"].codes]


def _any(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("Any")), *choices]


class ProgramSearchForm(forms.Form):
    q = forms.CharField(label=_("Words"), required=False, max_length=100)
    funder_kind = forms.ChoiceField(label=_("Kind of funder"), required=False)
    province = forms.ChoiceField(label=_("Province or territory"), required=False)
    population = forms.ChoiceField(label=_("Population served"), required=False)
    pillar = forms.ChoiceField(label=_("Pillar"), required=False)
    org_type = forms.ChoiceField(label=_("Type of organisation"), required=False)
    within = forms.IntegerField(
        label=_("Deadline within (days)"), required=False, min_value=1, max_value=730
    )
    open_now = forms.BooleanField(label=_("Intake open today"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "funder_kind", _any(FunderKind.choices))
        set_choices(self, "province", _any(province_choices()))
        set_choices(self, "population", _any(Population.choices))
        set_choices(self, "pillar", _any(Pillar.choices))
        set_choices(self, "org_type", _any(org_type_choices()))


class PartnerFilterForm(forms.Form):
    group = forms.ChoiceField(label=_("Representation group"), required=False)
    province = forms.ChoiceField(label=_("Province or territory"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "group", _any(Group.choices))
        set_choices(self, "province", _any(province_choices()))


class FunderForm(forms.Form):
    short_name = forms.CharField(label=_("Short name"), max_length=60)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    name_fr = forms.CharField(label=_("Name (French)"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind of funder"), choices=FunderKind.choices)
    province = forms.ChoiceField(label=_("Province or territory (empty: national)"), required=False)
    website = forms.CharField(label=_("Website"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "province", [("", "—"), *province_choices()])


class ProgramForm(forms.Form):
    funder = forms.ChoiceField(label=_("Funder"))
    code = forms.CharField(label=_("Code"), max_length=60)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    name_fr = forms.CharField(label=_("Name (French)"), max_length=200)
    description_en = forms.CharField(
        label=_("Description (English)"), required=False, widget=forms.Textarea, max_length=4000
    )
    description_fr = forms.CharField(
        label=_("Description (French)"), required=False, widget=forms.Textarea, max_length=4000
    )
    pillars = forms.MultipleChoiceField(
        label=_("Pillars"), required=False, choices=Pillar.choices, widget=CHECKS
    )
    populations = forms.MultipleChoiceField(
        label=_("Populations served"), required=False, choices=Population.choices, widget=CHECKS
    )
    provinces = forms.MultipleChoiceField(
        label=_("Provinces and territories (none: all of Canada)"), required=False, widget=CHECKS
    )
    org_types = forms.MultipleChoiceField(
        label=_("Eligible types of organisation (none: any)"), required=False, widget=CHECKS
    )
    amount_min = forms.IntegerField(label=_("Smallest amount (CAD)"), required=False)
    amount_max = forms.IntegerField(label=_("Largest amount (CAD)"))
    term_years = forms.IntegerField(label=_("Term (years)"), required=False)
    opens_on = forms.DateField(label=_("Intake opens"), widget=DATE)
    deadline = forms.DateField(label=_("Deadline"), widget=DATE)
    recurrence = forms.ChoiceField(label=_("Recurrence"), choices=Recurrence.choices)
    url = forms.CharField(label=_("Link"), required=False, max_length=200)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, funders: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "funder", [(str(f.pk), f.name) for f in funders])
        set_choices(self, "provinces", province_choices())
        set_choices(self, "org_types", org_type_choices())


class AwardForm(forms.Form):
    org = forms.ChoiceField(label=_("Organisation that received it"))
    program = forms.ChoiceField(label=_("Program"))
    amount = forms.IntegerField(label=_("Amount (CAD)"))
    starts_on = forms.DateField(label=_("Starts"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends"), widget=DATE)
    province = forms.ChoiceField(label=_("Province or territory where it is spent"))
    pillars = forms.MultipleChoiceField(
        label=_("Pillars"), required=False, choices=Pillar.choices, widget=CHECKS
    )
    populations = forms.MultipleChoiceField(
        label=_("Populations served"), required=False, choices=Population.choices, widget=CHECKS
    )
    purpose_en = forms.CharField(label=_("Purpose (English)"), max_length=300)
    purpose_fr = forms.CharField(label=_("Purpose (French)"), max_length=300, required=False)

    def __init__(self, *args: Any, orgs: Any = (), programs: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "org", [(str(o.pk), o.name) for o in orgs])
        set_choices(self, "program", [(str(p.pk), p.name) for p in programs])
        set_choices(self, "province", province_choices())


class ProfileForm(forms.Form):
    group = forms.ChoiceField(label=_("Representation group"), choices=Group.choices)
    regions = forms.MultipleChoiceField(
        label=_("Provinces and territories"), required=False, widget=CHECKS
    )
    pillars = forms.MultipleChoiceField(
        label=_("Focus areas"), required=False, choices=Pillar.choices, widget=CHECKS
    )
    populations = forms.MultipleChoiceField(
        label=_("Populations served"), required=False, choices=Population.choices, widget=CHECKS
    )
    languages = forms.CharField(
        label=_("Languages"),
        required=False,
        max_length=200,
        help_text=_("ISO 639-3 codes separated by commas, for example eng, fra, iku."),
    )
    summary_en = forms.CharField(
        label=_("Summary (English)"), required=False, widget=forms.Textarea, max_length=2000
    )
    summary_fr = forms.CharField(
        label=_("Summary (French)"), required=False, widget=forms.Textarea, max_length=2000
    )
    website = forms.CharField(label=_("Website"), required=False, max_length=200)
    contact_name = forms.CharField(label=_("Contact person"), required=False, max_length=200)
    contact_email = forms.CharField(label=_("Contact e-mail"), required=False, max_length=254)
    contact_phone = forms.CharField(label=_("Contact telephone"), required=False, max_length=30)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "regions", province_choices())


class CommitteeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=60)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    name_fr = forms.CharField(label=_("Name (French)"), max_length=200)
    province = forms.ChoiceField(label=_("Province or territory (empty: national)"), required=False)
    mandate_en = forms.CharField(
        label=_("Mandate (English)"), required=False, widget=forms.Textarea, max_length=2000
    )
    mandate_fr = forms.CharField(
        label=_("Mandate (French)"), required=False, widget=forms.Textarea, max_length=2000
    )
    members = forms.MultipleChoiceField(label=_("Members"), required=False, widget=CHECKS)
    chairs = forms.MultipleChoiceField(label=_("Chairs"), required=False, widget=CHECKS)

    def __init__(self, *args: Any, orgs: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "province", [("", "—"), *province_choices()])
        options = [(str(o.pk), o.name) for o in orgs]
        set_choices(self, "members", options)
        set_choices(self, "chairs", options)
