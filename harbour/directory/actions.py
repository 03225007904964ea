"""Every write to the directory: keyword-only, an explicit actor, one transaction, audited, and
the search index refreshed in the same transaction."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from harbour.accounts.policy import Perm, can
from harbour.audit.actions import Actor, lock_chains, record_event
from harbour.core.errors import Forbidden, InvalidInput
from harbour.directory import index, policy, references, regions, sealing
from harbour.directory.models import (
    ELIGIBILITY_FLAGS,
    Address,
    Attribute,
    Closure,
    Confidentiality,
    ExtraRecord,
    HiddenRegion,
    Language,
    Location,
    LocationType,
    Phone,
    Provider,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from harbour.directory.pathway import TAXONOMY_URI, pathway
from harbour.directory.places import provinces
from harbour.standard.dictionary import current

SERVICE_FIELDS = (
    "name",
    "alternate_name",
    "description",
    "url",
    "email",
    "status",
    "interpretation_services",
    "application_process",
    "fees_description",
    "eligibility_description",
    "minimum_age",
    "maximum_age",
    "alert",
    "genders",
    *ELIGIBILITY_FLAGS,
    "capacity_unit",
    "capacity_total",
    "capacity_available",
    "waitlist",
)
LOCATION_FIELDS = ("name", "description", "transportation", "location_type", "confidentiality")
ADDRESS_FIELDS = ("address_1", "address_2", "city", "state_province", "postal_code")


def _audit(by: Actor, action: str, record: Any, fields: Any = (), **context: Any) -> None:
    record_event(
        by=by,
        action=f"directory.{action}",
        org_id=getattr(record, "org_id", None),
        target_type=record._meta.model_name,
        target_id=record.pk,
        fields=fields,
        context=context or None,
    )


def _is_system(by: Any) -> bool:
    return str(getattr(by, "role", "")).startswith("system:")


def _require_manage(by: Any, record: Service | Provider | Location | None) -> None:
    """A provider's staff manage their organisation's entries; system admins manage all."""
    if _is_system(by) or policy.may_manage_all(by):
        return
    own = record is None or (record.org_id is not None and record.org_id == by.org_id)
    if not (can(by, Perm.DIRECTORY_MANAGE) and own):
        raise Forbidden()


# --- taxonomy ---------------------------------------------------------------------------------


@transaction.atomic
def ensure_taxonomy(*, by: Actor) -> Taxonomy:
    """Create or refresh Harbour's taxonomy and its terms (EN/FR) from data/taxonomy.yaml."""
    info = pathway().taxonomy
    taxonomy, created = Taxonomy.objects.update_or_create(
        pk=info["id"],
        defaults={
            "name": info["name"]["en"],
            "description": info["description"]["en"],
            "uri": TAXONOMY_URI,
            "version": str(info["version"]),
            "extra": {"name_fr": info["name"]["fr"], "description_fr": info["description"]["fr"]},
        },
    )
    for term in pathway().terms.values():
        TaxonomyTerm.objects.update_or_create(
            pk=term.id,
            defaults={
                "taxonomy": taxonomy,
                "code": term.code,
                "name": term.label.en,
                "name_fr": term.label.fr,
                "description": term.label.en,
                "taxonomy_label": info["name"]["en"],
                "language": "en",
                "term_uri": f"{TAXONOMY_URI}#{term.code}",
            },
        )
    if created:
        _audit(by, "taxonomy.created", taxonomy, ["name", "terms"])
    return taxonomy


# --- providers and services -------------------------------------------------------------------


@transaction.atomic
def create_provider(
    *,
    by: Actor,
    name: str,
    description: str = "",
    org: Any = None,
    is_synthetic: bool = False,
    **values: Any,
) -> Provider:
    _require_manage(by, None)
    if not name.strip():
        raise InvalidInput({"name": [_("Enter the organisation's name.")]})
    if org is None and not (policy.may_manage_all(by) or _is_system(by)):
        org = by.org_id
    provider = Provider.objects.create(
        name=name.strip(),
        description=description,
        org_id=getattr(org, "pk", org),
        is_synthetic=is_synthetic,
        **values,
    )
    _audit(by, "provider.created", provider, ["name", "description", *values])
    # records that named this organisation before it was here now link to it (docs/adr/0043)
    index.refresh(references.relink({"organization": [{"id": str(provider.pk)}]}))
    return provider


