"""Forms of the directory pages. They check shapes and combinations only; actions validate."""

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from harbour.core import widgets
from harbour.core.forms import set_choices
from harbour.directory import regions
from harbour.directory.models import (
    ELIGIBILITY_FLAGS,
    CapacityUnit,
    Confidentiality,
    LocationType,
    ServiceStatus,
)
from harbour.directory.pathway import pathway
from harbour.directory.places import provinces
from harbour.directory.queries import Profile
from harbour.standard import picklists
from harbour.standard.dictionary import current

RADII = [("25", "25 km"), ("50", "50 km"), ("100", "100 km"), ("250", "250 km"), ("500", "500 km")]
TRI = [("", _("Not stated")), ("yes", _("Yes")), ("no", _("No"))]
SECURE_STATUS = {
    "canadian_citizen",
    "permanent_resident",
    "protected_person",
    "unknown",
    "prefers_not_to_say",
    "",
}


def _codes(listname: str) -> list[tuple[str, str]]:
    return [(c.code, str(c.label)) for c in current().codelists[listname].codes]


def term_choices() -> list[tuple[str, str]]:
    return [(code, str(t.label)) for code, t in pathway().terms.items()]


def province_choices(national: bool = False) -> list[tuple[str, str]]:
    rows = [(p.code, p.name) for p in provinces().values()]
    return ([("CA", str(_("All of Canada")))] if national else []) + rows


def language_choices() -> list[tuple[str, Any]]:
    """Common languages first, then the others A to Z in the reader's language."""
    return picklists.ordered("language", _codes("language"), language=get_language() or "en")


