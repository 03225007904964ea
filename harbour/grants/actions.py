"""Every write to the grants inventory and the partner network: keyword-only arguments, an
explicit actor, one transaction, an audit event inside (field names only, never values)."""

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from harbour.audit.actions import Actor, record_event
from harbour.core.errors import Forbidden, InvalidInput
from harbour.grants import policy, values
from harbour.grants.models import (
    Award,
    Committee,
    CommitteeMember,
    DeadlineReminder,
    Funder,
    PartnerProfile,
    Program,
)
from harbour.orgs.models import Organisation


def _audit(by: Actor, action: str, record: Any, fields: Iterable[str] = (), **context: Any) -> None:
    record_event(
        by=by,
        action=f"grants.{action}",
        org_id=getattr(record, "org_id", None),
        target_type=record._meta.model_name,
        target_id=record.pk,
        fields=sorted(fields),
        context=context or None,
    )


def _require_curate(by: Any) -> None:
    if not policy.may_curate(by):
        raise Forbidden()


def _unique(model: Any, field: str, value: Any, current: Any) -> None:
    taken = model.objects.filter(**{field: value}).exclude(pk=getattr(current, "pk", None))
    if taken.exists():
        raise InvalidInput({field: [_("This code is already used by another record.")]})


def _apply(record: Any, cleaned: Mapping[str, Any]) -> list[str]:
    changed = [k for k, v in cleaned.items() if getattr(record, k, None) != v]
    for key, value in cleaned.items():
        setattr(record, key, value)
    return changed


@transaction.atomic
def save_funder(*, by: Actor, values_in: Mapping[str, Any], funder: Funder | None = None) -> Funder:
    _require_curate(by)
    cleaned = values.clean_funder(values_in)
    _unique(Funder, "short_name", cleaned["short_name"], funder)
    record = funder or Funder()
    changed = _apply(record, cleaned)
    record.save()
    _audit(by, "funder.created" if funder is None else "funder.updated", record, changed)
    return record


@transaction.atomic
def save_program(
    *, by: Actor, funder: Funder, values_in: Mapping[str, Any], program: Program | None = None
) -> Program:
    _require_curate(by)
    cleaned = values.clean_program(values_in)
    _unique(Program, "code", cleaned["code"], program)
    record = program or Program()
    changed = _apply(record, cleaned | {"funder": funder})
    record.save()
    _audit(by, "program.created" if program is None else "program.updated", record, changed)
    return record


@transaction.atomic
def save_award(
    *,
    by: Actor,
    org: Organisation,
    program: Program,
    values_in: Mapping[str, Any],
    award: Award | None = None,
) -> Award:
    if not policy.may_change_awards_of(by, org):
        raise Forbidden()
    if award is not None and award.org_id != org.pk:
        raise Forbidden()
    cleaned = values.clean_award(values_in)
    if award is None and _same_award(org, program, cleaned):
        # A double click or a re-imported file: the award is already recorded.
        raise InvalidInput({"amount": [_("This award is already recorded.")]})
    record = award or Award()
    changed = _apply(record, cleaned | {"org": org, "program": program})
    record.save()
    _audit(by, "award.created" if award is None else "award.updated", record, changed)
    return record


def _same_award(org: Organisation, program: Program, cleaned: Mapping[str, Any]) -> bool:
    return Award.objects.filter(
        org=org,
        program=program,
        amount=cleaned["amount"],
        starts_on=cleaned["starts_on"],
        purpose_en=cleaned["purpose_en"],
    ).exists()


@transaction.atomic
def delete_award(*, by: Actor, award: Award) -> None:
    if not policy.may_change_awards_of(by, award.org):
        raise Forbidden()
    _audit(by, "award.deleted", award)
    award.delete()


