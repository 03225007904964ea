from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from harbour.audit.delivery import MAX_CHECKPOINT_BYTES


class CheckCheckpointForm(forms.Form):
    """A checkpoint the organisation kept: the downloaded or e-mailed file, or its text."""

    file = forms.FileField(label=_("Checkpoint file"), required=False)
    text = forms.CharField(
        label=_("Or paste its text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        max_length=MAX_CHECKPOINT_BYTES,
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        upload, text = data.get("file"), (data.get("text") or "").strip()
        if upload is None and not text:
            raise forms.ValidationError(_("Choose a checkpoint file or paste its text."))
        if upload is not None:
            data["text"] = self._read(upload)
        else:
            data["text"] = text.replace("\r\n", "\n") + "\n"
        return data

    def _read(self, upload: forms.Field) -> str:
        if upload.size > MAX_CHECKPOINT_BYTES:  # type: ignore[attr-defined]
            raise forms.ValidationError(_("This file is too large to be a checkpoint."))
        try:
            return str(upload.read().decode("utf-8"))  # type: ignore[attr-defined]
        except UnicodeDecodeError:
            raise forms.ValidationError(_("This file is not text (UTF-8).")) from None


class TrailFilterForm(forms.Form):
    """Filters of the audit trail; every value is checked, a bad one is a message, never a 500."""

    person = forms.ChoiceField(label=_("Person"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)
    since = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    record = forms.CharField(
        label=_("Record"),
        required=False,
        max_length=64,
        help_text=_("A case or survivor reference, or a record's id."),
    )

    def __init__(
        self,
        *args: Any,
        people: list[tuple[str, str]],
        actions: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", _("Everyone")), *people]  # type: ignore[attr-defined]
        self.fields["action"].choices = [("", _("Every action")), *actions]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date is before the start date."))
        data["record"] = (data.get("record") or "").strip()
        return data