class ProfileFields(forms.Form):
    """The survivor's profile, shared by the care map and directory search."""

    age = forms.IntegerField(label=_("Age"), required=False, min_value=0, max_value=120)
    gender = forms.ChoiceField(label=_("Gender"), required=False, widget=widgets.Select)
    children = forms.BooleanField(label=_("Has children with them"), required=False)
    pregnant = forms.BooleanField(label=_("Pregnant"), required=False)
    addiction = forms.BooleanField(
        label=_("Uses substances (needs a service that accepts people using substances)"),
        required=False,
    )
    status_precarious = forms.BooleanField(label=_("No secure immigration status"), required=False)
    pets = forms.BooleanField(label=_("Has a pet"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "gender", [("", _("Any")), *_codes("gender_identity")])

    def profile(self) -> Profile:
        d = self.cleaned_data
        return Profile(
            age=d.get("age"),
            gender=d.get("gender") or "",
            children=bool(d.get("children")),
            pregnant=bool(d.get("pregnant")),
            addiction=bool(d.get("addiction")),
            status_precarious=bool(d.get("status_precarious")),
            pets=bool(d.get("pets")),
            language=d.get("language") or "",
            interpreter=bool(d.get("interpreter")),
            indigenous=bool(d.get("indigenous")),
            twoslgbtqi=bool(d.get("twoslgbtqi")),
        )


class SearchForm(ProfileFields):
    q = forms.CharField(label=_("Words"), required=False, max_length=120)
    place = forms.CharField(
        label=_("Near (city, province or postal code)"), required=False, max_length=120
    )
    radius = forms.ChoiceField(label=_("Within"), choices=[("", "—"), *RADII], required=False)
    term = forms.ChoiceField(label=_("Type of service"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "term", [("", _("Any")), *term_choices()])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("radius") and not data.get("place"):
            self.add_error("place", _("Choose a place to search within a distance of it."))
        return data


class CareMapForm(ProfileFields):
    place = forms.CharField(
        label=_(
            "Where the survivor is (city, province or territory, or "
            "the first three characters of a postal code)"
        ),
        max_length=120,
    )
    # The care map is one of the most used pages (issue 9): its long lists are written in Python.
    needs = forms.MultipleChoiceField(
        label=_("Needs"), required=False, widget=widgets.CheckboxSelectMultiple
    )
    language = forms.ChoiceField(
        label=_("Preferred language"), required=False, widget=widgets.Select
    )
    interpreter = forms.BooleanField(label=_("Needs an interpreter"), required=False)
    indigenous = forms.BooleanField(
        label=_("Indigenous (prefers Indigenous-led services)"), required=False
    )
    twoslgbtqi = forms.BooleanField(
        label=_("2SLGBTQI+ (prefers affirming services)"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "needs", [c for c in _codes("need") if c[0] != "other"])
        set_choices(self, "language", [("", _("English or French")), *language_choices()])
        self.fields["language"].widget.attrs["data-filter"] = _("Type to filter the list")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("interpreter") and not data.get("language"):
            self.add_error("language", _("Choose the language to interpret into."))
        return data


class ServiceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=250)
    status = forms.ChoiceField(label=_("Status"), choices=ServiceStatus.choices)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    terms = forms.MultipleChoiceField(
        label=_("Types of service"), widget=forms.CheckboxSelectMultiple
    )
    phone = forms.CharField(label=_("Intake phone"), max_length=60, required=False)
    url = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    email = forms.EmailField(label=_("Email"), required=False)
    application_process = forms.CharField(
        label=_("How to get this service"), required=False, widget=forms.Textarea
    )
    eligibility_description = forms.CharField(
        label=_("Who can use it"), required=False, widget=forms.Textarea
    )
    minimum_age = forms.IntegerField(
        label=_("Minimum age"), required=False, min_value=0, max_value=120
    )
    maximum_age = forms.IntegerField(
        label=_("Maximum age"), required=False, min_value=0, max_value=120
    )
    genders = forms.MultipleChoiceField(
        label=_("Genders served (none ticked: everyone)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    accepts_children = forms.ChoiceField(
        label=_("Accepts children with a parent"), choices=TRI, required=False
    )
    accepts_pregnant = forms.ChoiceField(
        label=_("Accepts pregnant people"), choices=TRI, required=False
    )
    addiction_accepted = forms.ChoiceField(
        label=_("Accepts people using substances"), choices=TRI, required=False
    )
    immigration_status_not_required = forms.ChoiceField(
        label=_("Serves people without immigration status"), choices=TRI, required=False
    )
    pets_allowed = forms.ChoiceField(label=_("Pets allowed"), choices=TRI, required=False)
    capacity_unit = forms.ChoiceField(
        label=_("Capacity counted in"), required=False, choices=[("", "—"), *CapacityUnit.choices]
    )
    capacity_total = forms.IntegerField(label=_("Total capacity"), required=False, min_value=0)
    languages = forms.MultipleChoiceField(label=_("Languages spoken"), required=False)
    areas = forms.MultipleChoiceField(
        label=_("Serves (by phone or online)"), required=False, widget=forms.CheckboxSelectMultiple
    )
    alert = forms.CharField(label=_("Alert shown to people"), required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "terms", term_choices())
        set_choices(self, "genders", _codes("gender_identity"))
        set_choices(self, "languages", language_choices())
        self.fields["languages"].widget.attrs["data-filter"] = _("Type to filter the list")
        set_choices(self, "areas", province_choices(national=True))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("minimum_age"), data.get("maximum_age")
        if low is not None and high is not None and low > high:
            self.add_error("maximum_age", _("The maximum age cannot be less than the minimum age."))
        return data

    def values(self) -> dict[str, Any]:
        d = self.cleaned_data
        plain = {k: d.get(k) if k in _NULLABLE else (d.get(k) or "") for k in _PLAIN}
        return plain | {f: _TRI[d.get(f) or ""] for f in ELIGIBILITY_FLAGS}

    @staticmethod
    def initial_for(
        service: Any, terms: list[str], languages: list[str], areas: list[str], phone: str
    ) -> dict[str, Any]:
        initial = {f: getattr(service, f) for f in _PLAIN}
        initial |= {f: _TRI_CHOICE[getattr(service, f)] for f in ELIGIBILITY_FLAGS}
        return initial | {"terms": terms, "languages": languages, "areas": areas, "phone": phone}


# The service form's plain fields (saved as typed; empty text as ""), and yes/no/not stated.
_PLAIN = (
    "name",
    "status",
    "description",
    "url",
    "email",
    "application_process",
    "eligibility_description",
    "minimum_age",
    "maximum_age",
    "genders",
    "capacity_unit",
    "capacity_total",
    "alert",
)
_NULLABLE = {"minimum_age", "maximum_age", "capacity_total", "genders"}
_TRI = {"": None, "yes": True, "no": False}
_TRI_CHOICE = {v: k for k, v in _TRI.items()}


class LocationForm(forms.Form):
    name = forms.CharField(label=_("Name of the place"), max_length=250, required=False)
    location_type = forms.ChoiceField(label=_("Kind of place"), choices=LocationType.choices)
    confidentiality = forms.ChoiceField(
        label=_("Who may see the address"),
        choices=Confidentiality.choices,
        help_text=_(
            "Hidden: only your organisation ever sees the address; everyone else sees "
            "the province and calls your intake line."
        ),
    )
    address_1 = forms.CharField(label=_("Street address"), max_length=250, required=False)
    city = forms.CharField(label=_("City or town"), max_length=120, required=False)
    state_province = forms.ChoiceField(label=_("Province or territory"), required=False)
    postal_code = forms.RegexField(
        label=_("Postal code"),
        required=False,
        regex=r"^[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d$",
        error_messages={"invalid": _("Enter a postal code like K1A 0B1.")},
    )
    region_km = forms.TypedChoiceField(
        label=_("Service region of a hidden location"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_(
            "How far from a hidden location its region reaches. Harbour finds it for people "
            "anywhere in this region and shows the region, never the address. A wider region "
            "is vaguer about where the house is."
        ),
    )
    latitude = forms.FloatField(label=_("Latitude (optional)"), required=False)
    longitude = forms.FloatField(label=_("Longitude (optional)"), required=False)
    transportation = forms.CharField(
        label=_("Getting there"), required=False, widget=forms.Textarea
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "state_province", [("", "—"), *province_choices()])
        set_choices(self, "region_km", regions.reach_choices())


class VacancyForm(forms.Form):
    available = forms.IntegerField(label=_("Available today"), min_value=0, required=False)
    waitlist = forms.IntegerField(label=_("Waiting list"), min_value=0, required=False)


class ClosureForm(forms.Form):
    starts_on = forms.DateField(
        label=_("Closed from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("Closed until"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Reason (shown to people)"), max_length=250, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("HSDS 3.0 file (JSON, or the tabular data package as ZIP)"))
    org = forms.ChoiceField(label=_("Organisation that will manage these entries"), required=False)
    dry_run = forms.BooleanField(
        label=_("Dry run: check and report only, write nothing"), required=False
    )


def secure_status(code: str | None) -> bool:
    return (code or "") in SECURE_STATUS
