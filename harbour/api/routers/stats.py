"""Statistics: the catalogue, published releases (the only way figures leave Harbour), release
definition and review for analysts, the privacy budget, research extract requests."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from harbour.api.auth import current_user
from harbour.api.routers.cases import ERRORS
from harbour.core.errors import NotFound
from harbour.stats import actions, policy, presentation, queries
from harbour.stats.catalogue import VARIABLES
from harbour.stats.models import NATIONAL, RESEARCH, ExtractRequest, Release

router = Router(tags=["stats"])


class VariableOut(Schema):
    id: str
    label: str
    multi: bool
    categories: list[str]


class ReleaseOut(Schema):
    id: str
    version: int
    title: str
    title_fr: str
    status: str
    row_variable: str
    col_variable: str
    layer_variable: str = Field(
        "", description="Three-way tables: the variable with one table per code; empty otherwise."
    )
    method: str
    epsilon: str | None
    first_year: int | None
    last_year: int | None
    published_at: dt.datetime | None
    metadata: dict[str, Any] = Field(description="What a download carries with the figures.")
    table: dict[str, Any] | None = Field(
        None,
        description=(
            "Published figures only (null while a draft); null cells are withheld. A three-way "
            "table (layer_variable set) holds `layers`: [{code, table}] (each a two-way table "
            "with its margins), `summed` (the two-way table over all layers), `layer_totals` "
            "and `total`."
        ),
    )


class ReleaseIn(Schema):
    title: str = Field(max_length=200)
    title_fr: str = Field("", max_length=200)
    row_variable: str = Field(max_length=40)
    col_variable: str = Field("", max_length=40)
    layer_variable: str = Field(
        "",
        max_length=40,
        description="a one-code variable for a three-way table (rounding or dp only), or empty",
    )
    method: str = Field(max_length=20, description="suppression, rounding or dp")
    epsilon: str | None = Field(None, max_length=12, description='for dp, e.g. "0.5"')
    first_year: int | None = None
    last_year: int | None = None


class DatasetBudgetOut(Schema):
    dataset: str
    epsilon_total: str = Field(description='"0" when no budget is set.')
    epsilon_spent: str
    epsilon_left: str
    is_set: bool = Field(description="False: nothing that spends this budget is allowed yet.")
    ledger: list[dict[str, str]] = Field(
        description="One line per spend: {release} or {extract}, epsilon, at (ISO 8601)."
    )


class BudgetOut(DatasetBudgetOut):
    """The national budget (releases) at the top level, as always, and the research one."""

    research: DatasetBudgetOut = Field(
        description="The research budget that synthetic extracts spend (ADR 29)."
    )


class ExtractIn(Schema):
    purpose: str = Field(max_length=2000)
    first_year: int | None = None
    last_year: int | None = None
    method: Literal["kanon", "synthetic"] = Field(
        "kanon", description="k-anonymised microdata, or differentially private synthetic rows."
    )
    epsilon: str | None = Field(
        None,
        description="Synthetic only: 0.1 to 10 (default 1), spent once from the research "
        "privacy budget at approval.",
    )


class ExtractOut(Schema):
    id: str
    status: str
    method: str
    epsilon: str | None
    k: int
    created_at: dt.datetime
    downloads: int


def _release_out(release: Release) -> dict[str, Any]:
    return {
        "id": str(release.pk),
        "version": release.version,
        "title": release.title,
        "title_fr": release.title_fr,
        "status": release.status,
        "row_variable": release.row_variable,
        "col_variable": release.col_variable,
        "layer_variable": release.layer_variable,
        "method": release.method,
        "epsilon": str(release.epsilon) if release.epsilon is not None else None,
        "first_year": release.first_year,
        "last_year": release.last_year,
        "published_at": release.published_at,
        "metadata": presentation.release_metadata(release),
        "table": release.result if release.is_published else None,
    }


def _extract_out(found: ExtractRequest) -> dict[str, Any]:
    return {
        "id": str(found.pk),
        "status": found.status,
        "method": found.method,
        "epsilon": str(found.epsilon) if found.epsilon is not None else None,
        "k": found.k,
        "created_at": found.created_at,
        "downloads": found.downloads,
    }


@router.get("/catalogue", response={200: list[VariableOut], **ERRORS})
def catalogue(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {"id": v.id, "label": str(v.label), "multi": v.multi, "categories": v.categories()}
        for v in VARIABLES.values()
    ]


@router.get("/releases", response={200: list[ReleaseOut], **ERRORS})
def list_releases(request: HttpRequest) -> list[dict[str, Any]]:
    user = current_user(request)
    return [_release_out(r) for r in policy.releases_visible_to(user)[:200]]


@router.get("/releases/{release_id}", response={200: ReleaseOut, **ERRORS})
def get_release(request: HttpRequest, release_id: str) -> dict[str, Any]:
    return _release_out(policy.release_for(current_user(request), release_id))


@router.post("/releases", response={201: ReleaseOut, **ERRORS}, summary="Define a draft release")
def create_release(request: HttpRequest, payload: ReleaseIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    policy.require_analyst(user)
    release = actions.create_release(by=user, **payload.model_dump())
    return Status(201, _release_out(release))


@router.post(
    "/releases/{release_id}/publish",
    response={200: ReleaseOut, **ERRORS},
    summary="Review and publish a draft (a second analyst; spends budget for dp)",
)
def publish_release(request: HttpRequest, release_id: str) -> dict[str, Any]:
    user = current_user(request)
    policy.require_analyst(user)
    release = actions.publish_release(by=user, release=policy.release_for(user, release_id))
    return _release_out(release)


@router.post("/releases/{release_id}/reject", response={200: ReleaseOut, **ERRORS})
def reject_release(request: HttpRequest, release_id: str) -> dict[str, Any]:
    user = current_user(request)
    policy.require_analyst(user)
    release = actions.reject_release(by=user, release=policy.release_for(user, release_id))
    return _release_out(release)


@router.get("/budget", response={200: BudgetOut, **ERRORS})
def budget(request: HttpRequest) -> dict[str, Any]:
    policy.require_analyst(current_user(request))
    return _budget_out(NATIONAL) | {"research": _budget_out(RESEARCH)}


def _budget_out(dataset: str) -> dict[str, Any]:
    found = queries.budget(dataset)
    if found is None:
        return {
            "dataset": dataset,
            "epsilon_total": "0",
            "epsilon_spent": "0",
            "epsilon_left": "0",
            "is_set": False,
            "ledger": [],
        }
    return {
        "dataset": dataset,
        "epsilon_total": str(found["total"]),
        "epsilon_spent": str(found["spent"]),
        "epsilon_left": str(found["left"]),
        "is_set": True,
        "ledger": [
            {
                ("release" if s.release_id else "extract"): str(s.release_id or s.extract_id),
                "epsilon": str(s.epsilon),
                "at": s.created_at.isoformat(),
            }
            for s in found["ledger"]
        ],
    }


@router.get("/extracts", response={200: list[ExtractOut], **ERRORS})
def list_extracts(request: HttpRequest) -> list[dict[str, Any]]:
    return [_extract_out(x) for x in policy.extract_list_for(current_user(request))[:200]]


@router.post("/extracts", response={201: ExtractOut, **ERRORS}, summary="Request research data")
def request_extract(request: HttpRequest, payload: ExtractIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    if not policy.can_request_extracts(user):
        raise NotFound()
    found = actions.request_extract(by=user, **payload.model_dump())
    return Status(201, _extract_out(found))


class DecisionIn(Schema):
    approve: bool


@router.post("/extracts/{request_id}/decision", response={200: ExtractOut, **ERRORS})
def decide_extract(request: HttpRequest, request_id: str, payload: DecisionIn) -> dict[str, Any]:
    user = current_user(request)
    policy.require_analyst(user)
    found = actions.decide_extract(
        by=user, request=policy.extract_for(user, request_id), approve=payload.approve
    )
    return _extract_out(found)


class ContributorOut(Schema):
    name: str
    cases: int
    completeness: int
    emptiest: str
    median_days_to_record: int | None
    open_loops: int


class QualityOut(Schema):
    contributors: list[ContributorOut]
    emptiest_fields: list[tuple[str, int]]
    idle_agreements: list[str]
    silent_provinces: list[str]
    completeness_trend: list[tuple[str, int]]


@router.get(
    "/quality",
    response={200: QualityOut, **ERRORS},
    summary="Data quality per contributor and information-sharing gaps (analysts)",
)
def data_quality(request: HttpRequest) -> dict[str, Any]:
    policy.require_analyst(current_user(request))
    from harbour.stats import quality

    return {
        "contributors": [c.__dict__ for c in quality.contributors()],
        "emptiest_fields": quality.emptiest_fields(),
        "idle_agreements": quality.idle_agreements(),
        "silent_provinces": quality.silent_provinces(),
        "completeness_trend": quality.completeness_trend(),
    }
