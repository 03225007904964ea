"""HSDS 3.0 shapes: database rows ↔ flat HSDS tables ↔ nested HSDS objects.

A "bundle" is the flat form: {table name: [row, ...]} with HSDS property names, the same as the
tabular data package. Nesting follows the compiled HSDS 3.0 schemas (a service with its phones,
schedules, service_at_locations → location → addresses...). Properties Harbour does not model are
kept in each record's `extra` and tables it does not model in ExtraRecord, so a round trip loses
nothing. Reading from the database always goes through the policy (`policy.py`).
"""

import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.db import models

from harbour.directory import models as m

HSDS_VERSION = "3.0"
ATTRIBUTION = (
    "Human Services Data Specification 3.0: an Open Referral resource (https://openreferral.org/),"
    " CC BY-SA 4.0. Harbour profile fields (eligibility, capacity, closures, confidentiality) "
    "are Harbour extensions."
)
SKIP = {"created_at", "updated_at", "extra", "org", "is_synthetic", "sealed"}


@dataclass(frozen=True)
class Table:
    name: str
    plural: str
    model: type[models.Model] | None  # None: kept verbatim in ExtraRecord
    renames: dict[str, str] = field(default_factory=dict)  # HSDS name -> model attname
    parent_key: str = ""  # the column ExtraRecord.parent_id follows


TABLES: tuple[Table, ...] = (
    Table("taxonomy", "taxonomies", m.Taxonomy),
    Table("taxonomy_term", "taxonomy_terms", m.TaxonomyTerm, {"taxonomy": "taxonomy_label"}),
    Table(
        "organization",
        "organizations",
        m.Provider,
        {"parent_organization_id": "parent_organization_id"},
    ),
    Table("program", "programs", None, parent_key="organization_id"),
    Table("service", "services", m.Service, {"organization_id": "provider_id"}),
    Table("location", "locations", m.Location, {"organization_id": "provider_id"}),
    Table("service_at_location", "service_at_locations", m.ServiceAtLocation),
    Table("address", "addresses", m.Address),
    Table("contact", "contacts", None, parent_key="service_id"),
    Table("phone", "phones", m.Phone, {"organization_id": "provider_id"}),
    Table("schedule", "schedules", m.Schedule),
    Table("service_area", "service_areas", m.ServiceArea),
    Table("language", "languages", m.Language),
    Table("accessibility", "accessibility", m.Accessibility),
    Table("cost_option", "cost_options", m.CostOption),
    Table("funding", "funding", m.Funding, {"organization_id": "provider_id"}),
    Table("required_document", "required_documents", None, parent_key="service_id"),
    Table(
        "organization_identifier", "organization_identifiers", None, parent_key="organization_id"
    ),
    Table("attribute", "attributes", m.Attribute, {"taxonomy_term_id": "term_id"}),
    Table("metadata", "metadata", None, parent_key="resource_id"),
    Table("meta_table_description", "meta_table_descriptions", None),
    Table("closure", "closures", m.Closure),
)
BY_NAME = {t.name: t for t in TABLES}

