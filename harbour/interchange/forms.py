"""Forms of the import and export pages: shapes only; the actions validate."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from harbour.core.forms import set_choices
from harbour.standard.dictionary import current

EXPORT_CHOICES = [
    ("csv", _("CSV (spreadsheet)")),
    ("xlsx", _("Excel workbook (.xlsx)")),
    ("htcds", _("HTCDS 2.0: one CSV per HTCDS entity (ZIP)")),
    ("datapackage", _("Frictionless data package (ZIP)")),
]


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File to import"),
        help_text=_(
            "CSV (UTF-8), Excel .xlsx, the HTCDS template or a KoBoToolbox/ODK export "
            "(CSV, XLSX or JSON). One row per intake; the first row names the columns."
        ),
    )
    intake_date = forms.DateField(
        label=_("Intake date for rows that have none"),
        help_text=_("YYYY-MM-DD. The HTCDS template has no intake date column."),
        required=False,
    )
    intake_province = forms.ChoiceField(
        label=_("Province or territory of intake for rows that have none"), required=False
    )
    dry_run = forms.BooleanField(
        label=_("Only check the file; I will confirm the import after reading the report"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provinces = current().codelists["province"].offered(current().latest)
        set_choices(self, "intake_province", [("", "—"), *((c.code, c.label) for c in provinces)])


class ExportForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=EXPORT_CHOICES)
    identifying = forms.BooleanField(
        label=_("Include names, contact details and other identifying fields"),
        help_text=_("Recorded in the audit trail for every survivor in the file."),
        required=False,
    )


class XlsFormForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Default language of the form"),
        choices=[("en", _("English")), ("fr", _("French"))],
    )
