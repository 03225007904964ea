"""Every write to survivors and cases. Keyword-only, an explicit actor, one transaction, audited."""

import datetime as dt
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from harbour.accounts.models import User
from harbour.accounts.policy import Perm, can
from harbour.audit.actions import Actor, EventSpec, lock_chains, record_event, record_events
from harbour.cases import policy, states
from harbour.cases.immigration import steps as immigration
from harbour.cases.models import (
    Case,
    CaseNote,
    CaseStatus,
    IntakeDraft,
    Screening,
    Survivor,
    SurvivorIndexEntry,
)
from harbour.cases.values import apply_values, entity_of, read_values, sealed_shown
from harbour.core import tenancy
from harbour.core.errors import Conflict, Forbidden, InvalidInput
from harbour.orgs import crypto
from harbour.orgs.models import Organisation
from harbour.standard import delphi
from harbour.standard.dictionary import current
from harbour.standard.validation import validate as validate_values

_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U


def _new_reference(model: type[Survivor] | type[Case], org_id: Any, prefix: str) -> str:
    return new_references(model, org_id, prefix, 1)[0]


def new_references(model: type[Survivor] | type[Case], org_id: Any, prefix: str, n: int) -> list:
    """n references unused in the organisation and distinct from each other, with one query
    per round of draws (a bulk import asks for a thousand at once)."""
    chosen: set[str] = set()
    while len(chosen) < n:
        draws = {
            prefix + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(7))
            for _ in range(n - len(chosen))
        }
        taken = model.objects.filter(org_id=org_id, reference__in=draws - chosen)
        chosen |= draws - set(taken.values_list("reference", flat=True))
    return list(chosen)


def validate(entity: Any, values: dict[str, Any], **options: Any) -> dict[str, Any]:
    """The dictionary's validation, then what only the database knows: every organisation or
    staff member a value refers to exists (an unknown id is a clear error, not a crash)."""
    cleaned = validate_values(entity, values, **options)
    errors: dict[str, list[Any]] = {}
    for f in entity.fields:
        wanted = cleaned.get(f.id)
        if not wanted or f.type not in _REFERENCES:
            continue
        model, message = _REFERENCES[f.type]
        if not model.objects.filter(pk=wanted, is_active=True).exists():
            errors[f.id] = [message]
    if errors:
        raise InvalidInput(errors)
    return cleaned


_REFERENCES: dict[str, tuple[Any, Any]] = {
    "organisation": (Organisation, _("Choose one of Harbour's active organisations.")),
    "staff": (User, _("Choose an active member of staff.")),
}


def _require(by: Any, perm: Perm) -> None:
    if not can(by, perm):
        raise Forbidden()


def _event(action: str, record: Any, fields: Any = ()) -> EventSpec:
    """What `_audit` appends, for `record_events` (several events of one record's chain)."""
    return EventSpec(action, record._meta.model_name, record.pk, tuple(fields))


def _audit(by: Actor, action: str, record: Any, fields: Any = (), **context: Any) -> None:
    record_event(
        by=by,
        action=action,
        org_id=record.org_id,
        target_type=record._meta.model_name,
        target_id=record.pk,
        fields=fields,
        context=context or None,
    )


# --- intake -----------------------------------------------------------------------------------


@transaction.atomic
def start_intake(
    *,
    by: User,
    survivor_values: dict[str, Any],
    case_values: dict[str, Any],
    submission_key: str | None = None,
    survivor: Survivor | None = None,
) -> tuple[Case, bool]:
    """Record a new episode: a new survivor (or a returning one of this organisation) and a case.

    Returns (case, created). A repeated submission (same key) returns the first case unchanged,
    so a double click or a retried request never makes a second case.
    """
    _require(by, Perm.CASE_CREATE)
    if submission_key:
        earlier = Case.objects.filter(org_id=by.org_id, submission_key=submission_key).first()
        if earlier is not None:
            return earlier, False
    _refuse_protected(case_values)
    version = current().latest
    s_clean = _validate_survivor(survivor_values, version, survivor)
    c_clean = validate(current().entity("case"), case_values, version=version)
    _check_intake_rules(s_clean, c_clean, survivor)
    try:
        with transaction.atomic():
            case = _create_case(by, s_clean, c_clean, version, submission_key, survivor)
    except IntegrityError:
        # Two identical submissions raced; the other one won. Return it.
        earlier = Case.objects.filter(org_id=by.org_id, submission_key=submission_key).first()
        if earlier is None:
            raise
        return earlier, False
    return case, True


