"""Forms generated from the data dictionary.

The form fields only collect raw values and render widgets; the rules (types, code lists, lengths,
dates) are checked by standard.validation, the same code the API and imports use, so a rule and
its French message exist once.
"""

import functools
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from harbour.core import widgets
from harbour.core.errors import InvalidInput
from harbour.core.forms import set_choices
from harbour.standard import picklists
from harbour.standard.dictionary import Entity, Field, Version, current
from harbour.standard.validation import validate

BOOLEAN_CHOICES = [("", _("Not answered")), ("true", _("Yes")), ("false", _("No"))]
# Long code lists (countries, languages) become a select; short ones, checkboxes or radios.
CHECKBOX_LIMIT = 40


class LooseChoiceField(forms.ChoiceField):
    """Choice membership is checked by the dictionary validator (it knows deprecated codes)."""

    def valid_value(self, value: Any) -> bool:
        return True


class LooseMultipleChoiceField(forms.MultipleChoiceField):
    def valid_value(self, value: Any) -> bool:
        return True


def _choices(
    field: Field, version: Version, held: Iterable[str], language: str | None = None
) -> list[tuple[str, str]]:
    """Offered codes, plus deprecated ones a record already holds (so they are not lost)."""
    assert field.codelist is not None
    held = set(held)
    codes = [c for c in field.codelist.codes if c.lifetime.offered_in(version) or c.code in held]
    language = language or get_language()  # once: str(label) asks for it again for each code
    return [(c.code, c.label.in_language(language)) for c in codes]


class _Same:
    """A dictionary object as a cache key, by identity: hashing the frozen dataclass would walk
    its codes each time, and a dictionary loaded again is new objects (so never a stale key)."""

    __slots__ = ("obj",)

    def __init__(self, obj: Field) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.obj is self.obj


# The choices of a code field for one dictionary version and language (and the codes held that
# it would not offer), built once a process: the intake form's ~2,300 options were sorted and
# translated for every form (issue 9, the 5x spike). Kept: 512 (a few dozen fields x EN/FR, and
# records holding deprecated codes).
@functools.lru_cache(maxsize=512)
def _offered(
    field: _Same, version: Version, language: str | None, held: frozenset[str]
) -> tuple[str, widgets.Choices]:
    """(shape, choices): "checkboxes", "radios", "select" or "long" (a filterable select)."""
    dictionary_field = field.obj
    options = _choices(dictionary_field, version, held, language)
    if dictionary_field.type == "codes":
        if len(options) <= CHECKBOX_LIMIT:
            return "checkboxes", widgets.Choices(options)
        return "long", widgets.Choices(_long_list(dictionary_field, options, held, language))
    if len(options) <= 6:
        return "radios", widgets.Choices(options)
    if len(options) > CHECKBOX_LIMIT:
        options = _long_list(dictionary_field, options, held, language)
        return "long", widgets.Choices([("", "—"), *options])
    return "select", widgets.Choices([("", "—"), *options])


def _code_choices(field: Field, version: Version, held: Any) -> tuple[str, widgets.Choices]:
    """The choices for `field`, a record holding `held`: only held codes the field would not
    offer anyway change them, so only those are in the key."""
    codes = set(held or []) if field.type == "codes" else ({held} if held else set())
    language = get_language()
    shape, offered = _offered(_Same(field), version, language, frozenset())
    extra = frozenset(c for c in codes if c not in offered.values)
    return _offered(_Same(field), version, language, extra) if extra else (shape, offered)


def form_field(
    field: Field, version: Version, held: Any = None, choices: list[tuple[str, str]] | None = None
) -> forms.Field:
    """A permissive Django form field with the right widget, label and help for `field`."""
    common: dict[str, Any] = {
        "label": field.label,
        "required": False,
        "help_text": field.help or "",
    }
    kind = field.type
    if kind == "codes":
        shape, options = _code_choices(field, version, held)
        if shape == "checkboxes":
            widget: Any = widgets.CheckboxSelectMultiple
        else:
            widget = widgets.SelectMultiple(attrs={"size": 8} | _filterable())
        return LooseMultipleChoiceField(choices=options, widget=widget, **common)
    if kind == "code":
        shape, options = _code_choices(field, version, held)
        if shape == "radios":
            return LooseChoiceField(choices=options, widget=widgets.RadioSelect, **common)
        widget = widgets.Select(attrs=_filterable()) if shape == "long" else widgets.Select
        return LooseChoiceField(choices=options, widget=widget, **common)
    if kind in {"staff", "organisation"}:
        return LooseChoiceField(
            choices=[("", "—"), *(choices or [])], widget=widgets.Select, **common
        )
    if kind == "boolean":
        # A required question offers no "Not answered": pre-selected, it could only be refused.
        offered = BOOLEAN_CHOICES[1:] if field.required else BOOLEAN_CHOICES
        return LooseChoiceField(choices=offered, widget=widgets.RadioSelect, **common)
    return forms.CharField(widget=_widget(field), strip=False, **common)


def _long_list(
    field: Field, options: list[tuple[str, str]], held: Iterable[str], language: str | None
) -> list[Any]:
    """Languages, countries: the common ones first, the rest by name in the reader's language."""
    assert field.codelist is not None
    return picklists.ordered(field.codelist.id, options, held=held, language=language or "en")


def _filterable() -> dict[str, str]:
    """harbour.js puts a filter box above a select that has this (the select works without)."""
    return {"data-filter": str(_("Type to filter the list"))}


