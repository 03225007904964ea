"""Reading the directory as HSDS 3.0 for one audience: the API, JSON export and the tabular data
package all start here, and here the confidentiality policy is applied once (docs/adr/0010)."""

import csv
import io
import json
import zipfile
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from harbour.directory import hsds, policy
from harbour.directory import models as m
from harbour.directory.hsds import BY_NAME, TABLES, Bundle, row_of

PROFILE_URI = "https://harbour.example/directory/hsds-profile"


def bundle_for(
    aud: policy.Audience,
    services: QuerySet[m.Service] | None = None,
    *,
    providers: QuerySet[m.Provider] | None = None,
    with_taxonomies: bool = True,
) -> Bundle:
    """Everything the audience may see about these services (default: all it may see)."""
    bundle = hsds.empty_bundle()
    service_qs = (
        policy.services_for(aud)
        if services is None
        else services.filter(pk__in=policy.services_for(aud).values("pk"))
    )
    svc = list(service_qs.order_by("name", "id"))
    service_ids = [s.pk for s in svc]
    if services is None and providers is None:
        # the whole directory: organisations without services are part of it too
        providers = policy.providers_for(aud)
    provider_qs = m.Provider.objects.filter(
        Q(pk__in={s.provider_id for s in svc})
        | Q(pk__in=(providers if providers is not None else m.Provider.objects.none()).values("pk"))
    ).order_by("name", "id")
    prov = list(provider_qs)
    provider_ids = [p.pk for p in prov]
    sals = list(
        m.ServiceAtLocation.objects.filter(service_id__in=service_ids)
        .filter(policy.address_q(aud, "location__"))
        .order_by("id")
    )
    unattached = Q(at_services__isnull=True)
    if services is not None:
        unattached &= Q(provider_id__in=provider_ids)
    loc_qs = m.Location.objects.filter(policy.address_q(aud)).filter(
        Q(pk__in={s.location_id for s in sals}) | unattached
    )
    locs = list(loc_qs.distinct().order_by("id"))
    location_ids = [loc.pk for loc in locs]
    sal_ids = [s.pk for s in sals]
    bundle["service"] = [row_of(BY_NAME["service"], s) for s in svc]
    bundle["organization"] = [row_of(BY_NAME["organization"], p) for p in prov]
    bundle["service_at_location"] = [row_of(BY_NAME["service_at_location"], s) for s in sals]
    bundle["location"], bundle["address"] = _locations(locs)
    _children(bundle, service_ids, location_ids, provider_ids, sal_ids)
    if with_taxonomies:
        _taxonomies(bundle)
    # An address kept apart until its location arrives goes only to the operator's own export
    # (the command): no user, public or signed in, is shown an address whose location's
    # confidentiality nobody knows yet (it may be a safe house the publisher left out).
    unplaced = aud.signed_in and aud.user is None
    _attributes_and_extras(bundle, whole_directory=services is None, unplaced_addresses=unplaced)
    return bundle


def _locations(locs: list[m.Location]) -> tuple[list[dict], list[dict]]:
    """Rows of locations the audience may see in full; a hidden one (seen only by its own
    organisation) is opened from its sealed row."""
    rows, addresses = [], []
    plain = m.Address.objects.filter(
        location__in=[x for x in locs if x.confidentiality != m.Confidentiality.HIDDEN]
    ).order_by("id")
    by_location: dict[Any, list[m.Address]] = {}
    for address in plain:
        by_location.setdefault(address.location_id, []).append(address)
    for loc in locs:
        row = row_of(BY_NAME["location"], loc)
        if loc.confidentiality == m.Confidentiality.HIDDEN:
            detail = policy.sealed_detail(loc)
            row.update(
                hsds.compact(
                    {"latitude": detail.get("latitude"), "longitude": detail.get("longitude")}
                )
            )
            for i, a in enumerate(detail.get("addresses", [])):
                addresses.append(
                    hsds.compact(
                        {
                            **a,
                            "id": a.get("id") or _sealed_address_id(loc, i),
                            "location_id": str(loc.pk),
                        }
                    )
                )
        for a in by_location.get(loc.pk, []):
            addresses.append(row_of(BY_NAME["address"], a))
        rows.append(row)
    return rows, addresses


