"""Many new intakes in one action: the spreadsheet import's write (issue 13, ADR 45).

`start_intakes` stores exactly what `actions.start_intake` stores for each new survivor and case
(the same validation, the same sealing under a new survivor key, the same blind-index tokens,
the same `survivor.created` / `case.created` audit events with the same fields), but per batch
instead of per row: survivor keys go to the key store in one write, references are drawn and
checked for collisions in one query, records and index entries are inserted with bulk_create,
and the audit events are appended to the organisation's chain under one lock of its head. A
test compares what both paths store for the same rows.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from harbour.accounts.models import User
from harbour.accounts.policy import Perm
from harbour.audit.actions import EventSpec, lock_chain, record_events
from harbour.cases.actions import (
    _require,
    check_intake,
    index_entries,
    new_references,
    validate,
)
from harbour.cases.models import Case, CaseStatus, Survivor, SurvivorIndexEntry
from harbour.cases.policy import may_give_cases_to, may_own_cases
from harbour.cases.values import apply_values, read_values
from harbour.core.errors import InvalidInput
from harbour.linkage.actions import new_blocks, new_encodings
from harbour.linkage.models import EncodingBlock, SurvivorEncoding
from harbour.orgs import crypto
from harbour.standard.dictionary import current

# At most this many intakes per call: their survivor keys stay opened in crypto's cache.
MAX_BATCH = 1000


@dataclass
class Intake:
    survivor: dict[str, Any]
    case: dict[str, Any]
    key: str | None = None  # the submission key: the same intake twice makes one case
    # A past case's status and closure (status, closure_reason, closure_details), as an import
    # of an organisation's history carries them; a new intake is active.
    status: dict[str, Any] = field(default_factory=dict)
    # The case's owner (a user id) when a file names one (HTCDS cas_CaseOwner); else `by`.
    owner: Any = None


CLOSED = (CaseStatus.CLOSED, CaseStatus.CLOSED_REFERRED)


def check_imported_status(values: dict[str, Any]) -> dict[str, Any]:
    """An imported case's status and closure, checked by the dictionary (codes) and the rule
    of closing (a closed case says why; an open one has no reason for closure)."""
    if not values:
        return {}
    cleaned = validate(current().entity("case"), values, version=current().latest, partial=True)
    status = cleaned.get("status") or CaseStatus.ACTIVE
    reason, details = cleaned.get("closure_reason"), cleaned.get("closure_details")
    if status in CLOSED and not reason:
        raise InvalidInput({"closure_reason": [_("A closed case needs the reason it was closed.")]})
    if status not in CLOSED and (reason or details):
        field_id = "closure_reason" if reason else "closure_details"
        raise InvalidInput({field_id: [_("Only a closed case has a reason for closure.")]})
    return cleaned | {"status": status}


class IntakeRejected(InvalidInput):
    """One intake of the batch failed validation; `index` says which (nothing was written)."""

    def __init__(self, index: int, errors: dict[str, list[Any]]) -> None:
        super().__init__(errors)
        self.index = index


@transaction.atomic
def start_intakes(*, by: User, intakes: list[Intake]) -> tuple[int, int]:
    """Record new survivors and their cases, all or none. Returns (created, already there):
    an intake whose submission key is already a case of the organisation is skipped."""
    _require(by, Perm.CASE_CREATE)
    if len(intakes) > MAX_BATCH:
        raise ValueError(f"at most {MAX_BATCH} intakes per call")
    lock_chain(by.org_id)  # a concurrent import of the same file waits, then finds its keys
    known = _known_keys(by.org_id, [i.key for i in intakes if i.key])
    owners = _possible_owners(by, {i.owner for i in intakes if i.owner is not None})
    fresh: list[tuple[dict, dict, str | None]] = []
    for index, intake in enumerate(intakes):
        if intake.key and intake.key in known:
            continue
        try:
            s_clean, c_clean = check_intake(
                survivor_values=intake.survivor, case_values=intake.case
            )
            status = check_imported_status(intake.status)
        except InvalidInput as exc:
            raise IntakeRejected(index, exc.errors) from None
        if status.get("status", CaseStatus.ACTIVE) != CaseStatus.ACTIVE:
            _require(by, Perm.CASE_EDIT)  # what moving a case on or closing it asks
        if intake.owner is not None and intake.owner not in owners:
            raise IntakeRejected(index, {"owner": [_("Choose a caseworker of this organisation.")]})
        owner = {"owner": intake.owner} if intake.owner is not None else {}
        fresh.append((s_clean, c_clean | status | owner, intake.key))
        if intake.key:
            known.add(intake.key)  # the same key twice in one batch: one case
    if fresh:
        _write(by, fresh)
    return len(fresh), len(intakes) - len(fresh)


def _possible_owners(by: User, wanted: set[Any]) -> set[Any]:
    """Of the owners the intakes name, those `reassign` would accept from `by`: active members
    of by's organisation who may edit cases (someone else only if by may reassign cases)."""
    if not wanted:
        return set()
    users = User.objects.filter(pk__in=wanted, org_id=by.org_id, is_active=True)
    return {u.pk for u in users if may_own_cases(u, by.org_id) and may_give_cases_to(by, u)}


def _known_keys(org_id: Any, keys: list[str]) -> set[str]:
    found = Case.objects.filter(org_id=org_id, submission_key__in=keys)
    return {k for k in found.values_list("submission_key", flat=True) if k}


def _write(by: User, fresh: list[tuple[dict, dict, str | None]]) -> None:
    version = str(current().latest)
    s_refs = new_references(Survivor, by.org_id, "S-", len(fresh))
    c_refs = new_references(Case, by.org_id, "C-", len(fresh))
    survivors = [
        Survivor(org_id=by.org_id, reference=ref, standard_version=version, created_by=by)
        for ref in s_refs
    ]
    crypto.make_subject_keys(by.org_id, [s.pk for s in survivors])
    cases, entries, events = [], [], []
    identities: list[tuple[Survivor, dict[str, Any]]] = []
    for survivor, (s_clean, c_clean, key), ref in zip(survivors, fresh, c_refs, strict=True):
        s_changed = apply_values(survivor, s_clean)
        values = read_values(survivor, with_identity=True)  # decrypted once, for both
        identities.append((survivor, values))
        entries += index_entries(survivor, values)
        case = Case(
            org_id=by.org_id,
            survivor=survivor,
            reference=ref,
            standard_version=version,
            created_by=by,
            owner=by,
            submission_key=key or None,
            previous_case=None,  # a new survivor has no earlier episode
        )
        c_changed = apply_values(case, {"status": CaseStatus.ACTIVE, "owner": by.pk} | c_clean)
        if case.status in CLOSED:
            case.closed_at = timezone.now()
        cases.append(case)
        events += [
            EventSpec("survivor.created", "survivor", survivor.pk, s_changed),
            EventSpec("case.created", "case", case.pk, c_changed),
        ]
    Survivor.objects.bulk_create(survivors)
    SurvivorIndexEntry.objects.bulk_create(entries)
    # As the single intake does (cases.actions._reindex): the linkage encoding, made here.
    encodings = SurvivorEncoding.objects.bulk_create(new_encodings(identities))
    EncodingBlock.objects.bulk_create(new_blocks(encodings), batch_size=2000)
    Case.objects.bulk_create(cases)
    record_events(by=by, org_id=by.org_id, events=events)
