"""Who may see what of the directory: THE confidentiality policy (docs/adr/0010).

Every interface — pages, the HSDS API, exports, the coverage map, handouts, search results and
error messages — gets directory records and location details only through this module.

Levels of a location:
- public: everyone sees it.
- partners: signed-in Harbour staff (any organisation) see it and its address; the public does
  not learn that it exists.
- hidden: everyone may learn that the service exists in a province and call its intake line; the
  address and coordinates never leave the owning organisation. They are sealed with that
  organisation's key, are not in the search index, and no distance is ever computed from them
  (a distance shown from many starting points would reveal the place: trilateration).

Missing and not allowed look the same (NotFound).
"""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from harbour.accounts.policy import Perm, can
from harbour.core.errors import NotFound
from harbour.directory import regions
from harbour.directory.models import (
    Address,
    Confidentiality,
    HiddenAddress,
    HiddenRegion,
    Location,
    Provider,
    SearchEntry,
    Service,
    ServiceAtLocation,
)
from harbour.orgs import crypto

PUBLIC, PARTNERS, HIDDEN = Confidentiality.PUBLIC, Confidentiality.PARTNERS, Confidentiality.HIDDEN


@dataclass(frozen=True)
class Audience:
    """Who is looking: the public, or Harbour staff of one organisation."""

    signed_in: bool = False
    org_id: Any = None
    user: Any = field(default=None, compare=False)

    @property
    def is_public(self) -> bool:
        return not self.signed_in


PUBLIC_AUDIENCE = Audience()


def audience_of(user: Any) -> Audience:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return PUBLIC_AUDIENCE
    return Audience(signed_in=True, org_id=user.org_id, user=user)


def system_audience() -> Audience:
    """Commands and bulk exports acting for nobody in particular: the partner level, never an
    organisation's hidden addresses."""
    return Audience(signed_in=True, org_id=None)


# --- which records exist for this audience ----------------------------------------------------


def known_locations_q(aud: Audience, prefix: str = "") -> Q:
    """Locations whose existence the audience may learn (not necessarily their address)."""
    levels = [PUBLIC, HIDDEN] + ([PARTNERS] if aud.signed_in else [])
    q = Q(**{f"{prefix}confidentiality__in": levels})
    if aud.org_id:
        q |= Q(**{f"{prefix}org_id": aud.org_id})
    return q


def address_q(aud: Audience, prefix: str = "") -> Q:
    """Locations whose address and coordinates the audience may see."""
    levels = [PUBLIC] + ([PARTNERS] if aud.signed_in else [])
    q = Q(**{f"{prefix}confidentiality__in": levels})
    if aud.org_id:
        q |= Q(**{f"{prefix}org_id": aud.org_id})
    return q


def may_see_address(aud: Audience, location: Location) -> bool:
    return _may_see(aud, location.confidentiality, location.org_id)


def _may_see(aud: Audience, confidentiality: str, org_id: Any) -> bool:
    if confidentiality == PUBLIC:
        return True
    if confidentiality == PARTNERS and aud.signed_in:
        return True
    return bool(aud.org_id) and org_id == aud.org_id


def locations_for(aud: Audience) -> QuerySet[Location]:
    """Locations the audience may see in full (used by exports and the HSDS API)."""
    return Location.objects.filter(address_q(aud))


def service_at_locations_for(aud: Audience) -> QuerySet[ServiceAtLocation]:
    return ServiceAtLocation.objects.filter(address_q(aud, "location__")).filter(
        service__in=services_for(aud)
    )


def services_for(aud: Audience) -> QuerySet[Service]:
    """A service is listed if it has no location (phone or online only) or one the audience may
    know of. A service whose every location is partners-only does not exist for the public."""
    any_place = ServiceAtLocation.objects.filter(service=OuterRef("pk"))
    known = any_place.filter(known_locations_q(aud, "location__"))
    return Service.objects.filter(~Exists(any_place) | Exists(known))


