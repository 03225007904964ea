from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from harbour.core.forms import set_choices
from harbour.orgs.models import Organisation
from harbour.sharing.models import ConsentMethod, Purpose, RecipientKind, ReferralKind
from harbour.sharing.states import DeclineReason, Outcome
from harbour.standard.dictionary import current


def _categories() -> list[tuple[str, str]]:
    return [(c.id, str(c.label)) for c in current().categories]


def _org_types() -> list[tuple[str, str]]:
    codelist = current().codelists["organisation_type"]
    return [("", "—")] + [(c.code, str(c.label)) for c in codelist.offered(current().latest)]


def _orgs(exclude: Any) -> list[tuple[str, str]]:
    orgs = Organisation.objects.filter(is_active=True).exclude(pk=exclude).order_by("name_en")
    return [("", "—")] + [(str(o.pk), f"{o.name} ({o.province})") for o in orgs]


class ConsentForm(forms.Form):
    recipient_kind = forms.ChoiceField(
        label=_("Who may receive the information"),
        choices=RecipientKind.choices,
        widget=forms.RadioSelect,
    )
    recipient_org = forms.ChoiceField(label=_("The organisation"), required=False)
    recipient_org_type = forms.ChoiceField(
        label=_("Or any organisation of this type"), required=False
    )
    # Not required here: the action decides, since a consent for "known elsewhere" alone
    # opens no information and needs no category (ADR 41); any other purpose needs one.
    categories = forms.MultipleChoiceField(
        label=_("What information"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "Only what the survivor agreed to. They can withdraw at any moment. None when the "
            "only purpose is that other organisations may learn they were served here: that "
            "consent opens no information."
        ),
    )
    purposes = forms.MultipleChoiceField(
        label=_("For what purpose"), choices=Purpose.choices, widget=forms.CheckboxSelectMultiple
    )
    method = forms.ChoiceField(
        label=_("How the consent was given"),
        choices=ConsentMethod.choices,
        widget=forms.RadioSelect,
    )
    starts_on = forms.DateField(
        label=_("Starts on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for 12 months."),
    )

    def __init__(self, *args: Any, org_id: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "recipient_org", _orgs(org_id))
        set_choices(self, "recipient_org_type", _org_types())
        set_choices(self, "categories", _categories())


class ReferralForm(forms.Form):
    receiving_org = forms.ChoiceField(label=_("Refer to"))
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=ReferralKind.choices,
        widget=forms.RadioSelect,
        initial=ReferralKind.REFERRAL,
        help_text=_(
            "A transfer moves the case: accepting it opens the case at the receiving "
            "organisation and closes it here."
        ),
    )
    service = forms.ChoiceField(label=_("Service (from the directory)"), required=False)

    def __init__(
        self, *args: Any, org_id: Any, services: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "receiving_org", _orgs(org_id))
        set_choices(self, "service", [("", "—"), *services])


class DeclineForm(forms.Form):
    decline_reason = forms.ChoiceField(label=_("Why"), choices=DeclineReason.choices)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)


class ReceiptLookupForm(forms.Form):
    code = forms.CharField(
        label=_("Code on the consent receipt"),
        max_length=20,
        help_text=_("Twelve letters and digits, e.g. K7QX-3MZP-9TRA."),
    )


class AgreementForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    partners = forms.MultipleChoiceField(
        label=_("Partner organisations"), widget=forms.CheckboxSelectMultiple
    )
    categories = forms.MultipleChoiceField(
        label=_("Information covered"), widget=forms.CheckboxSelectMultiple
    )
    purposes = forms.MultipleChoiceField(
        label=_("Purposes"),
        widget=forms.CheckboxSelectMultiple,
        choices=[
            (Purpose.REFERRAL, Purpose.REFERRAL.label),
            (Purpose.CONTINUITY, Purpose.CONTINUITY.label),
        ],
    )
    valid_from = forms.DateField(
        label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    signatories = forms.CharField(
        label=_("Signatories (names and titles)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    def __init__(self, *args: Any, org_id: Any, national: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "categories", _categories())
        if national:
            del self.fields["partners"]
        else:
            set_choices(self, "partners", _orgs(org_id)[1:])
