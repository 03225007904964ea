"""Grants inventory and partner network: programs (search, eligibility), funders, awards, partner
profiles, committees (with the four-group check), the funding map and the referral network.

Any API user reads; national coordinators (`grants.curate`) write funders, programs and
committees; an organisation's admins (`partners.edit_own`) write their own profile and awards."""

import datetime as dt
import uuid
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from harbour.api.auth import current_user
from harbour.api.routers.cases import ERRORS
from harbour.core.errors import InvalidInput, NotFound
from harbour.grants import actions, charts, policy, queries
from harbour.grants.models import Award, Committee, Funder, PartnerProfile, Program
from harbour.orgs.models import Organisation

router = Router(tags=["grants"])
MAX = 500


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


class FunderIn(_In):
    short_name: str = Field(max_length=60)
    name_en: str = Field(max_length=200)
    name_fr: str = Field(max_length=200)
    kind: str
    province: str = ""
    website: str = ""


class FunderOut(Schema):
    id: str
    short_name: str
    name_en: str
    name_fr: str
    kind: str
    province: str
    website: str
    is_synthetic: bool


class ProgramIn(_In):
    funder: str = Field(max_length=60, description="The funder's short name")
    code: str = Field(max_length=60)
    name_en: str = Field(max_length=200)
    name_fr: str = Field(max_length=200)
    description_en: str = Field("", max_length=4000)
    description_fr: str = Field("", max_length=4000)
    pillars: list[str] = []
    populations: list[str] = []
    provinces: list[str] = Field([], description="Empty: all of Canada")
    org_types: list[str] = Field([], description="Empty: any type of organisation")
    amount_min: int = 0
    amount_max: int
    term_years: int = 1
    opens_on: dt.date
    deadline: dt.date
    recurrence: str = "once"
    url: str = ""
    is_active: bool = True


class ProgramOut(Schema):
    id: str
    funder: str
    code: str
    name_en: str
    name_fr: str
    description_en: str
    description_fr: str
    pillars: list[str]
    populations: list[str]
    provinces: list[str]
    org_types: list[str]
    amount_min: int
    amount_max: int
    term_years: int
    recurrence: str
    opens_on: dt.date
    deadline: dt.date
    next_opens_on: dt.date = Field(description="The window open now or coming next")
    next_deadline: dt.date
    url: str
    is_active: bool
    is_synthetic: bool


class ProgramQuery(Schema):
    q: str = Field("", max_length=100)
    funder: str = Field("", max_length=60)
    funder_kind: str = Field("", max_length=30)
    province: str = Field("", max_length=5)
    population: str = Field("", max_length=30)
    pillar: str = Field("", max_length=30)
    org_type: str = Field("", max_length=60)
    within_days: int | None = Field(None, ge=1, le=730)
    open_now: bool = False


class YearQuery(Schema):
    year: int | None = Field(None, ge=1990, le=2100)


class AwardQuery(YearQuery):
    province: str = Field("", max_length=5)


class AwardIn(_In):
    org_id: uuid.UUID
    program_code: str = Field(max_length=60)
    amount: int
    starts_on: dt.date
    ends_on: dt.date
    province: str
    pillars: list[str] = []
    populations: list[str] = []
    purpose_en: str = Field(max_length=300)
    purpose_fr: str = Field("", max_length=300)


class AwardOut(Schema):
    id: str
    org_id: str
    org_name: str
    program_code: str
    amount: int
    starts_on: dt.date
    ends_on: dt.date
    province: str
    pillars: list[str]
    populations: list[str]
    purpose_en: str
    purpose_fr: str
    is_synthetic: bool


class ProfileIn(_In):
    group: str
    regions: list[str] = []
    pillars: list[str] = []
    populations: list[str] = []
    languages: list[str] = []
    summary_en: str = Field("", max_length=2000)
    summary_fr: str = Field("", max_length=2000)
    website: str = ""
    contact_name: str = Field("", max_length=200)
    contact_email: str = Field("", max_length=254)
    contact_phone: str = Field("", max_length=30)


class ReferralRecordOut(Schema):
    received: int | None = Field(description="None when fewer than 10 (not told)")
    acceptance_rate: float | None
    median_response_hours: float | None