# parent table -> {array property: (child table, child column pointing at the parent)}
NEST: dict[str, dict[str, tuple[str, str]]] = {
    "service": {
        "phones": ("phone", "service_id"),
        "schedules": ("schedule", "service_id"),
        "service_areas": ("service_area", "service_id"),
        "service_at_locations": ("service_at_location", "service_id"),
        "languages": ("language", "service_id"),
        "funding": ("funding", "service_id"),
        "cost_options": ("cost_option", "service_id"),
        "required_documents": ("required_document", "service_id"),
        "contacts": ("contact", "service_id"),
        "closures": ("closure", "service_id"),
    },
    "service_at_location": {
        "contacts": ("contact", "service_at_location_id"),
        "phones": ("phone", "service_at_location_id"),
        "schedules": ("schedule", "service_at_location_id"),
    },
    "location": {
        "languages": ("language", "location_id"),
        "addresses": ("address", "location_id"),
        "contacts": ("contact", "location_id"),
        "accessibility": ("accessibility", "location_id"),
        "phones": ("phone", "location_id"),
        "schedules": ("schedule", "location_id"),
    },
    "organization": {
        "funding": ("funding", "organization_id"),
        "contacts": ("contact", "organization_id"),
        "phones": ("phone", "organization_id"),
        "locations": ("location", "organization_id"),
        "programs": ("program", "organization_id"),
        "organization_identifiers": ("organization_identifier", "organization_id"),
    },
    "phone": {"languages": ("language", "phone_id")},
    "contact": {"phones": ("phone", "contact_id")},
}
# parent table -> {object property: (child table, parent column holding the child's id)}
SINGLE: dict[str, dict[str, tuple[str, str]]] = {
    "service": {
        "organization": ("organization", "organization_id"),
        "program": ("program", "program_id"),
    },
    "service_at_location": {"location": ("location", "location_id")},
    "attribute": {"taxonomy_term": ("taxonomy_term", "taxonomy_term_id")},
    "taxonomy_term": {"taxonomy_detail": ("taxonomy", "taxonomy_id")},
}
# Every table may carry attributes (linked by link_id) and metadata (by resource_id).
LINKED = {"attributes": ("attribute", "link_id"), "metadata": ("metadata", "resource_id")}

Bundle = dict[str, list[dict[str, Any]]]


def empty_bundle() -> Bundle:
    return {t.name: [] for t in TABLES}


# --- values -----------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def compact(row: dict[str, Any]) -> dict[str, Any]:
    """HSDS has no nulls: absent means unknown. Empty strings and lists are absent too."""
    return {k: v for k, v in row.items() if v is not None and v != "" and v != []}


def model_fields(table: Table) -> dict[str, models.Field]:
    """HSDS property name -> model field, for the modelled columns of a table."""
    assert table.model is not None
    reverse = {attname: hsds for hsds, attname in table.renames.items()}
    out = {}
    for f in table.model._meta.concrete_fields:
        if f.name in SKIP:
            continue
        out[reverse.get(f.attname, f.attname)] = f
    return out


@cache
def required(table: str) -> tuple[str, ...]:
    """Properties HSDS 3.0 requires on a table (from the official compiled tabular schema)."""
    path = Path(__file__).resolve().parent / "data" / "hsds-3.0" / "compiled" / "tabular.json"
    spec = json.loads(path.read_text(encoding="utf-8"))["properties"].get(table)
    return tuple(spec["items"].get("required", [])) if spec else ()


def row_of(table: Table, obj: models.Model) -> dict[str, Any]:
    row = {name: jsonable(getattr(obj, f.attname)) for name, f in model_fields(table).items()}
    if table.name == "service":
        row["last_modified"] = jsonable(obj.updated_at)  # type: ignore[attr-defined]
    row.update(getattr(obj, "extra", {}) or {})
    out = compact(row)
    for name in required(table.name):
        if name not in out and row.get(name) == "":
            out[name] = ""  # a required text HSDS allows to be empty
    return out


# --- nesting ----------------------------------------------------------------------------------


