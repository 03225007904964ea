from django import forms
from django.utils.translation import gettext_lazy as _

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