def check_intake(
    *, survivor_values: dict[str, Any], case_values: dict[str, Any]
) -> tuple[dict, dict]:
    """Every check `start_intake` makes for a new survivor, writing nothing; survivor and case
    problems are reported together (bulk imports validate every row before writing any)."""
    version = current().latest
    errors: dict[str, list[Any]] = {}
    s_clean: dict[str, Any] = {}
    c_clean: dict[str, Any] = {}
    try:
        _refuse_protected(case_values)
        c_clean = validate(current().entity("case"), case_values, version=version)
    except InvalidInput as exc:
        errors |= exc.errors
    try:
        s_clean = _validate_survivor(survivor_values, version, None)
    except InvalidInput as exc:
        errors |= exc.errors
    if errors:
        raise InvalidInput(errors)
    _check_intake_rules(s_clean, c_clean, None)
    return s_clean, c_clean


# A case's status, owner and closure change only through their own actions (states.py, reassign).
PROTECTED_CASE_FIELDS = ("status", "owner", "closure_reason", "closure_details")


def _refuse_protected(values: dict[str, Any]) -> None:
    found = [name for name in PROTECTED_CASE_FIELDS if name in values]
    if found:
        raise InvalidInput(
            {name: [_("Use the dedicated action to change this.")] for name in found}
        )


def _validate_survivor(values: dict[str, Any], version: Any, survivor: Survivor | None) -> dict:
    entity = current().entity("survivor")
    if survivor is None:
        return validate(entity, values, version=version)
    existing = read_values(survivor, with_identity=True)
    return validate(entity, values, version=version, existing=existing, partial=True)


def _create_case(
    by: User, s_clean: dict, c_clean: dict, version: Any, key: str | None, survivor: Survivor | None
) -> Case:
    created: EventSpec | None = None
    if survivor is None:
        survivor = Survivor(
            org_id=by.org_id,
            reference=_new_reference(Survivor, by.org_id, "S-"),
            standard_version=str(version),
            created_by=by,
        )
        changed = apply_values(survivor, s_clean)
        survivor.save()
        # Appended with the case's event, below: one lock of the chain's head for both, and
        # held from there to the commit only, not while the survivor is indexed and encoded.
        created = _event("survivor.created", survivor, changed)
        _reindex(survivor, new=True)
        earlier = None  # a new survivor has no episode yet
    else:
        if not _update_survivor_values(by, survivor, s_clean):  # a change re-indexes already
            _reindex(survivor)
        # A returning survivor's new episode follows their latest one (the continuum reads it).
        earlier = (
            Case.objects.filter(survivor=survivor).order_by("-intake_date", "-created_at").first()
        )
    case = Case(
        org_id=by.org_id,
        survivor=survivor,
        reference=_new_reference(Case, by.org_id, "C-"),
        standard_version=str(version),
        created_by=by,
        owner=by,
        submission_key=key or None,
        previous_case=earlier,
    )
    changed = apply_values(case, c_clean | {"owner": by.pk, "status": CaseStatus.ACTIVE})
    case.save()
    events = [_event("case.created", case, changed)]
    record_events(by=by, org_id=case.org_id, events=[created, *events] if created else events)
    return case


def _check_intake_rules(s_clean: dict, c_clean: dict, survivor: Survivor | None) -> None:
    errors: dict[str, list[Any]] = {}
    intake = c_clean.get("intake_date")
    birth = s_clean.get("birth_date")
    if intake and birth and birth > intake:
        errors["birth_date"] = [_("The birth date cannot be after the intake date.")]
    age = _age_at(birth, intake) if birth and intake else s_clean.get("estimated_age")
    trafficked = c_clean.get("age_when_trafficked")
    if age is not None and trafficked is not None and trafficked > age:
        errors["age_when_trafficked"] = [
            _("The age when trafficked cannot be more than the survivor's age at intake.")
        ]
    if (
        c_clean.get("consent_to_record") is False
        and survivor is None
        and sealed_shown("survivor", s_clean)
    ):
        errors["consent_to_record"] = [
            _(
                "Without the survivor's agreement to be recorded, leave names and contact "
                "details empty: the case is then recorded anonymously."
            )
        ]
    if errors:
        raise InvalidInput(errors)


def _age_at(birth: dt.date, when: dt.date) -> int:
    return when.year - birth.year - ((when.month, when.day) < (birth.month, birth.day))


