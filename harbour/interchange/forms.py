"""Forms of the import and export pages: shapes only; the actions validate."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from harbour.core.forms import set_choices
from harbour.interchange import mapping
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


class ColumnsForm(forms.Form):
    """One choice per column of the file: the field it holds, or leave it out."""

    def __init__(self, *args: Any, columns: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = [
            ("", _("As Harbour read it")),
            ("-", _("Leave this column out")),
            *(
                (t.key + (f"@{order}" if order else ""), _option(t, order))
                for t, order in mapping.choice_keys()
            ),
        ]
        for letter, target in columns.items():
            self.fields[letter] = forms.ChoiceField(
                label=_("Column %(letter)s") % {"letter": letter},
                choices=options,
                required=False,
                initial="" if target in ("", "-") else target,
            )


DATE_ORDER_LABELS = {
    "dmy": _("dates written day first (31/12/2024)"),
    "mdy": _("dates written month first (12/31/2024)"),
}


def _option(target: mapping.Target, order: str | None) -> str:
    label = f"{current().entity(target.entity).label} · {target.field.label}"
    return f"{label} · {DATE_ORDER_LABELS[order]}" if order else label


class ValuesForm(forms.Form):
    """One choice per value Harbour did not understand in a code-list column."""

    def __init__(self, *args: Any, unknown: dict[str, list[str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items: dict[str, tuple[str, str]] = {}
        for key, values in unknown.items():
            target = mapping.target_by_key(key)
            if target is None or target.field.codelist is None:
                continue
            codes = target.field.codelist.offered(current().latest)
            options = [("", _("Not chosen yet")), *((c.code, str(c.label)) for c in codes)]
            for value in values:
                name = f"value_{len(self.items)}"
                self.items[name] = (key, value)
                self.fields[name] = forms.ChoiceField(
                    label=f"{target.field.label} · « {value} »", choices=options, required=False
                )

    def chosen(self) -> list[tuple[str, str, str]]:
        return [(*self.items[n], code) for n, code in self.cleaned_data.items() if code]
