"""The HSDS 3.0 API at /hsds/, following the Open Referral API reference (openapi.json).

Anyone may call it without a token and sees the public directory. A Harbour API token (or a
signed-in session) raises the audience to Harbour partners: partners-only locations appear, and
an organisation's own hidden locations appear to its own staff. Errors have Harbour's one shape:
{"error": {"code", "message", "fields"}}.
"""

import datetime as dt
import math
import uuid
from typing import Any

from django.db.models import Exists, FloatField, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from harbour.api.auth import TokenAuth
from harbour.api.errors import error_response, handle_domain_and_auth_errors
from harbour.core.errors import InvalidInput, NotFound
from harbour.directory import export, hsds, policy
from harbour.directory import models as m
from harbour.directory.index import ALL_STAGES
from harbour.directory.places import bounding_box, fold, resolve
from harbour.directory.regions import unplaced_q, with_region_distance

hsds_api = NinjaAPI(
    title="Harbour HSDS 3.0 API",
    version="3.0.0",
    description=(
        "The public part of Harbour's national service directory in Open Referral HSDS 3.0 "
        "(Harbour profile: eligibility, capacity and vacancy, closures, confidentiality). "
        "Without a token you see public services; with a Harbour API token "
        "(`Authorization: Bearer <token>`) partners-only locations too. Hidden safe-house "
        "addresses are never served. " + hsds.ATTRIBUTION
    ),
    urls_namespace="directory:hsds",  # mounted inside the directory app's URLs
    docs_url="/docs",
)
MAX_PER_PAGE = 200


handle_domain_and_auth_errors(
    hsds_api,
    unauthenticated=gettext_lazy(
        "Send a valid API token: Authorization: Bearer <token>, or none at all."
    ),
)


def _error(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
) -> HttpResponse:
    return error_response(hsds_api, request, status, code, message, fields)


@hsds_api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for item in exc.errors:
        name = ".".join(str(p) for p in item.get("loc", ()) if p not in ("query", "path"))
        fields.setdefault(name or "request", []).append(_("This value is not valid."))
    return _error(request, 422, "invalid", _("Some values are not valid."), fields)


@hsds_api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "error", str(exc))


def audience(request: HttpRequest) -> policy.Audience:
    """Anonymous is allowed; a token that is sent must be valid."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _sep, token = header.partition(" ")
        user = (
            TokenAuth().authenticate(request, token.strip()) if scheme.lower() == "bearer" else None
        )
        if user is None:
            raise AuthenticationError()
        return policy.audience_of(user)
    return policy.audience_of(getattr(request, "user", None))


# --- helpers ----------------------------------------------------------------------------------


def _uuid(value: str) -> uuid.UUID:
    """A record id in the path: a malformed one names no record, so 404 as any missing one."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound() from None


def _filter_uuid(value: str, name: str) -> uuid.UUID:
    """An id given as a filter: malformed is a bad request naming the parameter (422), not a
    missing record."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput({name: [_("Give an id (a UUID).")]}) from None


class ServiceFilters(Schema):
    """The HSDS API's filters of services and services at locations, declared once."""

    search: str = Field("", description="Words found in the service's name or description")
    taxonomy_term_id: str = Field("", description="Services with this taxonomy term")
    taxonomy_id: str = Field("", description="Services with a term of this taxonomy")
    organization_id: str = Field("", description="Services of this organization")
    modified_after: str = Field("", description="Changed at or after this ISO 8601 time")
    postcode: str = Field("", description="Near this postal code (its first three characters)")
    proximity: str = Field("", description="How near the postal code, in metres (50,000)")


MAX_PAGE = 1_000_000


def page_of(qs: QuerySet[Any], page: int, per_page: int) -> tuple[list[Any], dict[str, Any]]:
    if page < 1:
        raise InvalidInput({"page": [_("Pages start at 1.")]})
    if page > MAX_PAGE:  # beyond any directory; the database cannot even skip that far
        raise InvalidInput({"page": [_("Ask for a page from 1 to %(n)d.") % {"n": MAX_PAGE}]})
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(
            {"per_page": [_("Ask for 1 to %(n)d results per page.") % {"n": MAX_PER_PAGE}]}
        )
    total = qs.count()
    items = list(qs[(page - 1) * per_page : page * per_page])
    pages = max(1, math.ceil(total / per_page))
    meta = {
        "total_items": total,
        "total_pages": pages,
        "page_number": page,
        "size": len(items),
        "first_page": page == 1,
        "last_page": page >= pages,
        "empty": total == 0,
    }
    return items, meta


