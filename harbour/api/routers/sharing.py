"""Consent, agreements, referrals, shared records, the continuum of care and survivor rights."""

import datetime as dt
import uuid
from typing import Any, cast

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from harbour.api.auth import current_user
from harbour.api.routers.cases import ERRORS, _page, _plain
from harbour.api.schemas import ErrorOut
from harbour.cases import policy as case_policy
from harbour.core.errors import NotFound
from harbour.orgs.models import Organisation
from harbour.sharing import actions, policy, queries
from harbour.sharing.models import Consent, Notification, Referral

router = Router(tags=["sharing"])


class ConsentIn(Schema):
    recipient_kind: str
    recipient_org_id: uuid.UUID | None = None
    recipient_org_type: str = ""
    categories: list[str] = Field(
        default_factory=list,
        description=(
            "The kinds of information opened. At least one, except when the only purpose is "
            "known_elsewhere: that consent opens no information (a returning-survivor hint "
            "may tell the province and the year), so it may have none."
        ),
    )
    purposes: list[str]
    method: str
    starts_on: dt.date | None = None
    expires_on: dt.date | None = None


class ConsentOut(Schema):
    id: str
    survivor_id: str
    holder_org_id: str
    recipient_kind: str
    recipient_org_id: str | None
    recipient_org_type: str
    categories: list[str]
    purposes: list[str]
    method: str
    starts_on: dt.date
    expires_on: dt.date
    status: str
    receipt_code: str | None = Field(
        None, description="Only in the answer that records the consent: it is never stored."
    )


def _consent_out(consent: Consent) -> dict[str, Any]:
    return {
        "id": str(consent.pk),
        "survivor_id": str(consent.survivor_id),
        "holder_org_id": str(consent.org_id),
        "recipient_kind": consent.recipient_kind,
        "recipient_org_id": str(consent.recipient_org_id) if consent.recipient_org_id else None,
        "recipient_org_type": consent.recipient_org_type,
        "categories": consent.categories,
        "purposes": consent.purposes,
        "method": consent.method,
        "starts_on": consent.starts_on,
        "expires_on": consent.expires_on,
        "status": queries.consent_status(consent),
        "receipt_code": consent.issued_code,
    }


def _org(org_id: uuid.UUID | None) -> Organisation | None:
    if org_id is None:
        return None
    found = Organisation.objects.filter(pk=org_id, is_active=True).first()
    if found is None:
        raise NotFound()
    return found


@router.get("/survivors/{survivor_id}/consents", response={200: list[ConsentOut], **ERRORS})
def list_consents(request: HttpRequest, survivor_id: uuid.UUID) -> list[dict[str, Any]]:
    user = current_user(request)
    survivor = case_policy.survivor_for(user, survivor_id)
    return [_consent_out(c) for c in policy.consents_of(user, survivor)]


@router.post(
    "/survivors/{survivor_id}/consents",
    response={201: ConsentOut, **ERRORS},
    summary="Record a survivor's consent (specific, time-limited, revocable)",
)
def record_consent(
    request: HttpRequest, survivor_id: uuid.UUID, payload: ConsentIn
) -> Status[dict[str, Any]]:
    user = current_user(request)
    survivor = case_policy.survivor_for(user, survivor_id)
    data = payload.model_dump()
    consent = actions.record_consent(
        by=user, survivor=survivor, recipient_org=_org(data.pop("recipient_org_id")), **data
    )
    return Status(201, _consent_out(consent))


@router.post("/consents/{consent_id}/withdraw", response={200: ConsentOut, **ERRORS})
def withdraw_consent(request: HttpRequest, consent_id: uuid.UUID) -> dict[str, Any]:
    user = current_user(request)
    consent = actions.withdraw_consent(by=user, consent=policy.consent_for(user, consent_id))
    return _consent_out(consent)


class ReceiptIn(Schema):
    code: str = Field(max_length=40, description="The code printed on the survivor's receipt")


# The code is a secret that finds a consent: it travels in the body, never in a URL (URLs end up
# in access logs, proxies and browser histories).
@router.post(
    "/consent-receipts/find",
    response={200: ConsentOut, 429: ErrorOut, **ERRORS},
    summary="Find a consent by its receipt code (any organisation; no identities)",
)
def consent_by_receipt(request: HttpRequest, payload: ReceiptIn) -> dict[str, Any]:
    consent = actions.find_consent_by_receipt(by=current_user(request), code=payload.code)
    return _consent_out(consent) | {"survivor_id": ""}