def _reindex(survivor: Survivor, *, new: bool = False) -> None:
    """Refresh the blind-index tokens that let staff find this survivor again, and the
    survivor's record-linkage encoding (made here, inside the organisation, ADR 41). `new`: the
    survivor was saved just now, in this transaction, so has neither yet (nothing to delete)."""
    from harbour.linkage.actions import refresh_encoding

    if not new:
        SurvivorIndexEntry.objects.filter(survivor=survivor).delete()
    values = read_values(survivor, with_identity=True)  # decrypted once, for both
    SurvivorIndexEntry.objects.bulk_create(index_entries(survivor, values))
    refresh_encoding(survivor, values, new=new)


def index_entries(survivor: Survivor, values: dict[str, Any]) -> list[SurvivorIndexEntry]:
    """The blind-index rows of a survivor's identity (unsaved)."""
    tokens = search_tokens(survivor.org_id, values)
    return [SurvivorIndexEntry(org_id=survivor.org_id, survivor=survivor, token=t) for t in tokens]


def search_tokens(org_id: Any, values: dict[str, Any]) -> set[str]:
    words: set[str] = set()
    for name in ("given_name", "family_name", "preferred_name"):
        words.update(crypto.normalise(values.get(name) or "").split())
    tokens = {crypto.blind_index(org_id, "name", w) for w in words}
    if values.get("birth_date"):
        tokens.add(crypto.blind_index(org_id, "birth_date", str(values["birth_date"])))
    return tokens


# --- updates ----------------------------------------------------------------------------------


@transaction.atomic
def update_survivor(*, by: User, survivor: Survivor, values: dict[str, Any]) -> list[str]:
    _require(by, Perm.CASE_EDIT)
    existing = read_values(survivor, with_identity=True)
    version = current().latest
    cleaned = validate(
        current().entity("survivor"), values, version=version, existing=existing, partial=True
    )
    return _update_survivor_values(by, survivor, cleaned)


def _update_survivor_values(by: User, survivor: Survivor, cleaned: dict) -> list[str]:
    changed = apply_values(survivor, cleaned)
    if changed:
        survivor.standard_version = str(current().latest)
        survivor.save()
        _reindex(survivor)
        _audit(by, "survivor.updated", survivor, changed)
    return changed


@transaction.atomic
def update_case(*, by: User, case: Case, values: dict[str, Any]) -> list[str]:
    """Change case fields; status and owner change only through their own actions."""
    _require(by, Perm.CASE_EDIT)
    _refuse_protected(values)
    existing = read_values(case, with_identity=True)
    cleaned = validate(
        current().entity("case"),
        values,
        version=current().latest,
        existing=existing,
        partial=True,
    )
    changed = apply_values(case, cleaned)
    if changed:
        case.standard_version = str(current().latest)
        case.save()
        _audit(by, "case.updated", case, changed)
    return changed


@transaction.atomic
def change_status(
    *,
    by: User,
    case: Case,
    transition: str,
    closure_reason: str | None = None,
    closure_details: str | None = None,
    reason: str | None = None,
) -> Case:
    case = Case.objects.select_for_update().get(pk=case.pk)
    step = states.transition(case.status, transition)
    if step is None:
        raise Conflict(_("This change of status is not possible from the case's current status."))
    _require(by, step.perm)
    if step.needs_reason and not (reason or "").strip():
        raise InvalidInput({"reason": [_("Say why the case is being reopened.")]})
    values: dict[str, Any] = {"status": step.target}
    if step.needs_closure_reason:
        if not closure_reason:
            raise InvalidInput({"closure_reason": [_("Choose why the case is being closed.")]})
        values |= {"closure_reason": closure_reason, "closure_details": closure_details or None}
    cleaned = _validate_status_values(case, values)
    apply_values(case, cleaned)
    case.closed_at = timezone.now() if step.target in {CaseStatus.CLOSED} else None
    case.save()
    _audit(by, f"case.{step.name}", case, list(cleaned), **{"from": step.source, "to": step.target})
    if step.needs_reason:
        # The reason is free text (it may name people): sealed in a note, never in the audit.
        body = _("Reason for reopening: %(reason)s") % {"reason": (reason or "").strip()}
        _write_record(by, case, CaseNote, {"body": body})
    return case


def _validate_status_values(case: Case, values: dict[str, Any]) -> dict[str, Any]:
    status = values.pop("status")
    cleaned = validate(
        current().entity("case"),
        values,
        version=current().latest,
        existing=read_values(case, with_identity=False),
        partial=True,
    )
    return cleaned | {"status": status}


