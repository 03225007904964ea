"""Who may see and change what in the grants inventory and the partner network.

Any signed-in person browses (funding data is public by nature, partner profiles are for
partners). National coordinators (`grants.curate`) keep funders, programs, committees and any
award; an organisation's admins (`partners.edit_own`) keep their own profile and awards.
Missing and forbidden both answer NotFound.
"""

from typing import Any

from django.db.models import QuerySet

from harbour.accounts.policy import Perm, can
from harbour.core.errors import NotFound, parsed_id
from harbour.grants.models import Award, Committee, Funder, PartnerProfile, Program
from harbour.orgs.models import Organisation


def may_browse(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def may_curate(user: Any) -> bool:
    return can(user, Perm.GRANTS_CURATE) or _is_system(user)


def may_edit_own(user: Any) -> bool:
    return can(user, Perm.PARTNERS_EDIT_OWN)


def _is_system(user: Any) -> bool:
    return str(getattr(user, "role", "")).startswith("system:")


def _require_browse(user: Any) -> None:
    if not (may_browse(user) or _is_system(user)):
        raise NotFound()


def programs_visible(user: Any) -> QuerySet[Program]:
    """Curators also see programs they retired; everyone else only active ones."""
    if not (may_browse(user) or _is_system(user)):
        return Program.objects.none()
    found = Program.objects.select_related("funder")
    return found if may_curate(user) else found.filter(is_active=True)


def program_for(user: Any, program_id: Any) -> Program:
    found = programs_visible(user).filter(pk=parsed_id(program_id)).first()
    if found is None:
        raise NotFound()
    return found


def program_to_curate(user: Any, program_id: Any) -> Program:
    if not may_curate(user):
        raise NotFound()
    return program_for(user, program_id)


def funders_visible(user: Any) -> QuerySet[Funder]:
    if not (may_browse(user) or _is_system(user)):
        return Funder.objects.none()
    return Funder.objects.all()


def funder_for(user: Any, funder_id: Any) -> Funder:
    found = funders_visible(user).filter(pk=parsed_id(funder_id)).first()
    if found is None:
        raise NotFound()
    return found


def funder_to_curate(user: Any, funder_id: Any) -> Funder:
    if not may_curate(user):
        raise NotFound()
    return funder_for(user, funder_id)


def awards_visible(user: Any) -> QuerySet[Award]:
    if not (may_browse(user) or _is_system(user)):
        return Award.objects.none()
    return Award.objects.select_related("program", "program__funder", "org")


def award_to_edit(user: Any, award_id: Any) -> Award:
    found = awards_visible(user).filter(pk=parsed_id(award_id)).first()
    if found is None or not may_change_awards_of(user, found.org):
        raise NotFound()
    return found


def may_change_awards_of(user: Any, org: Organisation) -> bool:
    return may_curate(user) or (may_edit_own(user) and user.org_id == org.pk)


def award_orgs_for(user: Any) -> QuerySet[Organisation]:
    """Organisations whose awards this person may record."""
    if may_curate(user):
        return Organisation.objects.filter(is_active=True)
    if may_edit_own(user):
        return Organisation.objects.filter(pk=user.org_id)
    return Organisation.objects.none()


def partners_visible(user: Any) -> QuerySet[Organisation]:
    if not (may_browse(user) or _is_system(user)):
        return Organisation.objects.none()
    return Organisation.objects.filter(is_active=True).select_related("partner_profile")


def partner_for(user: Any, org_id: Any) -> Organisation:
    found = partners_visible(user).filter(pk=parsed_id(org_id)).first()
    if found is None:
        raise NotFound()
    return found


def profile_org_to_edit(user: Any) -> Organisation:
    """Only one's own organisation's entry, and only as its admin."""
    if not may_edit_own(user):
        raise NotFound()
    return partner_for(user, user.org_id)


def committees_visible(user: Any) -> QuerySet[Committee]:
    if not (may_browse(user) or _is_system(user)):
        return Committee.objects.none()
    return Committee.objects.all()


def committee_for(user: Any, committee_id: Any) -> Committee:
    found = committees_visible(user).filter(pk=parsed_id(committee_id)).first()
    if found is None:
        raise NotFound()
    return found


def committee_to_curate(user: Any, committee_id: Any) -> Committee:
    if not may_curate(user):
        raise NotFound()
    return committee_for(user, committee_id)


def profile_of(org: Organisation) -> PartnerProfile | None:
    return PartnerProfile.objects.filter(org=org).first()