@router.post(
    "/consent-receipts/withdraw",
    response={200: ConsentOut, 429: ErrorOut, **ERRORS},
    summary="Withdraw a consent at the survivor's request, from any organisation",
)
def withdraw_by_receipt(request: HttpRequest, payload: ReceiptIn) -> dict[str, Any]:
    user = current_user(request)
    found = actions.find_consent_by_receipt(by=user, code=payload.code)
    consent = actions.withdraw_consent(by=user, consent=found)
    return _consent_out(consent) | {"survivor_id": ""}


# --- agreements -------------------------------------------------------------------------------


class AgreementIn(Schema):
    title: str
    partner_org_ids: list[uuid.UUID]
    categories: list[str]
    purposes: list[str]
    valid_from: dt.date
    valid_until: dt.date | None = None
    signatories: str = ""


class AgreementOut(Schema):
    id: str
    title: str
    is_national_protocol: bool
    categories: list[str]
    purposes: list[str]
    valid_from: dt.date
    valid_until: dt.date | None
    parties: list[dict[str, Any]]


def _agreement_out(agreement: Any) -> dict[str, Any]:
    return {
        "id": str(agreement.pk),
        "title": agreement.title,
        "is_national_protocol": agreement.is_national_protocol,
        "categories": agreement.categories,
        "purposes": agreement.purposes,
        "valid_from": agreement.valid_from,
        "valid_until": agreement.valid_until,
        "parties": [
            {
                "org_id": str(p.org_id),
                "accepted": p.accepted_at is not None,
                "left": p.left_at is not None,
            }
            for p in agreement.parties.all()
        ],
    }


@router.get("/agreements", response={200: list[AgreementOut], **ERRORS})
def list_agreements(request: HttpRequest) -> list[dict[str, Any]]:
    user = current_user(request)
    return [_agreement_out(a) for a in policy.agreements_for(user).prefetch_related("parties")]