class PartnerOut(Schema):
    org_id: str
    name_en: str
    name_fr: str
    type: str
    province: str
    profile: dict[str, Any] | None
    referrals: ReferralRecordOut
    agreements: dict[str, int]


class CommitteeIn(_In):
    code: str = Field(max_length=60)
    name_en: str = Field(max_length=200)
    name_fr: str = Field(max_length=200)
    province: str = ""
    mandate_en: str = Field("", max_length=2000)
    mandate_fr: str = Field("", max_length=2000)
    members: list[uuid.UUID] = Field([], max_length=500)
    chairs: list[uuid.UUID] = Field([], max_length=50)


class CommitteeOut(Schema):
    id: str
    code: str
    name_en: str
    name_fr: str
    province: str
    members: list[dict[str, Any]]
    missing_groups: list[str]


class FundingOut(Schema):
    year: int | None
    total: int
    by_province: dict[str, int]
    per_100k: dict[str, int]
    by_pillar: dict[str, int]
    by_population: dict[str, int]
    by_province_and_pillar: dict[str, dict[str, int]]
    by_province_and_population: dict[str, dict[str, int]]
    gaps: dict[str, dict[str, int]] = Field(description="From the directory's coverage")


class EdgeOut(Schema):
    from_org_id: str
    to_org_id: str
    referrals: int | None = Field(description="None when fewer than 10 (not told)")


# --- serialising ------------------------------------------------------------------------------


def _funder(f: Funder) -> dict[str, Any]:
    return {n: getattr(f, n) for n in FunderOut.model_fields if n != "id"} | {"id": str(f.pk)}


def _program(p: Program) -> dict[str, Any]:
    opens, closes = p.window(queries.today())
    names = [n for n in ProgramOut.model_fields if n not in {"id", "funder"}]
    out = {n: getattr(p, n) for n in names if hasattr(p, n)}
    return out | {
        "id": str(p.pk),
        "funder": p.funder.short_name,
        "next_opens_on": opens,
        "next_deadline": closes,
    }


def _award(a: Award) -> dict[str, Any]:
    names = [n for n in AwardOut.model_fields if hasattr(a, n) and n not in {"id", "org_id"}]
    out = {n: getattr(a, n) for n in names}
    return out | {
        "id": str(a.pk),
        "org_id": str(a.org_id),
        "org_name": a.org.name,
        "program_code": a.program.code,
    }


