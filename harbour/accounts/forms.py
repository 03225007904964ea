from django import forms
from django.utils.translation import gettext_lazy as _

from harbour.accounts.policy import ORG_ASSIGNABLE_ROLES, Role
from harbour.core.forms import set_choices


class SignInForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, max_length=256)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"), widget=forms.PasswordInput, max_length=256
    )
    new_password = forms.CharField(
        label=_("New password"),
        widget=forms.PasswordInput,
        max_length=256,
        help_text=_("At least 12 characters; not a common password; not only numbers."),
    )
    confirm_password = forms.CharField(
        label=_("New password again"), widget=forms.PasswordInput, max_length=256
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("confirm_password"):
            self.add_error("confirm_password", _("The two new passwords do not match."))
        return data


def role_choices(all_roles: bool) -> list[tuple[str, str]]:
    roles = Role.choices if all_roles else [(r.value, r.label) for r in ORG_ASSIGNABLE_ROLES]
    return [(value, str(label)) for value, label in roles]


class StaffForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    job_title = forms.CharField(label=_("Job title"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    role = forms.ChoiceField(label=_("Role"))
    password = forms.CharField(
        label=_("Temporary password"),
        widget=forms.PasswordInput,
        max_length=256,
        help_text=_(
            "Give it to the person privately; they must change it when they first sign in."
        ),
    )

    def __init__(self, *args: object, all_roles: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        set_choices(self, "role", role_choices(all_roles))


class StaffEditForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    job_title = forms.CharField(label=_("Job title"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"))
    is_active = forms.BooleanField(label=_("Active (may sign in)"), required=False)

    def __init__(self, *args: object, all_roles: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        set_choices(self, "role", role_choices(all_roles))


class PasswordResetForm(forms.Form):
    password = forms.CharField(
        label=_("New temporary password"), widget=forms.PasswordInput, max_length=256
    )


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=80,
        help_text=_("What the token is for, e.g. 'KoBo import laptop'."),
    )