def service_for(aud: Audience, service_id: Any) -> Service:
    found = services_for(aud).filter(pk=service_id).select_related("provider").first()
    if found is None:
        raise NotFound()
    return found


def providers_for(aud: Audience) -> QuerySet[Provider]:
    """Providers with at least one listed service, or none at all (an organisation entry)."""
    listed = services_for(aud).filter(provider=OuterRef("pk"))
    any_service = Service.objects.filter(provider=OuterRef("pk"))
    return Provider.objects.filter(Exists(listed) | ~Exists(any_service))


def provider_for(aud: Audience, provider_id: Any) -> Provider:
    found = providers_for(aud).filter(pk=provider_id).first()
    if found is None:
        raise NotFound()
    return found


def entries_q(aud: Audience) -> Q:
    """Search-index rows the audience may match (hidden rows carry no coordinates at all)."""
    levels = [PUBLIC, HIDDEN] + ([PARTNERS] if aud.signed_in else [])
    q = Q(confidentiality__in=levels)
    if aud.org_id:
        q |= Q(org_id=aud.org_id)
    return q


def entries_for(aud: Audience) -> QuerySet[SearchEntry]:
    return SearchEntry.objects.filter(entries_q(aud))


# --- what of a location the audience may see -----------------------------------------------


@dataclass(frozen=True)
class ShownPlace:
    """A location as this audience may see it. For a confidential one only `province` is set."""

    confidential: bool
    province: str
    location: Location | None = None
    name: str = ""
    addresses: list[dict[str, Any]] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None
    region: str = ""  # a hidden location's coarse service region, described (docs/adr/0044)

    @property
    def city(self) -> str:
        return self.addresses[0].get("city", "") if self.addresses else ""


def shown_place(aud: Audience, location: Location) -> ShownPlace | None:
    """None when the audience may not even know the location exists."""
    # only a hidden location has a service region (docs/adr/0044): one query, and only for it
    region = (
        HiddenRegion.objects.filter(location=location).values_list("km", "label").first()
        if location.confidentiality == HIDDEN
        else None
    )
    if may_see_address(aud, location):
        detail = sealed_detail(location) if location.confidentiality == HIDDEN else {}
        addresses = detail.get("addresses") or [_address_dict(a) for a in location.addresses.all()]
        return ShownPlace(
            confidential=False,
            province=location.province,
            location=location,
            name=location.name,
            addresses=addresses,
            latitude=detail.get("latitude", location.latitude),
            longitude=detail.get("longitude", location.longitude),
            region=regions.describe(*region) if region else "",
        )
    return _confidential(aud, location.confidentiality, location.province, region)


def _confidential(
    aud: Audience, confidentiality: str, province: str, region: tuple[Any, Any] | None = None
) -> ShownPlace | None:
    """A location whose address the audience may not see: known to exist in its province (and
    for a hidden one, in its coarse service region), or (partners-only, for the public) not at
    all."""
    if confidentiality == HIDDEN:
        described = regions.describe(*region) if region and region[0] else ""
        return ShownPlace(confidential=True, province=province, region=described)
    if confidentiality == PARTNERS and aud.signed_in:
        return ShownPlace(confidential=True, province=province)
    return None


def card_places(aud: Audience, sal_ids: set[Any]) -> dict[Any, ShownPlace | None]:
    """Places of result cards by service-at-location id: what `shown_place` gives (without
    the model), read in two narrow queries; an owner's own hidden location is opened whole."""
    columns = ("pk", "location_id", *(f"location__{n}" for n in _CARD_LOCATION))
    out: dict[Any, ShownPlace | None] = {}
    open_ids: dict[Any, dict[str, Any]] = {}
    for sal_id, location_id, *values in ServiceAtLocation.objects.filter(
        pk__in=sal_ids
    ).values_list(*columns):
        loc = dict(zip(_CARD_LOCATION, values, strict=True))
        visible = _may_see(aud, loc["confidentiality"], loc["org_id"])
        if visible and loc["confidentiality"] == HIDDEN:
            # Its owner, whose address is sealed in its own row: rare, so one by one.
            out[sal_id] = shown_place(aud, Location.objects.get(pk=location_id))
        elif visible:
            open_ids[sal_id] = dict(loc, id=location_id)
        else:
            out[sal_id] = _confidential(
                aud,
                loc["confidentiality"],
                loc["province"],
                (loc["region__km"], loc["region__label"]),
            )
    addresses = _addresses_of({loc["id"] for loc in open_ids.values()})
    for sal_id, loc in open_ids.items():
        out[sal_id] = ShownPlace(
            confidential=False,
            province=loc["province"],
            name=loc["name"],
            addresses=addresses.get(loc["id"], []),
            latitude=loc["latitude"],
            longitude=loc["longitude"],
        )
    return out


