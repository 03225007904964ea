"""Survivors and cases of the caller's own organisation."""

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from django.db import models
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy
from ninja import Body, Router, Schema, Status
from pydantic import Field

from harbour.accounts.policy import Perm, can
from harbour.api.auth import current_user
from harbour.api.schemas import ErrorOut, input_model, output_model
from harbour.cases import actions, policy, queries
from harbour.cases.immigration import reports
from harbour.cases.immigration import steps as immigration
from harbour.cases.models import Case, CaseStatus, Screening, Survivor
from harbour.cases.values import entity_of, read_values, sealed_shown
from harbour.core.errors import InvalidInput, NotFound
from harbour.standard.validation import MSG_CHOOSE

router = Router(tags=["cases"])
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
MAX_PAGE_SIZE = 200

SurvivorIn = input_model("SurvivorIn", "survivor")
CaseIn = input_model("CaseIn", "case", skip=frozenset(actions.PROTECTED_CASE_FIELDS))
_META = {
    "id": (str, ...),
    "reference": (str, ...),
    "standard_version": (str, ...),
    "created_at": (dt.datetime, ...),
    "updated_at": (dt.datetime, ...),
}
SurvivorOut = output_model("SurvivorOut", "survivor", _META | {"identity_included": (bool, ...)})
CaseOut = output_model(
    "CaseOut",
    "case",
    _META
    | {
        "survivor_id": (str, ...),
        "survivor_reference": (str, ...),
        "closed_at": (dt.datetime | None, None),
    },
)


class IntakeIn(Schema):
    survivor: SurvivorIn = Field(default_factory=SurvivorIn)  # type: ignore[valid-type]
    case: CaseIn  # type: ignore[valid-type]
    survivor_id: uuid.UUID | None = None


class StatusIn(Schema):
    transition: str
    closure_reason: str | None = None
    closure_details: str | None = None
    reason: str | None = Field(default=None, max_length=2000)


class ScreeningIn(Schema):
    indicator_set: str
    indicators: list[str]
    screened_on: dt.date | None = None
    details: str | None = None


class ScreeningOut(Schema):
    id: str
    indicator_set: str
    indicators: list[str]
    screened_on: dt.date | None
    indicators_met: bool | None
    catalogue_version: str
    result: dict[str, Any]


# --- helpers ----------------------------------------------------------------------------------

# Far beyond any organisation's records; a larger page number is a mistake, not a request.
MAX_PAGE = 1_000_000
MSG_BETWEEN = gettext_lazy("Enter a whole number from %(low)s to %(high)s.")


def _page(
    request: HttpRequest,
    qs: Any,
    page: int,
    page_size: int,
    render: Any,
    *,
    read: Any = None,
) -> dict:
    """A page of `qs`, each row rendered; `read` (optional) turns the page's slice into what
    `render` takes (e.g. a values_list of its columns: counted without them, no join)."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput({"page_size": [MSG_BETWEEN % {"low": 1, "high": MAX_PAGE_SIZE}]})
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInput({"page": [MSG_BETWEEN % {"low": 1, "high": MAX_PAGE}]})
    total = qs.count()
    rows = qs[(page - 1) * page_size : page * page_size]
    if read is not None:
        rows = read(rows)
    return {
        "count": total,
        "page": page,
        "page_size": page_size,
        "next_page": page + 1 if page * page_size < total else None,
        "results": [render(row) for row in rows],
    }


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _survivor_out(survivor: Survivor, *, identity: bool) -> dict[str, Any]:
    values = read_values(survivor, with_identity=identity)
    return {k: _plain(v) for k, v in values.items()} | {
        "id": str(survivor.pk),
        "reference": survivor.reference,
        "standard_version": survivor.standard_version,
        "created_at": survivor.created_at,
        "updated_at": survivor.updated_at,
        "identity_included": identity,
    }


def _case_out(case: Case, *, identity: bool = False) -> dict[str, Any]:
    values = read_values(case, with_identity=identity)
    return {k: _plain(v) for k, v in values.items()} | {
        "id": str(case.pk),
        "reference": case.reference,
        "standard_version": case.standard_version,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "survivor_id": str(case.survivor_id),
        "survivor_reference": case.survivor.reference,
        "closed_at": case.closed_at,
    }


@dataclass(frozen=True)
class _ListPlan:
    """How the case list reads each case's `_case_out` values (without identity) from one row:
    every dictionary field not sealed, from its column, in the dictionary's order."""

    columns: tuple[Any, ...]  # the dictionary's columns, then the case's own (see row_out)
    ids: tuple[str, ...]  # the dictionary fields' ids, for the first len(ids) columns
    plain: tuple[int, ...]  # columns that may hold a UUID or a date: _plain makes them text
    json: tuple[int, ...]  # JSON columns, read as their text: decoded once per text a page