def _widget(field: Field) -> forms.Widget:
    attrs: dict[str, Any] = {}
    if field.max_length:
        attrs["maxlength"] = field.max_length
    if field.type == "long_text":
        return widgets.Textarea(attrs=attrs | {"rows": 4})
    if field.type == "date":
        return widgets.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    if field.type in {"integer", "decimal"}:
        attrs = {"inputmode": "numeric" if field.type == "integer" else "decimal"}
        return widgets.TextInput(attrs=attrs)
    if field.type == "email":
        return widgets.EmailInput(attrs=attrs | {"autocomplete": "off"})
    if field.type == "phone":
        return widgets.TextInput(attrs=attrs | {"type": "tel", "autocomplete": "off"})
    return widgets.TextInput(attrs=attrs | {"autocomplete": "off"})


class DictionaryForm(forms.Form):
    """A form for some fields of one or more dictionary entities.

    Form field names are `<entity>__<field>` so one form can hold the survivor and the case.
    After `is_valid()`, `cleaned_by_entity` holds the validated values per entity.
    """

    def __init__(
        self,
        *args: Any,
        parts: list[tuple[Entity, list[Field]]],
        existing: dict[str, dict[str, Any]] | None = None,
        choices: dict[str, list[tuple[str, str]]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.version = current().latest
        self.parts = parts
        self.existing = existing or {}
        self.cleaned_by_entity: dict[str, dict[str, Any]] = {}
        for entity, fields in parts:
            held = self.existing.get(entity.id, {})
            for field in fields:
                name = f"{entity.id}__{field.id}"
                self.fields[name] = form_field(
                    field, self.version, held.get(field.id), (choices or {}).get(field.type)
                )
                self.fields[name].dictionary_field = field  # type: ignore[attr-defined]
                if field.id in held and not self.is_bound:
                    self.initial[name] = _initial(field, held[field.id])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for entity, fields in self.parts:
            raw = {f.id: _raw(f, data.get(f"{entity.id}__{f.id}")) for f in fields}
            try:
                # Every shown field is in `raw`, so an empty required one is reported; fields
                # not on this form are the action's business (it validates the whole record).
                self.cleaned_by_entity[entity.id] = validate(
                    entity,
                    raw,
                    version=self.version,
                    existing=self.existing.get(entity.id),
                    partial=True,
                )
            except InvalidInput as exc:
                self.add_invalid(entity.id, exc)
        return data

    def add_invalid(self, entity_id: str, exc: InvalidInput) -> None:
        for field_id, messages in exc.errors.items():
            name = f"{entity_id}__{field_id}"
            for message in messages:
                self.add_error(name if name in self.fields else None, str(message))

    def sections(self) -> list[dict[str, Any]]:
        """Bound fields grouped for display: core first, then each dictionary group."""
        out: list[dict[str, Any]] = []
        for entity, fields in self.parts:
            for group_id, label in [(g.id, g.label) for g in entity.groups] + [(None, None)]:
                members = [f for f in fields if f.group == group_id]
                if members:
                    out.append(
                        {
                            "entity": entity,
                            "id": f"{entity.id}-{group_id or 'other'}",
                            "label": label or entity.label,
                            "fields": [self[f"{entity.id}__{f.id}"] for f in members],
                            "has_errors": any(self[f"{entity.id}__{f.id}"].errors for f in members),
                        }
                    )
        return out


def _raw(field: Field, value: Any) -> Any:
    if field.type == "boolean":
        return {"true": True, "false": False}.get(value or "")
    if field.type == "codes":
        return list(value or [])
    return value


def _initial(field: Field, value: Any) -> Any:
    if field.type == "boolean":
        return "" if value is None else ("true" if value else "false")
    if field.type == "date" and value:
        return value.isoformat()
    if value is None:
        return ""
    return str(value) if field.type in {"staff", "organisation"} else value


def fields_of(
    entity: Entity,
    *,
    core: bool | None = None,
    group: str | None = None,
    only: Iterable[str] | None = None,
) -> list[Field]:
    """The entity's fields offered for new data, filtered."""
    version = current().latest
    fields = [f for f in entity.offered_fields(version) if not f.computed]
    if core is not None:
        fields = [f for f in fields if f.core == core]
    if group is not None:
        fields = [f for f in fields if f.group == group]
    if only is not None:
        wanted = list(only)
        fields = sorted((f for f in fields if f.id in wanted), key=lambda f: wanted.index(f.id))
    return fields


class CloseCaseForm(forms.Form):
    # On every case page (a select written in Python, as the dictionary's: issue 9, load run).
    closure_reason = forms.ChoiceField(label=_("Reason for closing"), widget=widgets.Select)
    closure_details = forms.CharField(
        label=_("Details"),
        required=False,
        widget=widgets.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = current().entity("case").field("closure_reason")
        set_choices(self, "closure_reason", [("", "—"), *_choices(field, current().latest, [])])


class SearchForm(forms.Form):
    """Find a returning survivor. Sent by POST so a name never appears in a URL or a log."""

    # On the case list and the search page (widgets written in Python: issue 9, item 5).
    name = forms.CharField(
        label=_("Name"), required=False, max_length=200, widget=widgets.TextInput
    )
    birth_date = forms.DateField(
        label=_("Birth date"), required=False, widget=widgets.DateInput(attrs={"type": "date"})
    )
    reference = forms.CharField(
        label=_("Reference"), required=False, max_length=16, widget=widgets.TextInput
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(k) for k in ("name", "birth_date", "reference")):
            raise forms.ValidationError(_("Enter a name, a birth date or a reference."))
        return data


class ScreeningForm(forms.Form):
    indicators = LooseMultipleChoiceField(
        label=_("Indicators observed"), required=False, widget=forms.CheckboxSelectMultiple
    )
    screened_on = forms.CharField(
        label=_("Date of screening"),
        required=False,
        widget=widgets.DateInput(attrs={"type": "date"}),
    )
    details = forms.CharField(
        label=_("Notes on the screening"),
        required=False,
        widget=widgets.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