_CARD_LOCATION = (
    "confidentiality",
    "org_id",
    "province",
    "name",
    "latitude",
    "longitude",
    "region__km",
    "region__label",
)


def _addresses_of(location_ids: set[Any]) -> dict[Any, list[dict[str, Any]]]:
    out: dict[Any, list[dict[str, Any]]] = {}
    for row in Address.objects.filter(location_id__in=location_ids).values(
        "location_id", "pk", *_ADDRESS_FIELDS
    ):
        out.setdefault(row.pop("location_id"), []).append({"id": str(row.pop("pk")), **row})
    return out


def shown_places(aud: Audience, service: Service) -> list[ShownPlace]:
    places = []
    for sal in service.at_locations.select_related("location").all():
        shown = shown_place(aud, sal.location)
        if shown is not None:
            places.append(shown)
    return places


def sealed_detail(location: Location) -> dict[str, Any]:
    """Open a hidden location's sealed address. Callers have checked `may_see_address`; on
    PostgreSQL the row is found only in its organisation's scope or `all` (ADR 40), so a
    caller that skipped the check finds nothing to open."""
    found = HiddenAddress.objects.filter(location_id=location.pk).first()
    return crypto.open_record(found) if found is not None else {}


_ADDRESS_FIELDS = (
    "address_1",
    "address_2",
    "city",
    "state_province",
    "postal_code",
    "country",
    "attention",
    "region",
    "address_type",
    "extra",
)


def _address_dict(address: Any) -> dict[str, Any]:
    return {"id": str(address.pk), **{name: getattr(address, name) for name in _ADDRESS_FIELDS}}


# --- who may change what ----------------------------------------------------------------------


def may_manage_all(user: Any) -> bool:
    return can(user, Perm.DIRECTORY_MANAGE_ALL)


def manageable_services(user: Any) -> QuerySet[Service]:
    if may_manage_all(user):
        return Service.objects.all()
    if can(user, Perm.DIRECTORY_MANAGE):
        return Service.objects.filter(org_id=user.org_id)
    return Service.objects.none()


def manageable_service(user: Any, service_id: Any) -> Service:
    found = manageable_services(user).filter(pk=service_id).select_related("provider").first()
    if found is None:
        raise NotFound()
    return found


def manageable_providers(user: Any) -> QuerySet[Provider]:
    if may_manage_all(user):
        return Provider.objects.all()
    if can(user, Perm.DIRECTORY_MANAGE):
        return Provider.objects.filter(org_id=user.org_id)
    return Provider.objects.none()


def manageable_locations(user: Any) -> QuerySet[Location]:
    if may_manage_all(user):
        return Location.objects.all()
    if can(user, Perm.DIRECTORY_MANAGE):
        return Location.objects.filter(org_id=user.org_id)
    return Location.objects.none()


def manageable_location(user: Any, location_id: Any) -> Location:
    found = manageable_locations(user).filter(pk=location_id).first()
    if found is None:
        raise NotFound()
    return found


def may_edit_hidden_address(user: Any, location: Location) -> bool:
    """Even a system admin never reads or rewrites a hidden address of another organisation."""
    return location.org_id is not None and location.org_id == getattr(user, "org_id", None)