def _scalars(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not isinstance(v, list | dict)}


def _modified_after(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput({"modified_after": [_("Use an ISO 8601 date and time.")]}) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _service_filters(
    aud: policy.Audience, qs: QuerySet[Any], prefix: str, f: ServiceFilters
) -> QuerySet[Any]:
    """The HSDS query parameters, on services (prefix "") or service_at_locations. Every id and
    value is checked before any query runs, so a bad one is a 422 naming it."""
    term_id = _filter_uuid(f.taxonomy_term_id, "taxonomy_term_id") if f.taxonomy_term_id else None
    taxonomy_id = _filter_uuid(f.taxonomy_id, "taxonomy_id") if f.taxonomy_id else None
    org_id = _filter_uuid(f.organization_id, "organization_id") if f.organization_id else None
    when = _modified_after(f.modified_after)
    service_ref = OuterRef("service_id" if prefix else "pk")
    entry_ref = {"service_at_location": OuterRef("pk")} if prefix else {"service": OuterRef("pk")}
    for word in fold(f.search or "").split()[:8]:
        entries = policy.entries_for(aud).filter(stage=ALL_STAGES, **entry_ref)
        qs = qs.filter(Exists(entries.filter(text__contains=word)))
    # an external reference (docs/adr/0043) names its target in `extra` until it arrives
    if term_id:
        term_q = Q(term_id=term_id) | Q(extra__taxonomy_term_id=str(term_id))
        qs = qs.filter(Exists(m.Attribute.objects.filter(term_q, link_id=service_ref)))
    if taxonomy_id:
        attributes = m.Attribute.objects.filter(link_id=service_ref, term__taxonomy_id=taxonomy_id)
        qs = qs.filter(Exists(attributes))
    if org_id:
        qs = qs.filter(
            Q(**{f"{prefix}provider_id": org_id})
            | Q(**{f"{prefix}extra__organization_id": str(org_id)})
        )
    if when:
        qs = qs.filter(**{f"{prefix}updated_at__gte": when})
    if f.postcode:
        qs = qs.filter(Exists(_near_entries(aud, entry_ref, f.postcode, f.proximity)))
    return qs


def _near_entries(
    aud: policy.Audience, ref: dict[str, Any], postcode: str, proximity: str
) -> QuerySet:
    """Index rows within `proximity` metres of the postal code's centroid, or serving it without
    a disclosed position (phone or online in its province, hidden with a region that holds it)."""
    from harbour.directory.nearby import d2 as _d2

    try:
        place = resolve(postcode)
    except InvalidInput as exc:  # name the API's parameter, not the web form's
        raise InvalidInput({"postcode": exc.errors.get("place", [])}) from None
    try:
        metres = float(proximity) if proximity else 50_000.0
    except ValueError:
        raise InvalidInput({"proximity": [_("Give the distance in metres.")]}) from None
    if not 0 < metres <= 5_000_000:
        raise InvalidInput({"proximity": [_("Give a distance between 1 and 5,000,000 metres.")]})
    km = metres / 1000
    lat0, lat1, lon0, lon1 = bounding_box(place.latitude, place.longitude, km)
    return (
        with_region_distance(policy.entries_for(aud).filter(stage=ALL_STAGES, **ref), place)
        .annotate(d2=Cast(_d2(place), FloatField()))
        .filter(
            Q(
                latitude__gte=lat0,
                latitude__lte=lat1,
                longitude__gte=lon0,
                longitude__lte=lon1,
                d2__lte=(km / 111.195) ** 2,
            )
            | unplaced_q(place)
        )
    )


# --- endpoints --------------------------------------------------------------------------------


@hsds_api.get("/", response=dict, summary="About this API and its HSDS profile")
def meta(request: HttpRequest) -> dict[str, Any]:
    base = request.build_absolute_uri("/")[:-1]
    return {
        "version": hsds.HSDS_VERSION,
        "profile": export.PROFILE_URI,
        "openapi_url": base + reverse("directory:hsds:openapi-json"),
        "attribution": hsds.ATTRIBUTION,
    }


@hsds_api.get("/services", response=dict, summary="Paginated services")
def services(
    request: HttpRequest,
    filters: Query[ServiceFilters],
    page: int = 1,
    per_page: int = 50,
    minimal: bool = False,
    full: bool = False,
) -> dict[str, Any]:
    aud = audience(request)
    qs = _service_filters(aud, policy.services_for(aud), "", filters).order_by("name", "id")
    items, meta = page_of(qs, page, per_page)
    if minimal:
        return meta | {
            "contents": [
                {"id": str(s.pk), "last_modified": s.updated_at.isoformat()} for s in items
            ]
        }
    bundle = export.bundle_for(
        aud, m.Service.objects.filter(pk__in=[s.pk for s in items]), with_taxonomies=False
    )
    nested = {s["id"]: s for s in hsds.nested_services(bundle)}
    contents = [nested[str(s.pk)] for s in items if str(s.pk) in nested]
    if not full:
        contents = [_list_service(s) for s in contents]
    return meta | {"contents": contents}


def _list_service(service: dict[str, Any]) -> dict[str, Any]:
    out = _scalars(service)
    if "organization" in service:
        out["organization"] = _scalars(service["organization"])
    return out


@hsds_api.get("/services/{id}", response=dict, summary="One fully nested service")
def service(request: HttpRequest, id: str) -> dict[str, Any]:
    aud = audience(request)
    found = policy.service_for(aud, _uuid(id))
    bundle = export.bundle_for(aud, m.Service.objects.filter(pk=found.pk), with_taxonomies=True)
    return hsds.nested_services(bundle)[0]


@hsds_api.get("/organizations", response=dict, summary="Paginated organizations")
def organizations(
    request: HttpRequest,
    search: str = "",
    full_service: bool = False,
    full: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> dict[str, Any]:
    aud = audience(request)
    qs = policy.providers_for(aud)
    for word in (search or "").split()[:8]:
        qs = qs.filter(Q(name__icontains=word) | Q(description__icontains=word))
    items, meta = page_of(qs.order_by("name", "id"), page, per_page)
    if not full:
        return meta | {"contents": [hsds.row_of(hsds.BY_NAME["organization"], p) for p in items]}
    return meta | {"contents": _organizations(aud, items, full_service)}


@hsds_api.get("/organizations/{id}", response=dict, summary="One fully nested organization")
def organization(request: HttpRequest, id: str, full_service: bool = False) -> dict[str, Any]:
    aud = audience(request)
    return _organizations(aud, [policy.provider_for(aud, _uuid(id))], full_service)[0]


def _organizations(
    aud: policy.Audience, providers: list[m.Provider], full_service: bool
) -> list[dict[str, Any]]:
    """Fully nested organizations, from one bundle for all of them, in the given order."""
    ids = [p.pk for p in providers]
    bundle = export.bundle_for(
        aud,
        m.Service.objects.filter(provider_id__in=ids),
        providers=m.Provider.objects.filter(pk__in=ids),
        with_taxonomies=False,
    )
    nested = {o["id"]: o for o in hsds.nested_organizations(bundle, with_services=True)}
    out = [nested[str(pk)] for pk in ids]
    if not full_service:
        for org in out:
            org["services"] = [_scalars(s) for s in org.get("services", [])]
    return out


@hsds_api.get("/service_at_locations", response=dict, summary="Paginated services at locations")
def service_at_locations(
    request: HttpRequest,
    filters: Query[ServiceFilters],
    full: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> dict[str, Any]:
    aud = audience(request)
    qs = _service_filters(aud, policy.service_at_locations_for(aud), "service__", filters).order_by(
        "service__name", "id"
    )
    items, meta = page_of(qs, page, per_page)
    nester = _sal_nester(aud, {sal.service_id for sal in items})
    return meta | {"contents": [_sal(nester, sal, full) for sal in items]}


@hsds_api.get(
    "/service_at_locations/{id}", response=dict, summary="One fully nested service at location"
)
def service_at_location(request: HttpRequest, id: str) -> dict[str, Any]:
    aud = audience(request)
    found = policy.service_at_locations_for(aud).filter(pk=_uuid(id)).first()
    if found is None:
        raise NotFound()
    return _sal(_sal_nester(aud, {found.service_id}), found, True)


def _sal_nester(aud: policy.Audience, service_ids: set[Any]) -> hsds.Nester:
    """One bundle for a whole page (its services and everything they hold), not one per item."""
    services = m.Service.objects.filter(pk__in=service_ids)
    return hsds.Nester(export.bundle_for(aud, services, with_taxonomies=False))


def _sal(nester: hsds.Nester, sal: m.ServiceAtLocation, full: bool) -> dict[str, Any]:
    row = nester.rows["service_at_location"][str(sal.pk)]
    nested = nester.nest("service_at_location", row)
    service_row = nester.rows["service"][str(sal.service_id)]
    nested["service"] = (
        nester.nest("service", service_row, skip=frozenset({"service_at_locations"}))
        if full
        else _scalars(service_row)
    )
    if not full:
        nested = _scalars(nested) | {
            "location": _scalars(nested.get("location", {})),
            "service": nested["service"],
        }
    return nested


@hsds_api.get("/taxonomies", response=dict, summary="Paginated taxonomies")
def taxonomies(
    request: HttpRequest, search: str = "", page: int = 1, per_page: int = 50
) -> dict[str, Any]:
    qs = m.Taxonomy.objects.all()
    for word in (search or "").split()[:8]:
        qs = qs.filter(name__icontains=word)
    items, meta = page_of(qs.order_by("name", "id"), page, per_page)
    return meta | {"contents": [hsds.row_of(hsds.BY_NAME["taxonomy"], t) for t in items]}


@hsds_api.get("/taxonomies/{id}", response=dict, summary="One taxonomy")
def taxonomy(request: HttpRequest, id: str) -> dict[str, Any]:
    found = m.Taxonomy.objects.filter(pk=_uuid(id)).first()
    if found is None:
        raise NotFound()
    return hsds.row_of(hsds.BY_NAME["taxonomy"], found)


@hsds_api.get("/taxonomy_terms", response=dict, summary="Paginated taxonomy terms")
def taxonomy_terms(
    request: HttpRequest,
    search: str = "",
    page: int = 1,
    per_page: int = 50,
    taxonomy_id: str = "",
    top_only: bool = False,
    parent_id: str = "",
) -> dict[str, Any]:
    qs = m.TaxonomyTerm.objects.select_related("taxonomy")
    for word in (search or "").split()[:8]:
        qs = qs.filter(
            Q(name__icontains=word) | Q(name_fr__icontains=word) | Q(code__icontains=word)
        )
    if taxonomy_id:
        qs = qs.filter(taxonomy_id=_filter_uuid(taxonomy_id, "taxonomy_id"))
    if parent_id:
        qs = qs.filter(parent_id=_filter_uuid(parent_id, "parent_id"))
    if top_only:
        qs = qs.filter(parent__isnull=True)
    items, meta = page_of(qs.order_by("code", "id"), page, per_page)
    return meta | {"contents": [_term(t) for t in items]}


@hsds_api.get("/taxonomy_terms/{id}", response=dict, summary="One taxonomy term")
def taxonomy_term(request: HttpRequest, id: str) -> dict[str, Any]:
    found = m.TaxonomyTerm.objects.filter(pk=_uuid(id)).select_related("taxonomy").first()
    if found is None:
        raise NotFound()
    return _term(found)


def _term(term: m.TaxonomyTerm) -> dict[str, Any]:
    row = hsds.row_of(hsds.BY_NAME["taxonomy_term"], term)
    if term.taxonomy is not None:
        row["taxonomy_detail"] = hsds.row_of(hsds.BY_NAME["taxonomy"], term.taxonomy)
    return row
