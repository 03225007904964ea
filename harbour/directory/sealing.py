"""Hidden locations' addresses and positions (ADR 43, 44): sealed into the location's own
`HiddenAddress` row, never written to a plain column, whether the location comes in an import
(in the same file or already in Harbour), from its page or from the demo. That row is under
row-level security on PostgreSQL (ADR 40): only its organisation's scope, or `all`, reads or
writes it."""

import uuid
from collections import defaultdict
from typing import Any

from harbour.core import tenancy
from harbour.directory import models as m
from harbour.directory import policy
from harbour.directory.hsds import Bundle
from harbour.directory.index import area_code
from harbour.orgs import crypto


def hidden_addresses(bundle: Bundle) -> dict[str, list[dict[str, Any]]]:
    """The addresses of each hidden location the file brings, by the location's id."""
    hidden = {
        r["id"]
        for r in bundle.get("location", [])
        if r.get("confidentiality") == m.Confidentiality.HIDDEN
    }
    out: dict[str, list[dict[str, Any]]] = {h: [] for h in hidden}
    for row in bundle.get("address", []):
        if row.get("location_id") in hidden:
            out[row["location_id"]].append(row)
    return out


def seal_into_stored_hidden(bundle: Bundle, in_file: dict[str, Any]) -> set[str]:
    """Addresses of hidden locations Harbour already holds (the file does not bring the
    location) are sealed into them, as the location's own import would have done: no column
    may hold a hidden address. Returns those locations' ids, whose address rows are not
    written."""
    named: dict[uuid.UUID, set[str]] = defaultdict(set)  # as the file spells each id
    for row in bundle.get("address", []):
        raw = row.get("location_id")
        if raw and raw not in in_file and (pk := _uuid(raw)):
            named[pk].add(raw)
    hidden = m.Location.objects.filter(pk__in=named, confidentiality=m.Confidentiality.HIDDEN)
    sealed: set[str] = set()
    for location in hidden:
        spelt = named[location.pk]
        seal_addresses(location, [r for r in bundle["address"] if r.get("location_id") in spelt])
        sealed |= spelt
    return sealed


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def store_hidden(location: Any, payload: dict[str, Any]) -> None:
    """Seal `payload` (addresses, latitude, longitude) as the hidden location's row: created,
    replaced, or removed when nothing is left to seal. Written as the location's organisation
    (logged): a national curator's import or edit writes that organisation's row, which its
    own scope would refuse."""
    with tenancy.as_organisation(location.org_id, "directory: a hidden location's address"):
        row = m.HiddenAddress.objects.filter(location_id=location.pk).first()
        row = row or m.HiddenAddress(location_id=location.pk)
        row.org_id = location.org_id
        row.sealed = crypto.seal_record(row, payload)
        if row.sealed:
            row.save()
        elif not row._state.adding:
            row.delete()


def drop_hidden(location: Any) -> None:
    """A location no longer hidden keeps no sealed address."""
    with tenancy.as_organisation(location.org_id, "directory: a location no longer hidden"):
        m.HiddenAddress.objects.filter(location_id=location.pk).delete()


def seal_addresses(location: Any, addresses: list[dict[str, Any]]) -> None:
    """Add (or replace, by id) addresses in a hidden location's sealed detail."""
    with tenancy.as_organisation(location.org_id, "directory: a hidden location's address"):
        detail = policy.sealed_detail(location)
    new = {str(a.get("id")) for a in addresses}
    kept = [a for a in detail.get("addresses", []) if str(a.get("id")) not in new]
    detail["addresses"] = [*kept, *addresses]
    store_hidden(location, detail)


def prepare_location(
    obj: Any, row: dict[str, Any], hidden_addresses: dict[str, list[dict[str, Any]]]
) -> tuple[Any, Any] | None:
    """Fill the province; take a hidden location's position off the row (its address and
    position are sealed by `seal_prepared` once the location is saved). Returns the position
    of a hidden location, for its region and its sealed row."""
    if not obj.province:
        obj.province = area_code(str(row.get("state_province", "")))
    hidden = hidden_addresses.get(row["id"])
    if hidden is None:
        return None
    position = (obj.latitude, obj.longitude)
    first = hidden[0] if hidden else {}
    obj.province = obj.province or area_code(str(first.get("state_province", "")))
    obj.latitude = obj.longitude = None
    return position


def seal_prepared(placed: list[tuple[Any, list[dict[str, Any]], Any, Any]]) -> None:
    """Seal each hidden location an import saved: (location, its addresses, latitude,
    longitude)."""
    for obj, addresses, lat, lon in placed:
        store_hidden(obj, {"addresses": addresses, "latitude": lat, "longitude": lon})