def _validated_service(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[Any]] = {}
    clean = {k: v for k, v in values.items() if k in SERVICE_FIELDS}
    if "name" in clean and not str(clean["name"] or "").strip():
        errors["name"] = [_("Enter the service's name.")]
    low, high = clean.get("minimum_age"), clean.get("maximum_age")
    for name, age in (("minimum_age", low), ("maximum_age", high)):
        if age is not None and not 0 <= int(age) <= 120:
            errors[name] = [_("Enter an age between 0 and 120.")]
    if low is not None and high is not None and int(low) > int(high):
        errors["maximum_age"] = [_("The maximum age cannot be less than the minimum age.")]
    gender_codes = {c.code for c in current().codelists["gender_identity"].codes}
    if any(g not in gender_codes for g in clean.get("genders") or []):
        errors["genders"] = [_("Choose genders from the list.")]
    total, available = clean.get("capacity_total"), clean.get("capacity_available")
    if total is not None and available is not None and available > total:
        errors["capacity_available"] = [_("More places are available than the total capacity.")]
    if errors:
        raise InvalidInput(errors)
    return clean


@transaction.atomic
def create_service(
    *,
    by: Actor,
    provider: Provider,
    values: dict[str, Any],
    terms: list[str] | None = None,
    languages: list[str] | None = None,
    areas: list[str] | None = None,
    phone: str = "",
    is_synthetic: bool = False,
) -> Service:
    _require_manage(by, provider)
    clean = _validated_service(values)
    service = Service.objects.create(
        provider=provider, org_id=provider.org_id, is_synthetic=is_synthetic, **clean
    )
    _set_links(service, terms or [], languages or [], areas or [], phone)
    _audit(by, "service.created", service, [*clean, "terms", "languages", "areas"])
    index.refresh([service.pk])
    return service


@transaction.atomic
def update_service(
    *,
    by: Actor,
    service: Service,
    values: dict[str, Any],
    terms: list[str] | None = None,
    languages: list[str] | None = None,
    areas: list[str] | None = None,
    phone: str | None = None,
) -> list[str]:
    _require_manage(by, service)
    clean = _validated_service({**{f: getattr(service, f) for f in SERVICE_FIELDS}, **values})
    changed = [k for k, v in clean.items() if getattr(service, k) != v]
    for name in changed:
        setattr(service, name, clean[name])
    if "capacity_available" in changed or "waitlist" in changed:
        service.capacity_updated_at = timezone.now()
    service.save()
    changed += _set_links(service, terms, languages, areas, phone)
    if changed:
        _audit(by, "service.updated", service, changed)
    index.refresh([service.pk])
    return changed


@transaction.atomic
def update_vacancy(
    *, by: Actor, service: Service, available: int | None, waitlist: int | None = None
) -> Service:
    """ "Beds available today": the one thing a provider changes every day. Seconds, audited."""
    _require_manage(by, service)
    service = Service.objects.select_for_update().get(pk=service.pk)
    errors: dict[str, list[Any]] = {}
    if available is not None and available < 0:
        errors["capacity_available"] = [_("Enter zero or more.")]
    if (
        available is not None
        and service.capacity_total is not None
        and (available > service.capacity_total)
    ):
        errors["capacity_available"] = [_("More places are available than the total capacity.")]
    if waitlist is not None and waitlist < 0:
        errors["waitlist"] = [_("Enter zero or more.")]
    if errors:
        raise InvalidInput(errors)
    service.capacity_available, service.waitlist = available, waitlist
    service.capacity_updated_at = timezone.now()
    service.save(
        update_fields=["capacity_available", "waitlist", "capacity_updated_at", "updated_at"]
    )
    _audit(by, "service.vacancy_updated", service, ["capacity_available", "waitlist"])
    index.refresh([service.pk])
    return service


@transaction.atomic
def verify_service(*, by: Actor, service: Service, on: dt.date | None = None) -> Service:
    """The provider confirms the entry is still right (resets the 90-day staleness flag)."""
    _require_manage(by, service)
    service.assured_date = on or timezone.localdate()
    service.save(update_fields=["assured_date", "updated_at"])
    _audit(by, "service.verified", service, ["assured_date"])
    return service


@transaction.atomic
def add_closure(
    *, by: Actor, service: Service, starts_on: dt.date, ends_on: dt.date, reason: str = ""
) -> Closure:
    _require_manage(by, service)
    if ends_on < starts_on:
        raise InvalidInput({"ends_on": [_("The closure must end on or after its first day.")]})
    closure = Closure.objects.create(
        service=service, starts_on=starts_on, ends_on=ends_on, reason=reason[:250]
    )
    _audit(by, "service.closure_added", service, ["closures"])
    index.refresh([service.pk])  # the index knows who is closed when (docs/adr/0012)
    return closure


@transaction.atomic
def remove_closure(*, by: Actor, closure: Closure) -> None:
    _require_manage(by, closure.service)
    _audit(by, "service.closure_removed", closure.service, ["closures"])
    closure.delete()
    index.refresh([closure.service_id])


