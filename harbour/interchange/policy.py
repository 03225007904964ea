"""Who may bring files in and take data out, and which import jobs they may see.

Imports and exports are a supervisor's work (Perm.CASE_IMPORT, Perm.CASE_EXPORT). Identifying
fields leave only with Perm.SURVIVOR_IDENTITY_VIEW as well, and only from one's own
organisation; jobs are visible to their organisation's importers. Missing and forbidden both 404.
"""

from typing import Any

from django.db.models import QuerySet

from harbour.accounts.policy import Perm, can
from harbour.core.errors import NotFound, parsed_id
from harbour.interchange.models import ImportJob


def may_import(user: Any) -> bool:
    return can(user, Perm.CASE_IMPORT) and can(user, Perm.CASE_CREATE)


def may_set_status(user: Any) -> bool:
    """An imported case may start other than active (follow-up, closed) only for someone who
    may move a case on or close it."""
    return can(user, Perm.CASE_EDIT)


def owners_for(importer: Any) -> dict[str, Any]:
    """Whom an import may make a case's owner, by e-mail address (case-folded) → user id: the
    importer's active colleagues who may work on cases (what `cases.actions.reassign` asks of
    an owner), and only if the importer may reassign cases; otherwise only the importer."""
    from harbour.accounts.models import User
    from harbour.cases.policy import may_give_cases_to, may_own_cases

    staff = User.objects.filter(org_id=importer.org_id, is_active=True)
    if not can(importer, Perm.CASE_REASSIGN):
        staff = staff.filter(pk=importer.pk)
    return {
        u.email.casefold(): u.pk
        for u in staff
        if may_own_cases(u, importer.org_id) and may_give_cases_to(importer, u)
    }


def may_export(user: Any) -> bool:
    return can(user, Perm.CASE_EXPORT)


def may_export_identity(user: Any) -> bool:
    return may_export(user) and can(user, Perm.SURVIVOR_IDENTITY_VIEW)


def jobs_for(user: Any) -> QuerySet[ImportJob]:
    if not may_import(user):
        return ImportJob.objects.none()
    return ImportJob.objects.filter(org_id=user.org_id)


def job_for(user: Any, job_id: Any) -> ImportJob:
    found = jobs_for(user).filter(pk=parsed_id(job_id)).first()
    if found is None:
        raise NotFound()
    return found