class Nester:
    """Builds nested HSDS objects from a bundle (used by the API and the JSON export)."""

    def __init__(self, bundle: Bundle) -> None:
        self.rows = {name: {r["id"]: r for r in rows} for name, rows in bundle.items()}
        self.children: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
        for name, rows in bundle.items():
            for row in rows:
                for key in (
                    "service_id",
                    "location_id",
                    "organization_id",
                    "phone_id",
                    "contact_id",
                    "service_at_location_id",
                    "link_id",
                    "resource_id",
                ):
                    if row.get(key):
                        self.children[(name, key, row[key])].append(row)

    def nest(
        self, table: str, row: dict[str, Any], depth: int = 0, skip: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        out = dict(row)
        for prop, (child, key) in NEST.get(table, {}).items():
            if prop in skip:
                continue
            found = self.children.get((child, key, row["id"]), [])
            if child == "phone" and table == "organization":
                found = [p for p in found if not p.get("service_id") and not p.get("location_id")]
            if found:
                out[prop] = [
                    self.nest(child, c, depth + 1, self._skip(table, child)) for c in found
                ]
        for prop, (child, key) in SINGLE.get(table, {}).items():
            target = self.rows.get(child, {}).get(row.get(key, ""))
            if target is not None and prop not in skip:
                out[prop] = self.nest(child, target, depth + 1, frozenset({"locations"}))
        for prop, (child, key) in LINKED.items():
            found = [
                c
                for c in self.children.get((child, key, row["id"]), [])
                if child != "attribute"
                or c.get("link_entity", table) not in BY_NAME.keys() - {table}
            ]
            if found and child != table:
                out[prop] = [self.nest(child, c, depth + 1) for c in found]
        return out

    @staticmethod
    def _skip(parent: str, child: str) -> frozenset[str]:
        # A location nested in an organization does not repeat the organization's other arrays.
        return frozenset({"locations"}) if parent == "organization" else frozenset()


def nested_services(bundle: Bundle) -> list[dict[str, Any]]:
    nester = Nester(bundle)
    return [nester.nest("service", s) for s in bundle["service"]]


def nested_organizations(bundle: Bundle, *, with_services: bool = False) -> list[dict[str, Any]]:
    nester = Nester(bundle)
    out = []
    for org in bundle["organization"]:
        nested = nester.nest("organization", org)
        if with_services:
            nested["services"] = [
                nester.nest("service", s, skip=frozenset({"organization"}))
                for s in bundle["service"]
                if s.get("organization_id") == org["id"]
            ]
        out.append(nested)
    return out


# --- flattening -------------------------------------------------------------------------------


class Flattener:
    """Turns nested HSDS objects back into flat rows; the same object met twice (an organization
    nested in every one of its services) must be identical, or it is a conflict."""

    def __init__(self) -> None:
        self.bundle: Bundle = empty_bundle()
        self.seen: dict[tuple[str, str], dict[str, Any]] = {}
        self.conflicts: list[tuple[str, str]] = []
        self.duplicates: list[tuple[str, str]] = []

    def add(self, table: str, obj: dict[str, Any], *, top: bool = False) -> None:
        row: dict[str, Any] = {}
        nested: list[tuple[str, dict[str, Any]]] = []
        for key, value in obj.items():
            if key in NEST.get(table, {}) and isinstance(value, list):
                child, fk = NEST[table][key]
                nested += [
                    (child, dict(c, **{fk: obj.get("id")})) for c in value if isinstance(c, dict)
                ]
            elif key in SINGLE.get(table, {}) and isinstance(value, dict):
                child, fk = SINGLE[table][key]
                row.setdefault(fk, value.get("id"))
                nested.append((child, value))
            elif key in LINKED and isinstance(value, list):
                child, fk = LINKED[key]
                link = {"link_entity": table} if child == "attribute" else {"resource_type": table}
                nested += [
                    (child, {**link, **c, fk: obj.get("id")}) for c in value if isinstance(c, dict)
                ]
            elif key == "services" and table == "organization" and isinstance(value, list):
                nested += [
                    ("service", dict(s, organization_id=obj.get("id")))
                    for s in value
                    if isinstance(s, dict)
                ]
            else:
                row[key] = value
        self._keep(table, row, top)
        for child, child_obj in nested:
            self.add(child, child_obj)

    def _keep(self, table: str, row: dict[str, Any], top: bool) -> None:
        key = (table, str(row.get("id")))
        earlier = self.seen.get(key)
        if earlier is None:
            self.seen[key] = row
            self.bundle[table].append(row)
        elif top and earlier.get("_top"):
            # The same record twice is harmless; the same id with other content is not.
            same = {k: v for k, v in earlier.items() if k != "_top"}
            if compact(same) != compact({**same, **row}):
                self.duplicates.append(key)
        elif compact(earlier) != compact(row):
            merged = {**earlier, **row}
            if any(earlier.get(k) not in (None, v) for k, v in row.items() if k != "_top"):
                self.conflicts.append(key)
            earlier.update(merged)
        if top:
            self.seen[key]["_top"] = True

    def result(self) -> Bundle:
        for rows in self.bundle.values():
            for row in rows:
                row.pop("_top", None)
        return self.bundle


def flatten(objects: Iterable[tuple[str, dict[str, Any]]]) -> Flattener:
    flattener = Flattener()
    for table, obj in objects:
        flattener.add(table, obj, top=True)
    return flattener
