from django import forms
from django.utils.translation import gettext_lazy as _

from harbour.accounts.policy import Role
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


def role_choices(roles: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in Role.choices if value in roles]


LANGUAGES = [("en", "English"), ("fr", "Français")]


class InviteForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    job_title = forms.CharField(label=_("Job title"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        help_text=_("The invitation link goes to this address only; you will not see it."),
    )
    role = forms.ChoiceField(label=_("Role"))
    preferred_language = forms.ChoiceField(label=_("Language of the invitation"), choices=LANGUAGES)

    def __init__(self, *args: object, roles: tuple[str, ...] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        set_choices(self, "role", role_choices(roles))


class StaffEditForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    job_title = forms.CharField(label=_("Job title"), max_length=150, required=False)
    role = forms.ChoiceField(
        label=_("Role"),
        help_text=_("A new role signs the person out everywhere and revokes their API tokens."),
    )

    def __init__(self, *args: object, roles: tuple[str, ...] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        set_choices(self, "role", role_choices(roles))


class SetPasswordForm(forms.Form):
    new_password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput,
        max_length=256,
        help_text=_("At least 12 characters; not a common password; not only numbers."),
    )
    confirm_password = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput, max_length=256
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("confirm_password"):
            self.add_error("confirm_password", _("The two passwords do not match."))
        return data


class ForgotForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=80,
        help_text=_("What the token is for, e.g. 'KoBo import laptop'."),
    )


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=64,
        help_text=_("The 6-digit code your authenticator app shows now, or a recovery code."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class DeviceNameForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        help_text=_("So you recognise it later, e.g. 'Work phone'."),
    )


class ConfirmTotpForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