@cache
def _case_list_plan() -> _ListPlan:
    ids: list[str] = []
    columns: list[Any] = []
    plain: list[int] = []
    json_: list[int] = []
    for i, field in enumerate(f for f in entity_of(Case).fields if not f.is_sealed):
        column = cast(models.Field, Case._meta.get_field(field.id))
        ids.append(field.id)
        if isinstance(column, models.JSONField):
            columns.append(Cast(field.id, models.TextField()))
            json_.append(i)
            continue
        columns.append(column.attname)  # owner_id for the owner, as read_values reads it
        # Only these column types give values _plain changes (UUIDs, dates, datetimes).
        if isinstance(column, models.DateField | models.UUIDField | models.ForeignKey):
            plain.append(i)
    meta = ("pk", "reference", "standard_version", "created_at", "updated_at", "survivor_id")
    return _ListPlan(
        columns=(*columns, *meta, "survivor__reference", "closed_at"),
        ids=tuple(ids),
        plain=tuple(plain),
        json=tuple(json_),
    )


def _case_rows(cases: Any) -> Any:
    """The cases as `_case_out` rows read from one `values_list` query: the same dicts (keys,
    order, values), without a Case, Survivor and User instance per row, the per-field
    dictionary look-ups, and a JSON decoding per list column (issue 9: these were most of the
    API case list's CPU; most of a page's code lists are the same few texts, "[]" first)."""
    return cases.values_list(*_case_list_plan().columns)


def _case_row_maker() -> Any:
    """A function making one page's rows (its decoded JSON texts shared by its rows: they are
    only written out)."""
    plan = _case_list_plan()
    n = len(plan.ids)
    decoded: dict[str, Any] = {}

    def decode(text: str | None) -> Any:
        # As JSONField.from_db_value reads a column (None stays None, bad JSON stays text).
        if text is None:
            return None
        if text not in decoded:
            try:
                decoded[text] = json.loads(text)
            except json.JSONDecodeError:
                decoded[text] = text
        return decoded[text]

    def row_out(row: tuple[Any, ...]) -> dict[str, Any]:
        found = list(row[:n])
        for i in plan.json:
            found[i] = decode(found[i])
        for i in plan.plain:
            found[i] = _plain(found[i])
        pk, reference, version, created, updated, survivor_id, survivor_ref, closed = row[n:]
        return dict(zip(plan.ids, found, strict=True)) | {
            "id": str(pk),
            "reference": reference,
            "standard_version": version,
            "created_at": created,
            "updated_at": updated,
            "survivor_id": str(survivor_id),
            "survivor_reference": survivor_ref,
            "closed_at": closed,
        }

    return row_out


def _audited(user: Any, record: Any, out: dict[str, Any], entity_id: str) -> dict[str, Any]:
    """An API answer that holds identifying values is a read of them: recorded, field by
    field, without the values (as the web pages do)."""
    fields = sealed_shown(entity_id, out)
    actions.record_identity_read(by=user, record=record, purpose="api", fields=fields)
    return out


def _submission_key(request: HttpRequest, user_id: Any) -> str:
    """The client's Idempotency-Key, or a fingerprint of the same body from the same user today."""
    given = request.headers.get("Idempotency-Key", "").strip()
    if given:
        if len(given) > 64:
            raise InvalidInput({"Idempotency-Key": ["≤ 64"]})
        return f"key:{given}"
    digest = hashlib.sha256(f"{user_id}:{timezone.localdate()}:".encode() + request.body)
    return f"fp:{digest.hexdigest()[:40]}"


# --- survivors --------------------------------------------------------------------------------


@router.get("/survivors", response={200: dict, **ERRORS}, summary="Survivors (no identities)")
def list_survivors(request: HttpRequest, page: int = 1, page_size: int = 50) -> dict:
    user = current_user(request)
    qs = policy.survivors_for(user).order_by("-created_at")
    return _page(request, qs, page, page_size, lambda s: _survivor_out(s, identity=False))