def _sealed_address_id(loc: m.Location, i: int) -> str:
    import uuid

    return str(uuid.uuid5(loc.pk, f"address-{i}"))


def _children(
    bundle: Bundle, service_ids: list, location_ids: list, provider_ids: list, sal_ids: list
) -> None:
    owners = (
        Q(service_id__in=service_ids)
        | Q(location_id__in=location_ids)
        | Q(provider_id__in=provider_ids, service__isnull=True, location__isnull=True)
        | Q(service_at_location_id__in=sal_ids)
    )
    phones = list(
        m.Phone.objects.filter(owners)
        .filter(Q(location__isnull=True) | Q(location_id__in=location_ids))
        .order_by("id")
    )
    bundle["phone"] = [row_of(BY_NAME["phone"], p) for p in phones]
    schedules = m.Schedule.objects.filter(
        Q(service_id__in=service_ids)
        | Q(location_id__in=location_ids)
        | Q(service_at_location_id__in=sal_ids)
    ).filter(Q(location__isnull=True) | Q(location_id__in=location_ids))
    bundle["schedule"] = [row_of(BY_NAME["schedule"], s) for s in schedules.order_by("id")]
    phone_ids = [p.pk for p in phones]
    langs = m.Language.objects.filter(
        Q(service_id__in=service_ids) | Q(location_id__in=location_ids) | Q(phone_id__in=phone_ids)
    )
    bundle["language"] = [row_of(BY_NAME["language"], x) for x in langs.order_by("id")]
    simple = {
        "service_area": m.ServiceArea.objects.filter(service_id__in=service_ids),
        "accessibility": m.Accessibility.objects.filter(location_id__in=location_ids),
        "cost_option": m.CostOption.objects.filter(service_id__in=service_ids),
        "funding": m.Funding.objects.filter(
            Q(service_id__in=service_ids) | Q(provider_id__in=provider_ids)
        ),
        "closure": m.Closure.objects.filter(service_id__in=service_ids),
    }
    for name, qs in simple.items():
        bundle[name] = [row_of(BY_NAME[name], x) for x in qs.order_by("id")]


def _taxonomies(bundle: Bundle) -> None:
    bundle["taxonomy"] = [
        row_of(BY_NAME["taxonomy"], t) for t in m.Taxonomy.objects.order_by("name", "id")
    ]
    bundle["taxonomy_term"] = [
        row_of(BY_NAME["taxonomy_term"], t) for t in m.TaxonomyTerm.objects.order_by("code", "id")
    ]


def _exported_ids(bundle: Bundle) -> set[str]:
    return {r["id"] for name, rows in bundle.items() for r in rows}


def _attributes_and_extras(
    bundle: Bundle, *, whole_directory: bool, unplaced_addresses: bool
) -> None:
    ids = _exported_ids(bundle)
    attr_q = Q(link_id__in=ids)
    extra_q = Q(parent_id__in=ids) | Q(parent_id__isnull=True)
    if whole_directory:
        # about records outside this directory: only a whole export carries them, not a page
        attr_q |= Q(pk__in=_external_attributes().values("pk"))
        extra_q |= Q(pk__in=_external_extras(unplaced_addresses=unplaced_addresses).values("pk"))
    attrs = m.Attribute.objects.filter(attr_q).order_by("id")
    bundle["attribute"] = [row_of(BY_NAME["attribute"], a) for a in attrs]
    extras = m.ExtraRecord.objects.filter(extra_q)
    for extra in extras.order_by("table", "id"):
        bundle.setdefault(extra.table, []).append(extra.row)
    # contacts' own phones and languages follow their contact
    contact_ids = {r["id"] for r in bundle.get("contact", [])}
    more = m.Phone.objects.filter(contact_id__in=contact_ids).exclude(
        pk__in=[r["id"] for r in bundle["phone"]]
    )
    bundle["phone"] += [row_of(BY_NAME["phone"], p) for p in more]


