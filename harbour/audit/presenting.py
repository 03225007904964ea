"""The audit trail as the auditor's page and spreadsheet show it (used by the views only).

People and records are named as far as the auditor's organisation may see them: its own staff by
name, anyone else by role and organisation; its own cases and survivors by their (pseudonymous)
reference, any other record by its kind and a short id. Nothing here reads an identifying value.
"""

import csv
import uuid
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from harbour.accounts.models import User
from harbour.accounts.policy import Role
from harbour.audit import wording
from harbour.audit.forms import TrailFilterForm
from harbour.audit.models import AuditEvent
from harbour.audit.queries import TrailFilter, actions_of_org
from harbour.cases.models import Case, Survivor
from harbour.core.forms import uuid_or_none
from harbour.orgs.models import Organisation

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Row:
    event: AuditEvent
    who: str
    action: str
    record: str
    fields: list[str]


def rows(org_id: uuid.UUID, events: list[AuditEvent], *, named: bool = True) -> list[Row]:
    """`named=False`: nobody and no record by name or reference (for the host's operator)."""
    names = _Names(org_id if named else None, events)
    return [
        Row(
            event=e,
            who=names.person(e),
            action=wording.action_label(e.action),
            record=names.record(e),
            fields=wording.field_labels(e.action, e.fields),
        )
        for e in events
    ]


def record_ids(org_id: uuid.UUID, text: str) -> tuple[str, ...]:
    """A case or survivor reference of the user's organisation, or any record id → ids to match.
    Unknown text matches nothing (an empty result, not an error)."""
    if not text:
        return ()
    found = uuid_or_none(text)
    if found is not None:
        return (str(found),)
    ids = [
        *Case.objects.filter(org_id=org_id, reference__iexact=text).values_list("pk", flat=True),
        *Survivor.objects.filter(org_id=org_id, reference__iexact=text).values_list(
            "pk", flat=True
        ),
    ]
    return tuple(str(i) for i in ids) or ("-",)


def write_csv(
    stream: Any, org_id: uuid.UUID, events: list[AuditEvent], *, named: bool = True
) -> None:
    writer = csv.writer(stream)
    writer.writerow(
        [_("When"), _("Who"), _("Role"), _("Action"), "action", _("Record"), "record_type",
         "record_id", _("Fields"), "fields", _("Outcome")]
    )  # fmt: skip
    for row in rows(org_id, events, named=named):
        e = row.event
        cells = [
            e.occurred_at.isoformat(), row.who, _role(e.actor_role), row.action, e.action,
            row.record, e.target_type, e.target_id, ", ".join(row.fields), " ".join(e.fields),
            e.get_outcome_display(),
        ]  # fmt: skip
        writer.writerow([safe_cell(c) for c in cells])


def trail_filter(org_id: uuid.UUID, data: Any) -> tuple[TrailFilterForm, TrailFilter]:
    """The filter form (bound to `data`, a query dict, or None) and what it asks for; an invalid
    form filters nothing (its messages are shown)."""
    people = [
        (str(u.pk), u.full_name) for u in User.objects.filter(org_id=org_id).order_by("full_name")
    ]
    codes = [(c, wording.action_label(c)) for c in actions_of_org(org_id)]
    codes.sort(key=lambda c: c[1].casefold())
    form = TrailFilterForm(data or None, people=people, actions=codes)
    if not form.is_bound or not form.is_valid():
        return form, TrailFilter()
    found = form.cleaned_data
    return form, TrailFilter(
        actor_id=uuid_or_none(found.get("person")),
        action=found.get("action") or "",
        since=found.get("since"),
        until=found.get("until"),
        targets=record_ids(org_id, found["record"]),
    )


def safe_cell(value: Any) -> str:
    """A spreadsheet runs a cell starting with = + - @ (or a tab or return) as a formula."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _role(code: str) -> str:
    if code.startswith("system:"):  # a scheduled job, a command, the demo loader
        return _("Harbour (automatic)")
    return str(Role(code).label) if code in Role.values else code


class _Names:
    """Looks up, once per page, the people and records the events mention."""

    def __init__(self, org_id: uuid.UUID | None, events: list[AuditEvent]) -> None:
        self.org_id = org_id  # None: name nobody
        self.people: dict[Any, str] = {}
        self.orgs: dict[Any, str] = {}
        self.cases: dict[Any, str] = {}
        self.accounts: dict[Any, str] = {}
        self.survivors: dict[Any, str] = {}
        if org_id is not None:
            self._look_up(org_id, events)

    def _look_up(self, org_id: uuid.UUID, events: list[AuditEvent]) -> None:
        actor_ids = {e.actor_id for e in events if e.actor_id}
        people = User.objects.filter(pk__in=actor_ids, org_id=org_id)
        self.people = {u.pk: u.full_name for u in people}
        other_orgs = {e.actor_org_id for e in events if e.actor_org_id and e.actor_org_id != org_id}
        self.orgs = {o.pk: o.name for o in Organisation.objects.filter(pk__in=other_orgs)}
        mentioned = [_as_uuid(e.target_id) for e in events] + [
            _as_uuid(e.context.get("case")) for e in events if isinstance(e.context, dict)
        ]
        wanted = {m for m in mentioned if m is not None}
        for table, model, column in (
            (self.cases, Case, "reference"),
            (self.accounts, User, "full_name"),
            (self.survivors, Survivor, "reference"),
        ):
            rows = model.objects.filter(pk__in=wanted, org_id=org_id).values_list("pk", column)
            table.update(rows)

    def person(self, e: AuditEvent) -> str:
        if self.org_id is None:
            return _role(e.actor_role)
        if e.actor_id in self.people:
            return self.people[e.actor_id]
        role = _role(e.actor_role)
        org = self.orgs.get(e.actor_org_id) if e.actor_org_id else None
        return f"{role} · {org}" if org else role

    def record(self, e: AuditEvent) -> str:
        subject = wording.subject_label(wording.subject_of(e.action))
        target = _as_uuid(e.target_id)
        if target in self.cases:
            return f"{_('Case')} {self.cases[target]}"
        if target in self.survivors:
            return f"{_('Survivor')} {self.survivors[target]}"
        if target in self.accounts and e.target_type == "user":
            return f"{subject} · {self.accounts[target]}"
        case = _as_uuid(e.context.get("case")) if isinstance(e.context, dict) else None
        if case in self.cases:
            return f"{subject} · {_('Case')} {self.cases[case]}"
        return f"{subject} {e.target_id[:8]}".strip()


def _as_uuid(value: Any) -> uuid.UUID | None:
    return uuid_or_none(value) if isinstance(value, str) else None