@router.post(
    "/agreements",
    response={201: AgreementOut, **ERRORS},
    summary="Propose an agreement; each partner's organisation admin accepts it",
)
def propose_agreement(request: HttpRequest, payload: AgreementIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    data = payload.model_dump()
    partners = list(Organisation.objects.filter(pk__in=data.pop("partner_org_ids")))
    return Status(
        201, _agreement_out(actions.propose_agreement(by=user, partners=partners, **data))
    )


@router.post(
    "/agreements/{agreement_id}/{move}",
    response={200: AgreementOut, **ERRORS},
    summary="accept, leave, or adopt (the national protocol)",
)
def move_agreement(request: HttpRequest, agreement_id: uuid.UUID, move: str) -> dict[str, Any]:
    user = current_user(request)
    agreement = policy.agreement_for(user, agreement_id)
    moves = {
        "accept": actions.accept_agreement,
        "leave": actions.leave_agreement,
        "adopt": actions.adopt_national_protocol,
    }
    if move not in moves:
        raise NotFound()
    moves[move](by=user, agreement=agreement)
    return _agreement_out(agreement)


# --- referrals --------------------------------------------------------------------------------


class ReferralIn(Schema):
    receiving_org_id: uuid.UUID
    kind: str = "referral"
    service_id: uuid.UUID | None = None
    reason: Any = None
    urgency: Any = None
    needs: Any = None
    referral_date: Any = None
    details: Any = None
    receiving_caseworker: Any = None


class ReferralOut(Schema):
    id: str
    kind: str
    status: str
    sending_org_id: str
    receiving_org_id: str
    case_id: str | None
    sent_at: dt.datetime
    responded_at: dt.datetime | None
    decline_reason: str
    outcome: str
    receiving_case_id: str | None
    overdue: bool
    expired: bool
    shared: dict[str, Any] | None


def _referral_out(referral: Referral, user: Any, *, open_shared: bool = True) -> dict[str, Any]:
    """One referral; with `open_shared`, the shared record it opens for the receiver (an
    audited, decrypted disclosure: one referral at a time, never for a whole list)."""
    receiving = referral.receiving_org_id == user.org_id
    return {
        "id": str(referral.pk),
        "kind": referral.kind,
        "status": referral.status,
        "sending_org_id": str(referral.org_id),
        "receiving_org_id": str(referral.receiving_org_id),
        "case_id": None if receiving else str(referral.case_id),
        "sent_at": referral.created_at,
        "responded_at": referral.responded_at,
        "decline_reason": referral.decline_reason,
        "outcome": referral.outcome,
        "overdue": queries.is_overdue(referral),
        "expired": queries.is_expired(referral),
        "receiving_case_id": str(referral.receiving_case_id)
        if referral.receiving_case_id and receiving
        else None,
        "shared": _shared_out(user, referral.case_id)
        if open_shared and receiving and policy.referral_grants(referral)
        else None,
    }


@router.post(
    "/cases/{case_id}/referrals",
    response={201: ReferralOut, **ERRORS},
    summary="Refer or transfer a case (needs live consent AND a live agreement)",
)
def send_referral(
    request: HttpRequest, case_id: uuid.UUID, payload: ReferralIn
) -> Status[dict[str, Any]]:
    from harbour.directory.models import Service

    user = current_user(request)
    case = case_policy.case_for(user, case_id)
    data = payload.model_dump(exclude_unset=True)
    receiving = _org(data.pop("receiving_org_id"))
    service = Service.objects.filter(pk=data.pop("service_id", None)).first()
    kind = data.pop("kind", "referral")
    referral = actions.send_referral(
        by=user,
        case=case,
        receiving_org=receiving,  # type: ignore[arg-type]
        values=data,
        kind=kind,
        service=service,
    )
    return Status(201, _referral_out(referral, user))


class ReferralPage(Schema):
    count: int
    page: int
    page_size: int
    next_page: int | None
    results: list[ReferralOut]


@router.get(
    "/referrals",
    response={200: ReferralPage, **ERRORS},
    summary="Referrals received (box=received, the default) or sent (box=sent), a page at a time",
    description=(
        "Paginated like /cases: `page` (from 1) and `page_size` (1–200, default 50); follow "
        "`next_page` until it is null to read them all, newest first. "
        "In this list `shared` is always null: opening the survivor's shared record is an "
        "audited disclosure of decrypted values, made for one referral at a time by "
        "GET /referrals/{referral_id}. (Until 2026-12-06 the list opened it for every received "
        "referral, which made the list's time grow with the referrals received; it was also a "
        "bare list cut at 200 rows, which hid the rest.)"
    ),
)
def list_referrals(
    request: HttpRequest, box: str = "received", page: int = 1, page_size: int = 50
) -> dict[str, Any]:
    user = current_user(request)
    lists = queries.referral_lists(user)
    if box not in lists:
        raise NotFound()
    # The pk breaks ties between referrals sent in the same instant, so no row falls between
    # two pages or shows on both.
    ordered = lists[box].order_by("-created_at", "-pk")
    return _page(
        request,
        ordered,
        page,
        page_size,
        lambda r: _referral_out(cast(Referral, r), user, open_shared=False),
        read=lambda rows: rows.values_list(*_LIST_COLUMNS, named=True),
    )


# A row of the list as a named tuple (no Referral instance a row): every attribute that
# _referral_out reads without opening the shared record, is_overdue and is_expired included.
_LIST_COLUMNS = (
    "pk",
    "kind",
    "status",
    "org_id",
    "receiving_org_id",
    "survivor_id",
    "case_id",
    "receiving_case_id",
    "created_at",
    "responded_at",
    "decline_reason",
    "outcome",
)


@router.get("/referrals/{referral_id}", response={200: ReferralOut, **ERRORS})
def get_referral(request: HttpRequest, referral_id: uuid.UUID) -> dict[str, Any]:
    user = current_user(request)
    return _referral_out(policy.referral_for(user, referral_id), user)


class MoveIn(Schema):
    decline_reason: str = ""
    outcome: str = ""


@router.post(
    "/referrals/{referral_id}/{move}",
    response={200: ReferralOut, **ERRORS},
    summary="accept, decline (with decline_reason), complete (with outcome), withdraw",
)
def move_referral(
    request: HttpRequest, referral_id: uuid.UUID, move: str, payload: MoveIn
) -> dict[str, Any]:
    user = current_user(request)
    referral = policy.referral_for(user, referral_id)
    if move == "accept":
        referral = actions.accept_referral(by=user, referral=referral)
    elif move == "decline":
        referral = actions.decline_referral(
            by=user, referral=referral, reason=payload.decline_reason
        )
    elif move == "complete":
        referral = actions.complete_referral(by=user, referral=referral, outcome=payload.outcome)
    elif move == "withdraw":
        referral = actions.withdraw_referral(by=user, referral=referral)
    else:
        raise NotFound()
    return _referral_out(referral, user)


# --- shared records, continuum, rights ---------------------------------------------------------


class SharedOut(Schema):
    case_id: str
    org_id: str
    categories: list[str]
    survivor: dict[str, Any]
    case: dict[str, Any]
    withheld: list[str]
    immigration: list[dict[str, Any]] = Field(
        default_factory=list,
        description="The survivor's immigration steps, only with the 'immigration' category.",
    )
    immigration_standing: dict[str, Any] | None = None


def _shared_out(user: Any, case_id: Any) -> dict[str, Any] | None:
    try:
        shared = policy.shared_case_for(user, case_id)
    except NotFound:
        return None
    return {
        "case_id": str(shared.case.pk),
        "org_id": str(shared.case.org_id),
        "categories": sorted(shared.categories),
        "survivor": {k: _plain(v) for k, v in shared.survivor.values.items()},
        "case": {k: _plain(v) for k, v in shared.case_values.values.items()},
        "withheld": sorted({*shared.survivor.withheld, *shared.case_values.withheld}),
        "immigration": [{k: _plain(v) for k, v in r.values.items()} for r in shared.immigration],
        "immigration_standing": _standing_out(shared.immigration_standing),
    }


def _standing_out(found: Any) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "status": found.status,
        "trp_stage": found.trp_stage,
        "trp_valid_until": _plain(found.trp_valid_until),
        "pending_since": _plain(found.pending_since),
    }