def _set_links(
    service: Service, terms: Any, languages: Any, areas: Any, phone: str | None
) -> list[str]:
    changed = []
    if terms is not None:
        _check_codes("terms", terms, set(pathway().terms))
        Attribute.objects.filter(link_entity="service", link_id=service.pk).delete()
        ids = {
            t.code: t.pk
            for t in TaxonomyTerm.objects.filter(pk__in=[pathway().terms[c].id for c in terms])
        }
        Attribute.objects.bulk_create(
            Attribute(
                link_id=service.pk, link_entity="service", link_type="service_type", term_id=ids[c]
            )
            for c in dict.fromkeys(terms)
            if c in ids
        )
        changed.append("terms")
    if languages is not None:
        lang = current().codelists["language"]
        _check_codes("languages", languages, {c.code for c in lang.codes})
        Language.objects.filter(service=service).delete()
        Language.objects.bulk_create(
            Language(service=service, code=c, name=lang.get(c).label.en)  # type: ignore[union-attr]
            for c in dict.fromkeys(languages)
        )
        changed.append("languages")
    if areas is not None:
        _check_codes("areas", areas, {*provinces(), "CA"})
        ServiceArea.objects.filter(service=service).delete()
        ServiceArea.objects.bulk_create(
            ServiceArea(
                service=service,
                name=c,
                extent_type="province" if c != "CA" else "country",
                description=_area_description(c),
            )
            for c in dict.fromkeys(areas)
        )
        changed.append("areas")
    if phone is not None:
        _set_service_phone(service, phone)
        changed.append("phones")
    return changed


def _area_description(code: str) -> str:
    return "Canada" if code == "CA" else provinces()[code].en


def _check_codes(field: str, codes: Any, allowed: set[str]) -> None:
    if any(c not in allowed for c in codes):
        raise InvalidInput({field: [_("Choose values from the list.")]})


def _set_service_phone(service: Service, number: str) -> None:
    number = " ".join(number.split())
    if len(number) > 60:
        raise InvalidInput({"phone": [_("This phone number is too long.")]})
    intake = Phone.objects.filter(service=service, type="intake").first()
    if not number:
        if intake:
            intake.delete()
        return
    if intake is None:
        Phone.objects.create(service=service, number=number, type="intake", description="Intake")
    else:
        intake.number = number
        intake.save(update_fields=["number", "updated_at"])


# --- locations --------------------------------------------------------------------------------


def _validated_location(
    values: dict[str, Any], address: dict[str, Any], confidentiality: str, org_id: Any
) -> tuple[dict, dict]:
    errors: dict[str, list[Any]] = {}
    clean = {k: v for k, v in values.items() if k in LOCATION_FIELDS}
    addr = {k: (address.get(k) or "").strip() for k in ADDRESS_FIELDS}
    if confidentiality not in Confidentiality.values:
        errors["confidentiality"] = [_("Choose who may see the address.")]
    if confidentiality == Confidentiality.HIDDEN and not org_id:
        errors["confidentiality"] = [
            _("A hidden location must belong to a Harbour organisation, whose key seals it.")
        ]
    if clean.get("location_type", LocationType.PHYSICAL) != LocationType.VIRTUAL:
        if addr["state_province"] not in provinces():
            errors["state_province"] = [_("Choose a province or territory.")]
        if not addr["city"]:
            errors["city"] = [_("Enter the city or town.")]
    lat, lon = values.get("latitude"), values.get("longitude")
    inside = lat is not None and lon is not None and 41 <= lat <= 84 and -142 <= lon <= -52
    if (lat is None) != (lon is None) or (lat is not None and not inside):
        errors["latitude"] = [_("Enter both coordinates, inside Canada, or neither.")]
    if errors:
        raise InvalidInput(errors)
    return clean, addr


@transaction.atomic
def save_location(
    *,
    by: Actor,
    service: Service,
    values: dict[str, Any],
    address: dict[str, Any],
    location: Location | None = None,
) -> Location:
    """Create or change a service's location. A hidden location's address and coordinates are
    sealed with the owning organisation's key; they never sit in a column."""
    _require_manage(by, service)
    confidentiality = values.get("confidentiality", Confidentiality.PUBLIC)
    if (
        location is not None
        and location.confidentiality == Confidentiality.HIDDEN
        and (not policy.may_edit_hidden_address(by, location) and not _is_system(by))
    ):
        raise Forbidden()
    clean, addr = _validated_location(values, address, confidentiality, service.org_id)
    lat, lon = values.get("latitude"), values.get("longitude")
    if lat is None and addr.get("city"):
        from harbour.directory.places import city_named

        city = city_named(addr["city"], addr["state_province"])
        lat, lon = (city.latitude, city.longitude) if city else (None, None)
    created = location is None
    location = location or Location(provider=service.provider, org_id=service.org_id)
    for name, value in clean.items():
        setattr(location, name, value)
    location.province = addr.get("state_province", "")
    location.save()
    _store_address(location, addr, lat, lon)
    _store_region(location, lat, lon, values.get("region_km"))
    if created:
        ServiceAtLocation.objects.create(service=service, location=location)
    _audit(
        by,
        "location.created" if created else "location.updated",
        location,
        [*clean, "address", "coordinates", "region"],
        confidentiality=location.confidentiality,
    )
    index.refresh(_services_at(location))
    return location