def _stored_models() -> list[type[Any]]:
    return [t.model for t in TABLES if t.model is not None] + [m.ExtraRecord]


def _external_attributes() -> QuerySet[m.Attribute]:
    """Attributes about a record outside this directory (an external reference, docs/adr/0043):
    no audience can see more through them, so they go with the export as they came. Worked out
    in the database (one NOT IN per stored table), not by loading every key."""
    qs = m.Attribute.objects.all()
    for model in _stored_models():
        qs = qs.exclude(link_id__in=model._default_manager.values("pk"))
    return qs


def _external_extras(*, unplaced_addresses: bool = False) -> QuerySet[m.ExtraRecord]:
    """Verbatim records whose parent is outside this directory, as `_external_attributes`. An
    address kept apart until its location arrives (docs/adr/0043) only with
    `unplaced_addresses` (the operator's export): how confidential that location is, nobody
    here knows yet."""
    qs = m.ExtraRecord.objects.filter(parent_id__isnull=False)
    if not unplaced_addresses:
        qs = qs.exclude(table="address")
    for model in _stored_models():
        qs = qs.exclude(parent_id__in=model._default_manager.values("pk"))
    return qs


# --- files ------------------------------------------------------------------------------------


def json_document(bundle: Bundle) -> dict[str, Any]:
    """Harbour's HSDS 3.0 JSON export: nested services and organizations, as the API returns
    them, plus the taxonomies, with attribution."""
    document: dict[str, Any] = {
        "hsds_version": hsds.HSDS_VERSION,
        "profile": PROFILE_URI,
        "attribution": hsds.ATTRIBUTION,
        "organizations": hsds.nested_organizations(bundle),
        "services": hsds.nested_services(bundle),
        "taxonomies": bundle["taxonomy"],
        "taxonomy_terms": bundle["taxonomy_term"],
        "meta_table_descriptions": bundle.get("meta_table_description", []),
    }
    document.update(_unreached(bundle, document))
    return document


def _unreached(bundle: Bundle, document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Records that no service or organization holds (a location on its own, an attribute or
    metadata about a record outside this directory) go at the top under their table's plural,
    so the JSON export loses nothing the tabular one keeps."""
    top = ("organization", "service", "taxonomy", "taxonomy_term", "meta_table_description")
    reached = hsds.flatten(
        (table, obj) for table in top for obj in document[BY_NAME[table].plural]
    ).result()
    nester = hsds.Nester(bundle)
    out: dict[str, list[dict[str, Any]]] = {}
    for table in TABLES:
        seen = {r.get("id") for r in reached.get(table.name, [])}
        rows = [r for r in bundle.get(table.name, []) if r.get("id") not in seen]
        if rows:
            out[table.plural] = [nester.nest(table.name, r) for r in rows]
    return out


def json_bytes(bundle: Bundle) -> bytes:
    return json.dumps(json_document(bundle), ensure_ascii=False, indent=1).encode("utf-8")


def tabular_zip(bundle: Bundle) -> bytes:
    """The HSDS tabular data package: datapackage.json and one CSV per table, zipped."""
    from harbour.directory.tabular import csv_columns, datapackage_descriptor

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        columns = {t.name: csv_columns(t.name, bundle.get(t.name, [])) for t in TABLES}
        archive.writestr(
            "datapackage.json",
            json.dumps(datapackage_descriptor(columns), ensure_ascii=False, indent=1),
        )
        for table in TABLES:
            archive.writestr(
                f"{table.plural}.csv", _csv(columns[table.name], bundle.get(table.name, []))
            )
    return buffer.getvalue()


def _csv(columns: list[str], rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