@router.get(
    "/survivors/{survivor_id}",
    response={200: SurvivorOut, **ERRORS},
    summary="One survivor, with identity if your role may see it (audited)",
)
def get_survivor(request: HttpRequest, survivor_id: uuid.UUID) -> dict:
    user = current_user(request)
    survivor = policy.survivor_for(user, survivor_id)
    identity = policy.may_see_identity(user, survivor)
    return _audited(user, survivor, _survivor_out(survivor, identity=identity), "survivor")


@router.patch("/survivors/{survivor_id}", response={200: SurvivorOut, **ERRORS})
def patch_survivor(request: HttpRequest, survivor_id: uuid.UUID, payload: SurvivorIn) -> dict:  # type: ignore[valid-type]
    user = current_user(request)
    survivor = policy.survivor_for(user, survivor_id, Perm.CASE_EDIT)
    values = payload.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
    actions.update_survivor(by=user, survivor=survivor, values=values)
    out = _survivor_out(survivor, identity=policy.may_see_identity(user, survivor))
    return _audited(user, survivor, out, "survivor")


# --- cases ------------------------------------------------------------------------------------


@router.get("/cases", response={200: dict, **ERRORS}, summary="Cases of your organisation")
def list_cases(
    request: HttpRequest,
    page: int = 1,
    page_size: int = 50,
    status: str = "",
    updated_since: dt.datetime | None = None,
) -> dict:
    user = current_user(request)
    if status and status not in CaseStatus.values:
        raise InvalidInput({"status": [MSG_CHOOSE]})
    qs = queries.filter_cases(policy.cases_for(user), status=status)
    if updated_since:
        qs = qs.filter(updated_at__gte=updated_since)
    return _page(request, qs, page, page_size, _case_row_maker(), read=_case_rows)