def _store_address(location: Location, addr: dict[str, Any], lat: Any, lon: Any) -> None:
    Address.objects.filter(location=location).delete()
    hidden = location.confidentiality == Confidentiality.HIDDEN
    if hidden:
        payload = {
            "addresses": [dict(addr, country="CA", address_type="physical")]
            if addr.get("city")
            else [],
            "latitude": lat,
            "longitude": lon,
        }
        sealing.store_hidden(location, payload)
        location.latitude = location.longitude = None
    else:
        sealing.drop_hidden(location)
        location.latitude, location.longitude = lat, lon
        if addr.get("city"):
            Address.objects.create(location=location, country="CA", address_type="physical", **addr)
    location.save(update_fields=["latitude", "longitude", "updated_at"])


def _store_region(location: Location, lat: Any, lon: Any, reach_km: Any) -> None:
    """A hidden location's coarse service region, worked out here, the one moment its true
    position is at hand in the clear (docs/adr/0044). Without a position (a city Harbour does
    not know, and no coordinates) it has none and matches in its province, as before."""
    if location.confidentiality != Confidentiality.HIDDEN or lat is None or lon is None:
        HiddenRegion.objects.filter(location=location).delete()
        return
    current = HiddenRegion.objects.filter(location=location).first()
    if reach_km in (None, ""):
        reach_km = current.km if current else regions.DEFAULT_REACH_KM
    try:
        reach = int(reach_km)
    except (TypeError, ValueError):
        reach = -1
    found = regions.region_for(lat, lon, reach)
    HiddenRegion.objects.update_or_create(
        location=location,
        defaults={
            "latitude": found.latitude,
            "longitude": found.longitude,
            "km": found.km,
            "label": found.label,
        },
    )


def store_regions(placed: list[tuple[Any, Any, Any]]) -> None:
    """Regions of hidden locations just written with their true positions at hand (a directory
    import, whose own audit event covers them): nothing needs unsealing."""
    for location, lat, lon in placed:
        _store_region(location, lat, lon, None)


@transaction.atomic
def fill_regions(*, by: Actor) -> int:
    """Give each hidden location without a service region its region (docs/adr/0044): those
    saved before regions existed. The sealed position is
    opened here, on the server, only to pick the grid cell; nothing finer leaves. Returns how
    many got one; a location with no position stays without (it matches in its province)."""
    missing = Location.objects.filter(confidentiality=Confidentiality.HIDDEN, region__isnull=True)
    services: list[Any] = []
    filled = 0
    hidden = list(missing.filter(hidden_address__isnull=False).order_by("pk"))
    # Each event goes to its location's organisation's chain: all taken first, in one order
    # (ADR 35), not in the locations' order, which another transaction could cross.
    lock_chains(location.org_id or by.org_id for location in hidden)
    for location in hidden:
        detail = policy.sealed_detail(location)
        lat, lon = detail.get("latitude"), detail.get("longitude")
        if lat is None or lon is None:
            continue
        _store_region(location, lat, lon, None)
        _audit(by, "location.region_filled", location, ["region"])
        services += _services_at(location)
        filled += 1
    index.refresh(services)
    return filled


def _services_at(location: Location) -> list[Any]:
    return list(
        ServiceAtLocation.objects.filter(location=location).values_list("service_id", flat=True)
    )


@transaction.atomic
def remove_location(*, by: Actor, service: Service, location: Location) -> None:
    _require_manage(by, service)
    services = _services_at(location)
    _audit(by, "location.removed", location, ["location"])
    ServiceAtLocation.objects.filter(location=location).delete()
    # Rows kept apart for it (a service-at-location of a service still outside, docs/adr/0043)
    # go with it: once it is gone they would count as "outside" and leave in the whole export.
    ExtraRecord.objects.filter(parent_id=location.pk).delete()
    sealing.drop_hidden(location)  # as its organisation: a curator's scope would not see it
    location.delete()
    index.refresh(services)