@transaction.atomic
def save_profile(*, by: Actor, org: Organisation, values_in: Mapping[str, Any]) -> PartnerProfile:
    """An organisation's own admins keep its entry (national coordinators may seed one)."""
    own = policy.may_edit_own(by) and getattr(by, "org_id", None) == org.pk
    if not (own or policy.may_curate(by)):
        raise Forbidden()
    cleaned = values.clean_profile(values_in)
    record = PartnerProfile.objects.select_for_update().filter(org=org).first()
    created = record is None
    record = record or PartnerProfile(org=org)
    changed = _apply(record, cleaned)
    record.save()
    # Field names only: the contact person's details never enter the audit trail.
    record_event(
        by=by,
        action="grants.profile.created" if created else "grants.profile.updated",
        org_id=org.pk,
        target_type="partnerprofile",
        target_id=record.pk,
        fields=sorted(changed),
    )
    return record


@transaction.atomic
def save_committee(
    *, by: Actor, values_in: Mapping[str, Any], committee: Committee | None = None
) -> Committee:
    _require_curate(by)
    cleaned = values.clean_committee(values_in)
    _unique(Committee, "code", cleaned["code"], committee)
    record = committee or Committee()
    changed = _apply(record, cleaned)
    record.save()
    _audit(by, "committee.created" if committee is None else "committee.updated", record, changed)
    return record


@transaction.atomic
def set_members(
    *,
    by: Actor,
    committee: Committee,
    orgs: Iterable[Organisation],
    chairs: Iterable[Organisation] = (),
) -> list[CommitteeMember]:
    """Replace the committee's members (and chairs) in one step."""
    _require_curate(by)
    wanted = {o.pk: o for o in orgs}
    chair_ids = {o.pk for o in chairs}
    if not chair_ids <= set(wanted):
        raise InvalidInput({"chairs": [_("A chair must be a member of the committee.")]})
    CommitteeMember.objects.filter(committee=committee).exclude(org_id__in=wanted).delete()
    seats = []
    for pk, org in wanted.items():
        seat, _new = CommitteeMember.objects.update_or_create(
            committee=committee, org=org, defaults={"is_chair": pk in chair_ids}
        )
        seats.append(seat)
    _audit(by, "committee.members_set", committee, ["members"], members=len(seats))
    return seats


@transaction.atomic
def send_deadline_reminders(*, by: Actor, today: dt.date, days: int = 14) -> int:
    """Each organisation hears once about each eligible program whose deadline is `days` days
    away or less; the e-mails leave after the commit. Returns the organisations reminded."""
    from harbour.grants import notify

    programs = Program.objects.select_related("funder").filter(is_active=True)
    reminded = 0
    # One event per organisation reminded, in its chain: written in the chains' order (an
    # organisation's id, ADR 35), not the organisations' names, so no transaction crosses it.
    for org in Organisation.objects.filter(is_active=True).order_by("pk"):
        due = _due(org, programs, today, days)
        if not due:
            continue
        users = notify.recipients(org.pk)
        DeadlineReminder.objects.bulk_create(
            [
                DeadlineReminder(org=org, program=p, deadline=d, recipients=len(users))
                for p, d in due
            ]
        )
        record_event(
            by=by,
            action="grants.deadlines.reminded",
            org_id=org.pk,
            target_type="organisation",
            target_id=org.pk,
            context={"programs": len(due), "recipients": len(users)},
        )
        transaction.on_commit(partial(notify.email_deadlines, users, due))
        reminded += 1
    return reminded


def _due(
    org: Organisation, programs: Any, today: dt.date, days: int
) -> list[tuple[Program, dt.date]]:
    from harbour.grants import queries

    done = set(
        DeadlineReminder.objects.filter(org=org, deadline__gte=today).values_list(
            "program_id", "deadline"
        )
    )
    out = []
    for program in queries.eligible_for(org, programs, today):
        deadline = program.window(today)[1]
        if (deadline - today).days <= days and (program.pk, deadline) not in done:
            out.append((program, deadline))
    return out
