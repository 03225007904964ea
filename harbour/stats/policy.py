"""Who may see and do what with statistics. Missing and forbidden both raise NotFound.

- Anyone, signed in or not: published releases (protected figures only).
- National analysts: drafts and every release, the budget and its ledger, extract requests to
  decide; the live (suppressed) preview of tables.
- Researchers: their own extract requests, and the download of an approved one.
- Organisation dashboards: the organisation's own cases, exactly (ORG_DASHBOARD).
"""

from typing import Any

from django.db.models import QuerySet

from harbour.accounts.policy import Perm, can
from harbour.core.errors import NotFound, parsed_id
from harbour.stats.models import ExtractRequest, Release
from harbour.stats.states import ExtractStatus, ReleaseStatus


def releases_visible_to(user: Any) -> QuerySet[Release]:
    if can(user, Perm.STATS_NATIONAL):
        return Release.objects.all()
    return Release.objects.filter(status=ReleaseStatus.PUBLISHED)


def release_for(user: Any, release_id: Any) -> Release:
    found = releases_visible_to(user).filter(pk=parsed_id(release_id)).first()
    if found is None:
        raise NotFound()
    return found


def published_release(release_id: Any) -> Release:
    """For downloads and the public API: a published release, or 404."""
    found = Release.objects.filter(pk=parsed_id(release_id), status=ReleaseStatus.PUBLISHED).first()
    if found is None:
        raise NotFound()
    return found


def require_analyst(user: Any) -> None:
    if not can(user, Perm.STATS_NATIONAL):
        raise NotFound()


def extracts_visible_to(user: Any) -> QuerySet[ExtractRequest]:
    if can(user, Perm.STATS_NATIONAL):
        return ExtractRequest.objects.select_related("requested_by")
    if can(user, Perm.RESEARCH_EXTRACT):
        return ExtractRequest.objects.filter(requested_by_id=user.pk)
    return ExtractRequest.objects.none()


def extract_list_for(user: Any) -> QuerySet[ExtractRequest]:
    """The requests a user may see, without their stored synthetic rows (read at download)."""
    return extracts_visible_to(user).defer("synthetic_csv")


def extract_for(user: Any, request_id: Any) -> ExtractRequest:
    found = extracts_visible_to(user).filter(pk=parsed_id(request_id)).first()
    if found is None:
        raise NotFound()
    return found


def downloadable_extract(user: Any, request_id: Any) -> ExtractRequest:
    """Only the researcher who asked, once approved."""
    found = extract_for(user, request_id)
    if found.requested_by_id != user.pk or found.status != ExtractStatus.APPROVED:
        raise NotFound()
    return found


def dashboard_org(user: Any) -> Any:
    if not can(user, Perm.ORG_DASHBOARD):
        raise NotFound()
    return user.org_id


def can_request_extracts(user: Any) -> bool:
    return can(user, Perm.RESEARCH_EXTRACT)
