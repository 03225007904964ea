"""Who may see and do what with survivors and cases — the only way interface code gets them.

Each function answers both questions the architecture asks of a policy: "which records may this
user see?" (a queryset) and "may this user act on this record?" (a record or NotFound). Missing and
forbidden raise the same NotFound (invariant 1). Cross-organisation access is not granted here: it
is computed by the sharing domain from live consent and agreements.
"""

from typing import Any

from django.db.models import QuerySet

from harbour.accounts.policy import Perm, can
from harbour.cases.models import Case, IntakeDraft, Survivor
from harbour.core.errors import NotFound, parsed_id


def cases_for(user: Any, perm: Perm = Perm.CASE_VIEW) -> QuerySet[Case]:
    if not can(user, perm):
        return Case.objects.none()
    return Case.objects.filter(org_id=user.org_id)


def case_for(user: Any, case_id: Any, perm: Perm = Perm.CASE_VIEW) -> Case:
    case = (
        cases_for(user, perm)
        .select_related("survivor", "owner", "org")
        .filter(pk=parsed_id(case_id))
    )
    found = case.first()
    if found is None:
        raise NotFound()
    return found


def survivors_for(user: Any, perm: Perm = Perm.CASE_VIEW) -> QuerySet[Survivor]:
    if not can(user, perm):
        return Survivor.objects.none()
    return Survivor.objects.filter(org_id=user.org_id, erased_at__isnull=True)


def survivor_for(user: Any, survivor_id: Any, perm: Perm = Perm.CASE_VIEW) -> Survivor:
    found = survivors_for(user, perm).filter(pk=parsed_id(survivor_id)).first()
    if found is None:
        raise NotFound()
    return found


def may_see_identity(user: Any, survivor: Survivor) -> bool:
    return can(user, Perm.SURVIVOR_IDENTITY_VIEW) and survivor.org_id == user.org_id


def drafts_for(user: Any) -> QuerySet[IntakeDraft]:
    if not can(user, Perm.CASE_CREATE):
        return IntakeDraft.objects.none()
    return IntakeDraft.objects.filter(org_id=user.org_id, author=user)


def draft_for(user: Any, draft_id: Any) -> IntakeDraft:
    found = drafts_for(user).filter(pk=parsed_id(draft_id)).first()
    if found is None:
        raise NotFound()
    return found


def record_for(user: Any, model: type[Any], case: Case, record_id: Any) -> Any:
    """A record (event, service, note...) of a case the user may already see."""
    found = model.objects.filter(case=case, org_id=case.org_id, pk=record_id).first()
    if found is None or found.org_id != user.org_id:
        raise NotFound()
    return found