def _profile(p: PartnerProfile | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {n: getattr(p, n) for n in ProfileIn.model_fields}


def _record(rec: queries.ReferralRecord) -> dict[str, Any]:
    return {
        "received": rec.received if rec.enough or rec.received == 0 else None,
        "acceptance_rate": rec.acceptance_rate,
        "median_response_hours": rec.median_response_hours,
    }


def _partner(org: Any, rec: queries.ReferralRecord) -> dict[str, Any]:
    return {
        "org_id": str(org.pk),
        "name_en": org.name_en,
        "name_fr": org.name_fr,
        "type": org.type,
        "province": org.province,
        "profile": _profile(getattr(org, "partner_profile", None)),
        "referrals": _record(rec),
        "agreements": queries.agreement_status(org),
    }


def _committee(c: Committee) -> dict[str, Any]:
    seats = c.seats.select_related("org")
    return {
        "id": str(c.pk),
        "code": c.code,
        "name_en": c.name_en,
        "name_fr": c.name_fr,
        "province": c.province,
        "members": [{"org_id": str(s.org_id), "is_chair": s.is_chair} for s in seats],
        "missing_groups": queries.missing_groups(c),
    }


def _funder_by_short_name(user: Any, short_name: str) -> Funder:
    found = policy.funders_visible(user).filter(short_name=short_name).first()
    if found is None:
        raise NotFound()
    return found


# --- programs and funders ---------------------------------------------------------------------


@router.get("/programs", response={200: list[ProgramOut], **ERRORS})
def list_programs(request: HttpRequest, filters: Query[ProgramQuery]) -> list[dict[str, Any]]:
    user = current_user(request)
    data = filters.model_dump()
    wanted = queries.ProgramFilter(text=data.pop("q"), **data)
    return [_program(p) for p in queries.search_programs(policy.programs_visible(user), wanted)]


@router.get(
    "/programs/eligible",
    response={200: list[ProgramOut], **ERRORS},
    summary="Programs the caller's organisation is eligible for, open now or next",
)
def eligible_programs(request: HttpRequest) -> list[dict[str, Any]]:
    user = current_user(request)
    org = policy.partner_for(user, user.org_id)
    return [_program(p) for p in queries.eligible_for(org, policy.programs_visible(user))]


@router.get("/programs/{program_id}", response={200: ProgramOut, **ERRORS})
def get_program(request: HttpRequest, program_id: str) -> dict[str, Any]:
    return _program(policy.program_for(current_user(request), program_id))


@router.post("/programs", response={201: ProgramOut, **ERRORS})
def create_program(request: HttpRequest, payload: ProgramIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    if not policy.may_curate(user):
        raise NotFound()
    data = payload.model_dump()
    funder = _funder_by_short_name(user, data.pop("funder"))
    return Status(201, _program(actions.save_program(by=user, funder=funder, values_in=data)))


@router.put("/programs/{program_id}", response={200: ProgramOut, **ERRORS})
def update_program(request: HttpRequest, program_id: str, payload: ProgramIn) -> dict[str, Any]:
    user = current_user(request)
    program = policy.program_to_curate(user, program_id)
    data = payload.model_dump()
    funder = _funder_by_short_name(user, data.pop("funder"))
    saved = actions.save_program(by=user, funder=funder, values_in=data, program=program)
    return _program(saved)


@router.get("/funders", response={200: list[FunderOut], **ERRORS})
def list_funders(request: HttpRequest) -> list[dict[str, Any]]:
    return [_funder(f) for f in policy.funders_visible(current_user(request))[:MAX]]


@router.post("/funders", response={201: FunderOut, **ERRORS})
def create_funder(request: HttpRequest, payload: FunderIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    if not policy.may_curate(user):
        raise NotFound()
    return Status(201, _funder(actions.save_funder(by=user, values_in=payload.model_dump())))


@router.put("/funders/{funder_id}", response={200: FunderOut, **ERRORS})
def update_funder(request: HttpRequest, funder_id: str, payload: FunderIn) -> dict[str, Any]:
    user = current_user(request)
    funder = policy.funder_to_curate(user, funder_id)
    return _funder(actions.save_funder(by=user, values_in=payload.model_dump(), funder=funder))


# --- awards -----------------------------------------------------------------------------------


@router.get("/awards", response={200: list[AwardOut], **ERRORS})
def list_awards(request: HttpRequest, filters: Query[AwardQuery]) -> list[dict[str, Any]]:
    rows = policy.awards_visible(current_user(request))
    if filters.province:
        rows = rows.filter(province=filters.province)
    if filters.year is not None:
        rows = rows.filter(starts_on__year=filters.year)
    return [_award(a) for a in rows[: MAX * 4]]


@router.post("/awards", response={201: AwardOut, **ERRORS})
def create_award(request: HttpRequest, payload: AwardIn) -> Status[dict[str, Any]]:
    return Status(201, _award(_save_award(current_user(request), payload, None)))


@router.put("/awards/{award_id}", response={200: AwardOut, **ERRORS})
def update_award(request: HttpRequest, award_id: str, payload: AwardIn) -> dict[str, Any]:
    user = current_user(request)
    return _award(_save_award(user, payload, policy.award_to_edit(user, award_id)))


@router.delete("/awards/{award_id}", response={204: None, **ERRORS})
def delete_award(request: HttpRequest, award_id: str) -> Status[None]:
    user = current_user(request)
    actions.delete_award(by=user, award=policy.award_to_edit(user, award_id))
    return Status(204, None)


def _save_award(user: Any, payload: AwardIn, award: Award | None) -> Award:
    data = payload.model_dump()
    org = policy.award_orgs_for(user).filter(pk=data.pop("org_id")).first()
    program = policy.programs_visible(user).filter(code=data.pop("program_code")).first()
    if org is None or program is None:
        raise NotFound()
    return actions.save_award(by=user, org=org, program=program, values_in=data, award=award)


# --- partners and committees ------------------------------------------------------------------


@router.get("/partners", response={200: list[PartnerOut], **ERRORS})
def list_partners(request: HttpRequest) -> list[dict[str, Any]]:
    orgs = list(policy.partners_visible(current_user(request))[:MAX])
    records = queries.referral_records([o.pk for o in orgs])
    return [_partner(o, records.get(o.pk) or queries.ReferralRecord()) for o in orgs]


@router.put(
    "/partners/mine",
    response={200: PartnerOut, **ERRORS},
    summary="Your organisation's own entry (organisation admins)",
)
def update_my_profile(request: HttpRequest, payload: ProfileIn) -> dict[str, Any]:
    user = current_user(request)
    org = policy.profile_org_to_edit(user)
    actions.save_profile(by=user, org=org, values_in=payload.model_dump())
    return get_partner(request, str(org.pk))


@router.get("/partners/{org_id}", response={200: PartnerOut, **ERRORS})
def get_partner(request: HttpRequest, org_id: str) -> dict[str, Any]:
    org = policy.partner_for(current_user(request), org_id)
    return _partner(org, queries.referral_records([org.pk]).get(org.pk) or queries.ReferralRecord())


@router.get("/committees", response={200: list[CommitteeOut], **ERRORS})
def list_committees(request: HttpRequest) -> list[dict[str, Any]]:
    return [_committee(c) for c in policy.committees_visible(current_user(request))[:MAX]]


@router.post("/committees", response={201: CommitteeOut, **ERRORS})
def create_committee(request: HttpRequest, payload: CommitteeIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    if not policy.may_curate(user):
        raise NotFound()
    return Status(201, _committee(_save_committee(user, payload, None)))


@router.put("/committees/{committee_id}", response={200: CommitteeOut, **ERRORS})
def update_committee(
    request: HttpRequest, committee_id: str, payload: CommitteeIn
) -> dict[str, Any]:
    user = current_user(request)
    committee = policy.committee_to_curate(user, committee_id)
    return _committee(_save_committee(user, payload, committee))


def _save_committee(user: Any, payload: CommitteeIn, committee: Committee | None) -> Committee:
    """The committee and its members in one step: an unknown member or a chair who is not a
    member changes nothing."""
    data = payload.model_dump()
    member_ids, chair_ids = set(data.pop("members")), set(data.pop("chairs"))
    members = list(Organisation.objects.filter(pk__in=member_ids, is_active=True))
    if len(members) != len(member_ids):
        raise NotFound()
    chairs = [m for m in members if m.pk in chair_ids]
    if len(chairs) != len(chair_ids):
        raise InvalidInput({"chairs": [_("A chair must be a member of the committee.")]})
    with transaction.atomic():
        saved = actions.save_committee(by=user, values_in=data, committee=committee)
        actions.set_members(by=user, committee=saved, orgs=members, chairs=chairs)
    return saved


# --- the funding map and the network ----------------------------------------------------------


@router.get("/funding", response={200: FundingOut, **ERRORS})
def funding(request: HttpRequest, filters: Query[YearQuery]) -> dict[str, Any]:
    user = current_user(request)
    year = filters.year
    data = queries.funding(policy.awards_visible(user), year)
    gaps = {k: v for k, v in queries.gaps_by_province(user).items() if not k.startswith("_")}
    return {
        "year": year,
        "total": data.total,
        "by_province": data.by_province,
        "per_100k": data.per_100k,
        "by_pillar": data.by_pillar,
        "by_population": data.by_population,
        "by_province_and_pillar": _nested(data.matrix),
        "by_province_and_population": _nested(data.populations),
        "gaps": gaps,
    }


def _nested(cells: dict[tuple[str, str], int]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (province, key), amount in cells.items():
        out.setdefault(province, {})[key] = amount
    return out


@router.get("/network", response={200: list[EdgeOut], **ERRORS})
def network(request: HttpRequest) -> list[dict[str, Any]]:
    visible = set(policy.partners_visible(current_user(request)).values_list("pk", flat=True))
    return [
        {
            "from_org_id": str(e.source),
            "to_org_id": str(e.target),
            "referrals": e.count if e.count >= charts.DEFAULT_THRESHOLD else None,
        }
        for e in queries.network_edges()
        if e.source in visible and e.target in visible
    ]
