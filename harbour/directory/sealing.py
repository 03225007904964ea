"""Hidden locations in an import (ADR 43, 44): their addresses and positions are sealed into
the location, never written to a column, whether the location comes in the same file or is
already in Harbour."""

import uuid
from collections import defaultdict
from typing import Any

from harbour.directory import models as m
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


def seal_addresses(location: Any, addresses: list[dict[str, Any]]) -> None:
    """Add (or replace, by id) addresses in a hidden location's sealed detail."""
    detail = crypto.open_record(location)
    new = {str(a.get("id")) for a in addresses}
    kept = [a for a in detail.get("addresses", []) if str(a.get("id")) not in new]
    detail["addresses"] = [*kept, *addresses]
    location.sealed = crypto.seal_record(location, detail)
    location.save(update_fields=["sealed"])


def prepare_location(
    obj: Any, row: dict[str, Any], hidden_addresses: dict[str, list[dict[str, Any]]]
) -> tuple[Any, Any] | None:
    """Fill the province; seal a hidden location's address and position. Returns the position
    of a hidden location, for its region."""
    if not obj.province:
        obj.province = area_code(str(row.get("state_province", "")))
    hidden = hidden_addresses.get(row["id"])
    if hidden is None:
        return None
    position = (obj.latitude, obj.longitude)
    first = hidden[0] if hidden else {}
    obj.province = obj.province or area_code(str(first.get("state_province", "")))
    obj.sealed = crypto.seal_record(
        obj, {"addresses": hidden, "latitude": obj.latitude, "longitude": obj.longitude}
    )
    obj.latitude = obj.longitude = None
    return position