@transaction.atomic
def close_as_referred(*, by: Actor, case: Case) -> Case:
    """Close a case whose survivor was transferred (HTCDS ClosedReferred). Only the sharing domain
    calls this, when the receiving organisation accepts the transfer."""
    # The receiver's request closes the sender's case: that organisation's row, written as it
    # (ADR 40); under row-level security the receiver's scope may read it, not lock or write it.
    with tenancy.as_organisation(case.org_id, "transfer accepted: the sender's case closed"):
        case = Case.objects.select_for_update().get(pk=case.pk)
        if not case.is_open:
            raise Conflict(_("Only an open case can be transferred."))
        source = case.status
        case.status, case.closed_at = CaseStatus.CLOSED_REFERRED, timezone.now()
        case.save(update_fields=["status", "closed_at", "updated_at"])
    _audit(by, "case.closed_referred", case, ["status"], **{"from": source, "to": case.status})
    return case


@transaction.atomic
def reassign(*, by: User, case: Case, owner: User) -> Case:
    _require(by, Perm.CASE_REASSIGN)
    if not policy.may_own_cases(owner, case.org_id):
        raise InvalidInput({"owner": [_("Choose a caseworker of this organisation.")]})
    case.owner = owner
    case.save(update_fields=["owner", "updated_at"])
    _audit(by, "case.reassigned", case, ["owner"])
    return case


# --- records inside a case --------------------------------------------------------------------


@transaction.atomic
def add_record(*, by: User, case: Case, model: type[Any], values: dict[str, Any]) -> Any:
    """Add an event, service, support plan, follow-up or note to a case."""
    _require(by, Perm.CASE_EDIT)
    return _write_record(by, case, model, values)


def _write_record(by: User, case: Case, model: type[Any], values: dict[str, Any]) -> Any:
    entity = entity_of(model)
    cleaned = validate(entity, values, version=current().latest)
    _check_record_rules(case, entity.id, cleaned, None)
    record = model(
        org_id=case.org_id, case=case, created_by=by, standard_version=str(current().latest)
    )
    changed = apply_values(record, cleaned)
    record.save()
    _audit(by, f"{entity.id}.created", record, changed, case=str(case.pk))
    return record


@transaction.atomic
def update_record(*, by: User, record: Any, values: dict[str, Any]) -> list[str]:
    _require(by, Perm.CASE_EDIT)
    entity = entity_of(record)
    if entity.id == "case_note":
        raise Conflict(_("Notes cannot be changed once written; add a new note instead."))
    existing = read_values(record, with_identity=True)
    cleaned = validate(entity, values, version=current().latest, existing=existing, partial=True)
    _check_record_rules(record.case, entity.id, existing | cleaned, record)
    changed = apply_values(record, cleaned)
    if changed:
        record.standard_version = str(current().latest)
        record.save()
        _audit(by, f"{entity.id}.updated", record, changed, case=str(record.case_id))
    return changed


def _check_record_rules(case: Case, entity_id: str, values: dict[str, Any], record: Any) -> None:
    errors: dict[str, list[Any]] = {}
    if entity_id == "immigration_step":
        errors |= _immigration_errors(case, values, record)
    if entity_id == "support_plan":
        start, end = case.intake_date, values.get("actual_end_date")
        if end and end < start:
            errors["actual_end_date"] = [_("The end date cannot be before the intake date.")]
    if entity_id == "follow_up":
        when, nxt = values.get("follow_up_date"), values.get("next_follow_up_date")
        if when and nxt and nxt < when:
            errors["next_follow_up_date"] = [_("The next follow-up must come after this one.")]
    staff = values.get("provided_by") if entity_id == "service_provided" else None
    if staff and not User.objects.filter(pk=staff, org_id=case.org_id).exists():
        errors["provided_by"] = [_("Choose a member of staff of this organisation.")]
    if errors:
        raise InvalidInput(errors)


def _immigration_errors(case: Case, values: dict[str, Any], record: Any) -> dict[str, list[Any]]:
    """The step must be complete in itself and follow from the survivor's other steps (in date
    order, whichever case they were recorded in). The survivor's row is locked so two steps
    recorded at once are checked one after the other."""
    from harbour.cases import queries

    Survivor.objects.select_for_update().filter(pk=case.survivor_id).first()
    records = [r for r in queries.immigration_records(case.survivor) if r != record]
    others = queries.immigration_steps(records)
    order = len(others) if record is None else _order_of(record, records)
    step = immigration.from_values(values, key=getattr(record, "pk", None), order=order)
    errors = immigration.field_errors(step)
    if errors:
        return errors
    labels = {c.code: str(c.label) for c in current().codelists["immigration_step_type"].codes}
    wrong = immigration.sequence_errors([*others, step], labels)
    return {"step": [e.message for e in wrong]} if wrong else {}