@router.post(
    "/cases",
    response={200: CaseOut, 201: CaseOut, **ERRORS},
    summary="Record an intake: a new (or returning) survivor and a case",
)
def create_case(request: HttpRequest, payload: IntakeIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    if not can(user, Perm.CASE_CREATE):
        raise NotFound()
    survivor = policy.survivor_for(user, payload.survivor_id) if payload.survivor_id else None
    case, created = actions.start_intake(
        by=user,
        survivor_values=payload.survivor.model_dump(exclude_unset=True),  # type: ignore[attr-defined]
        case_values=payload.case.model_dump(exclude_unset=True),  # type: ignore[attr-defined]
        submission_key=_submission_key(request, user.pk),
        survivor=survivor,
    )
    return Status(201 if created else 200, _case_out(case))


@router.get("/cases/{case_id}", response={200: CaseOut, **ERRORS})
def get_case(request: HttpRequest, case_id: uuid.UUID) -> dict:
    user = current_user(request)
    case = policy.case_for(user, case_id)
    out = _case_out(case, identity=policy.may_see_identity(user, case.survivor))
    return _audited(user, case, out, "case")


@router.patch("/cases/{case_id}", response={200: CaseOut, **ERRORS})
def patch_case(request: HttpRequest, case_id: uuid.UUID, payload: CaseIn) -> dict:  # type: ignore[valid-type]
    user = current_user(request)
    case = policy.case_for(user, case_id, Perm.CASE_EDIT)
    actions.update_case(by=user, case=case, values=payload.model_dump(exclude_unset=True))  # type: ignore[attr-defined]
    out = _case_out(case, identity=policy.may_see_identity(user, case.survivor))
    return _audited(user, case, out, "case")


@router.post("/cases/{case_id}/status", response={200: CaseOut, **ERRORS})
def change_status(request: HttpRequest, case_id: uuid.UUID, payload: StatusIn) -> dict:
    user = current_user(request)
    case = policy.case_for(user, case_id)
    case = actions.change_status(
        by=user,
        case=case,
        transition=payload.transition,
        closure_reason=payload.closure_reason,
        closure_details=payload.closure_details,
        reason=payload.reason,
    )
    return _case_out(case)


# --- records and screenings -------------------------------------------------------------------


def _record_model(kind: str) -> Any:
    model = queries.RECORD_MODELS.get(kind)
    if model is None:
        raise NotFound()
    return model


def _record_out(record: Any) -> dict[str, Any]:
    values = read_values(record, with_identity=True)
    return {k: _plain(v) for k, v in values.items()} | {
        "id": str(record.pk),
        "created_at": record.created_at.isoformat(),
        "created_by": str(record.created_by_id) if record.created_by_id else None,
    }


@router.get(
    "/cases/{case_id}/records/{kind}",
    response={200: list[dict], **ERRORS},
    summary="Events, services, support plans, follow-ups or notes of a case",
)
def list_records(request: HttpRequest, case_id: uuid.UUID, kind: str) -> list[dict]:
    user = current_user(request)
    case = policy.case_for(user, case_id)
    model = _record_model(kind)
    records = [_record_out(r) for r in model.objects.filter(case=case, org_id=user.org_id)]
    # One trace on the case for the whole list, fields named as the case page names them.
    shown = {f for r in records for f in sealed_shown(kind, r, prefix=f"{kind}.")}
    actions.record_identity_read(by=user, record=case, purpose="api", fields=sorted(shown))
    return records


@router.post("/cases/{case_id}/records/{kind}", response={201: dict, **ERRORS})
def add_record(
    request: HttpRequest, case_id: uuid.UUID, kind: str, payload: Body[dict[str, Any]]
) -> Status[dict[str, Any]]:
    user = current_user(request)
    case = policy.case_for(user, case_id, Perm.CASE_EDIT)
    record = actions.add_record(by=user, case=case, model=_record_model(kind), values=payload)
    return Status(201, _record_out(record))


@router.post(
    "/cases/{case_id}/screenings",
    response={201: ScreeningOut, **ERRORS},
    summary="Screen with the ILO/EC indicators; the result is computed and stored",
)
def screen(
    request: HttpRequest, case_id: uuid.UUID, payload: ScreeningIn
) -> Status[dict[str, Any]]:
    user = current_user(request)
    case = policy.case_for(user, case_id, Perm.CASE_EDIT)
    screening = actions.screen(by=user, case=case, **payload.model_dump())
    return Status(201, _screening_out(screening))


@router.get("/cases/{case_id}/screenings", response={200: list[ScreeningOut], **ERRORS})
def list_screenings(request: HttpRequest, case_id: uuid.UUID) -> list[dict]:
    user = current_user(request)
    case = policy.case_for(user, case_id)
    return [_screening_out(s) for s in Screening.objects.filter(case=case, org_id=user.org_id)]


def _screening_out(s: Screening) -> dict[str, Any]:
    return {
        "id": str(s.pk),
        "indicator_set": s.indicator_set,
        "indicators": s.indicators,
        "screened_on": s.screened_on,
        "indicators_met": s.indicators_met,
        "catalogue_version": s.catalogue_version,
        "result": s.result,
    }


# --- immigration (issue 14) -------------------------------------------------------------------


class StandingOut(Schema):
    status: str | None
    trp_stage: str | None
    trp_valid_until: dt.date | None
    pending_since: dt.date | None


class ImmigrationOut(Schema):
    survivor_id: str
    standing: StandingOut
    steps: list[dict[str, Any]]


@router.get(
    "/survivors/{survivor_id}/immigration",
    response={200: ImmigrationOut, **ERRORS},
    summary="A survivor's immigration timeline and the status computed from it",
)
def survivor_immigration(request: HttpRequest, survivor_id: uuid.UUID) -> dict[str, Any]:
    user = current_user(request)
    survivor = policy.survivor_for(user, survivor_id)
    records = list(queries.immigration_records(survivor))
    steps = [_record_out(r) | {"case_id": str(r.case_id)} for r in records]
    shown = {f for s in steps for f in sealed_shown("immigration_step", s, "immigration_step.")}
    actions.record_identity_read(by=user, record=survivor, purpose="api", fields=sorted(shown))
    found = immigration.standing(queries.immigration_steps(records), timezone.localdate())
    return {"survivor_id": str(survivor.pk), "standing": vars(found), "steps": steps}


class TrpReportOut(Schema):
    survivors: int
    pending: int
    issued: int
    renewed: int
    refused: int
    refused_by_reason: dict[str, int]
    lapsed: int
    family_members_covered: int
    median_wait_days: float | None
    longest_wait_days: int | None
    decided_applications: int
    pr_applied: int
    pr_granted: int


@router.get(
    "/immigration/report",
    response={200: TrpReportOut, **ERRORS},
    summary="Your organisation's temporary resident permit report (counts, no survivor data)",
)
def immigration_report(request: HttpRequest) -> dict[str, Any]:
    user = current_user(request)
    if not can(user, Perm.ORG_DASHBOARD):
        raise NotFound()
    return report_out(queries.immigration_timelines(user.org_id), timezone.localdate())


def report_out(timelines: dict[Any, Any], today: dt.date) -> dict[str, Any]:
    steps = (found for _province, found in timelines.values())
    return reports.organisation_report(steps, today).as_dict()