@router.get(
    "/shared/cases/{case_id}",
    response={200: SharedOut, **ERRORS},
    summary="Another organisation's case, as far as consent and agreements allow now",
)
def shared_case(request: HttpRequest, case_id: uuid.UUID) -> dict[str, Any]:
    out = _shared_out(current_user(request), case_id)
    if out is None:
        raise NotFound()
    return out


class ContinuumItemOut(Schema):
    date: dt.date
    org_id: str
    org: str
    kind: str
    own: bool
    withheld: bool
    case_id: str | None


@router.get("/survivors/{survivor_id}/continuum", response={200: list[ContinuumItemOut], **ERRORS})
def continuum(request: HttpRequest, survivor_id: uuid.UUID) -> list[dict[str, Any]]:
    user = current_user(request)
    survivor = case_policy.survivor_for(user, survivor_id)
    return [
        {
            "date": i.when,
            "org_id": str(i.org.pk),
            "org": i.org.name,
            "kind": i.kind,
            "own": i.own,
            "withheld": i.withheld,
            "case_id": str(i.case.pk) if i.own else None,
        }
        for i in queries.continuum(user, survivor)
    ]


@router.get(
    "/survivors/{survivor_id}/export",
    response={200: dict, **ERRORS},
    summary="Everything your organisation holds about the survivor (right of access)",
)
def export(request: HttpRequest, survivor_id: uuid.UUID) -> dict[str, Any]:
    from harbour.accounts.policy import Perm

    user = current_user(request)
    survivor = case_policy.survivor_for(user, survivor_id, Perm.SURVIVOR_IDENTITY_VIEW)
    actions.record_export(by=user, survivor=survivor, output="api")
    return queries.survivor_export(survivor)


@router.post(
    "/survivors/{survivor_id}/erase",
    response={200: dict, **ERRORS},
    summary="Erase everything your organisation holds about the survivor",
)
def erase(request: HttpRequest, survivor_id: uuid.UUID) -> dict[str, Any]:
    user = current_user(request)
    survivor = case_policy.survivor_for(user, survivor_id)
    return {"erased": actions.erase_survivor(by=user, survivor=survivor)}


class NotificationOut(Schema):
    id: str
    kind: str
    created_at: dt.datetime
    read: bool
    referral_id: str | None
    consent_id: str | None
    case_id: str | None = Field(None, description="For a permit ending or an application waiting")


@router.get("/notifications", response={200: list[NotificationOut], **ERRORS})
def notifications(request: HttpRequest) -> list[dict[str, Any]]:
    user = current_user(request)
    return [
        {
            "id": str(n.pk),
            "kind": n.kind,
            "created_at": n.created_at,
            "read": bool(n.read_at),
            "referral_id": str(n.referral_id) if n.referral_id else None,
            "consent_id": str(n.consent_id) if n.consent_id else None,
            "case_id": str(n.immigration_step.case_id) if n.immigration_step else None,
        }
        for n in Notification.objects.filter(user=user).select_related("immigration_step")[:200]
    ]