def _order_of(record: Any, others: list[Any]) -> float:
    """Where an edited step stands among the others in recording order (just before the first
    one recorded after it)."""
    return sum(1 for r in others if r.created_at <= record.created_at) - 0.5


# --- screening --------------------------------------------------------------------------------


@transaction.atomic
def screen(
    *,
    by: User,
    case: Case,
    indicator_set: str,
    indicators: list[str],
    screened_on: Any = None,
    details: str | None = None,
) -> Screening:
    """Evaluate the ILO/EC indicators and store the result with the catalogue version."""
    _require(by, Perm.CASE_EDIT)
    values = {
        "indicator_set": indicator_set,
        "indicators": indicators,
        "screened_on": screened_on or timezone.localdate(),
        "details": details,
    }
    cleaned = validate(current().entity("screening"), values, version=current().latest)
    catalogue = delphi.load_catalogue()
    chosen = catalogue.get_set(cleaned["indicator_set"])
    outside = set(cleaned["indicators"]) - chosen.indicator_ids
    if outside:
        raise InvalidInput({"indicators": [_("Some indicators do not belong to the chosen list.")]})
    assessment = delphi.evaluate(chosen, cleaned["indicators"])
    screening = Screening(
        org_id=case.org_id,
        case=case,
        created_by=by,
        standard_version=str(current().latest),
        result=assessment.to_dict(),
        catalogue_version=catalogue.version,
        indicators_met=assessment.indicators_met,
    )
    apply_values(screening, cleaned)
    screening.save()
    _audit(by, "screening.created", screening, list(cleaned), case=str(case.pk))
    return screening


# --- drafts -----------------------------------------------------------------------------------


@transaction.atomic
def save_draft(
    *,
    by: User,
    data: dict[str, Any],
    draft: IntakeDraft | None = None,
    survivor: Survivor | None = None,
) -> IntakeDraft:
    """Keep an unfinished intake (everything sealed) so a caseworker can come back to it."""
    _require(by, Perm.CASE_CREATE)
    if draft is None:
        draft = IntakeDraft(org_id=by.org_id, author=by, survivor=survivor)
    clean = {k: v for k, v in data.items() if isinstance(k, str) and len(k) <= 80}
    draft.sealed = crypto.seal_record(draft, {"data": clean})
    draft.save()
    _audit(by, "intake_draft.saved", draft)
    return draft


def draft_data(draft: IntakeDraft) -> dict[str, Any]:
    data: dict[str, Any] = crypto.open_record(draft).get("data", {})
    return data


@transaction.atomic
def discard_draft(*, by: User, draft: IntakeDraft) -> None:
    _audit(by, "intake_draft.discarded", draft)
    draft.delete()


# --- reads of identifying data ----------------------------------------------------------------


def record_identity_read(*, by: User, record: Any, fields: list[str], purpose: str) -> None:
    """Every read of identifying data leaves a trace (which fields, never their values).
    Nothing is written when nothing identifying was shown."""
    record_identity_reads(by=by, reads=[(record, fields)], purpose=purpose)


@transaction.atomic
def record_identity_reads(*, by: User, reads: list[tuple[Any, list[str]]], purpose: str) -> None:
    """One page's reads of several records (the case page: the survivor and the case): the
    same events as `record_identity_read` for each, in order, appended under
    one lock of each chain's head in one transaction instead of one transaction each (issue 9:
    the most visited page's audit writes, half the round trips and commits)."""
    by_chain: dict[Any, list[EventSpec]] = {}
    for record, fields in reads:
        if fields:
            by_chain.setdefault(record.org_id, []).append(
                EventSpec(
                    action=f"{record._meta.model_name}.identity_viewed",
                    target_type=record._meta.model_name,
                    target_id=record.pk,
                    fields=tuple(fields),
                    context={"purpose": purpose},
                )
            )
    if len(by_chain) > 1:  # records of several organisations: their chains in one order (ADR 35)
        lock_chains(by_chain)
    for org_id, events in by_chain.items():
        record_events(by=by, org_id=org_id, events=events)


def organisation_choices() -> list[Organisation]:
    return list(Organisation.objects.filter(is_active=True).order_by("name_en"))
