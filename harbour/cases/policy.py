"""Who may see and do what with survivors and cases — the only way interface code gets them.

Each function answers both questions the architecture asks of a policy: "which records may this
user see?" (a queryset) and "may this user act on this record?" (a record or NotFound). Missing and
forbidden raise the same NotFound (invariant 1). Cross-organisation access is not granted here: it
is computed by the sharing domain from live consent and agreements.
"""

from typing import Any

from django.db.models import QuerySet

from harbour.accounts.policy import Perm, can
from harbour.audit.actions import refuse_read
from harbour.cases.models import Case, IntakeDraft, Survivor
from harbour.core.errors import parsed_id


def cases_for(user: Any, perm: Perm = Perm.CASE_VIEW) -> QuerySet[Case]:
    if not can(user, perm):
        return Case.objects.none()
    return Case.objects.filter(org_id=user.org_id)


def case_for(user: Any, case_id: Any, perm: Perm = Perm.CASE_VIEW) -> Case:
    pk = parsed_id(case_id)
    # `[:1]`, not `.first()`: a key finds one row, and the ORDER BY `.first()` adds would be
    # compiled on every case page and API read for nothing (issue 9).
    rows = cases_for(user, perm).select_related("survivor", "owner", "org").filter(pk=pk)[:1]
    found = next(iter(rows), None)
    if found is None:
        refuse_read(by=user, model=Case, record_id=pk)
    return found


def survivors_for(user: Any, perm: Perm = Perm.CASE_VIEW) -> QuerySet[Survivor]:
    if not can(user, perm):
        return Survivor.objects.none()
    return Survivor.objects.filter(org_id=user.org_id, erased_at__isnull=True)


def survivor_for(user: Any, survivor_id: Any, perm: Perm = Perm.CASE_VIEW) -> Survivor:
    pk = parsed_id(survivor_id)
    found = survivors_for(user, perm).filter(pk=pk).first()
    if found is None:
        refuse_read(by=user, model=Survivor, record_id=pk)
    return found


def may_see_identity(user: Any, survivor: Survivor) -> bool:
    return can(user, Perm.SURVIVOR_IDENTITY_VIEW) and survivor.org_id == user.org_id


def drafts_for(user: Any) -> QuerySet[IntakeDraft]:
    if not can(user, Perm.CASE_CREATE):
        return IntakeDraft.objects.none()
    return IntakeDraft.objects.filter(org_id=user.org_id, author=user)


def draft_for(user: Any, draft_id: Any) -> IntakeDraft:
    pk = parsed_id(draft_id)
    found = drafts_for(user).filter(pk=pk).first()
    if found is None:
        refuse_read(by=user, model=IntakeDraft, record_id=pk)
    return found


def record_for(user: Any, model: type[Any], case: Case, record_id: Any) -> Any:
    """A record (event, service, note...) of a case the user may already see."""
    found = model.objects.filter(case=case, org_id=case.org_id, pk=record_id).first()
    if found is None or found.org_id != user.org_id:
        refuse_read(by=user, model=model, record_id=record_id)
    return found


def may_own_cases(user: Any, org_id: Any) -> bool:
    """Whether `user` may be made the owner of a case of organisation `org_id`: a member of it
    who may work on cases. One rule for reassigning a case and for the owner an import names."""
    return bool(user.org_id == org_id and can(user, Perm.CASE_EDIT))


def may_give_cases_to(by: Any, owner: Any) -> bool:
    """Whether `by` may make `owner` a case's owner: themselves, or anyone if they may
    reassign cases (which `may_own_cases` then limits to their organisation's staff)."""
    return bool(owner.pk == by.pk or can(by, Perm.CASE_REASSIGN))
