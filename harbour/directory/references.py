"""References between HSDS records, and the external ones: records neither in the file nor in
Harbour (a parent organisation, a parent taxonomy term, a service's organisation, an attribute's
term, a service at a location another publisher holds). Real exports are routinely partial, so
such a reference is kept as it came (stored in the record's `extra`, its foreign key left empty,
exported back unchanged), listed in the import report and shown on the pages as "not in this
directory"; once its target arrives it is linked (`relink`). A row Harbour cannot store without
its parent (a service_at_location, an address, a service area, accessibility, a cost option or a
closure of a service or location that is outside) is kept verbatim instead, and moves into its
table when the parent arrives (`kept_apart`, `waiting_children`). Only a reference that
contradicts the data (it names a record of another type) is an error.
"""

import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from harbour.directory import models as m
from harbour.directory.hsds import BY_NAME, TABLES, Bundle, model_fields

Problem = tuple[str, str]
# child column -> referenced table (checked against the file and the database)
REFERENCES = {
    ("taxonomy_term", "taxonomy_id"): "taxonomy",
    ("taxonomy_term", "parent_id"): "taxonomy_term",
    ("organization", "parent_organization_id"): "organization",
    ("service", "organization_id"): "organization",
    ("service", "program_id"): "program",
    ("program", "organization_id"): "organization",
    ("location", "organization_id"): "organization",
    ("service_at_location", "service_id"): "service",
    ("service_at_location", "location_id"): "location",
    ("address", "location_id"): "location",
    ("phone", "organization_id"): "organization",
    ("phone", "service_id"): "service",
    ("phone", "location_id"): "location",
    ("phone", "contact_id"): "contact",
    ("phone", "service_at_location_id"): "service_at_location",
    ("schedule", "service_id"): "service",
    ("schedule", "location_id"): "location",
    ("schedule", "service_at_location_id"): "service_at_location",
    ("service_area", "service_id"): "service",
    ("language", "service_id"): "service",
    ("language", "location_id"): "location",
    ("language", "phone_id"): "phone",
    ("accessibility", "location_id"): "location",
    ("cost_option", "service_id"): "service",
    ("funding", "organization_id"): "organization",
    ("funding", "service_id"): "service",
    ("attribute", "taxonomy_term_id"): "taxonomy_term",
    ("closure", "service_id"): "service",
    ("contact", "organization_id"): "organization",
    ("contact", "service_id"): "service",
    ("contact", "location_id"): "location",
    ("contact", "service_at_location_id"): "service_at_location",
    ("required_document", "service_id"): "service",
    ("organization_identifier", "organization_id"): "organization",
}
REQUIRED_REFERENCES = {
    ("service", "organization_id"),
    ("service_at_location", "service_id"),
    ("service_at_location", "location_id"),
    ("address", "location_id"),
    ("service_area", "service_id"),
    ("accessibility", "location_id"),
    ("cost_option", "service_id"),
    ("attribute", "taxonomy_term_id"),
    ("attribute", "link_id"),
    ("closure", "service_id"),
}


@dataclass(frozen=True)
class External:
    table: str
    record: str
    column: str
    target: str
    value: str

    @property
    def where(self) -> str:
        return f"{self.table} {self.record}.{self.column}"


def check(bundle: Bundle, stored: dict[str, str]) -> tuple[list[Problem], list[External]]:
    """Problems with the references, and the external references to keep. `stored`:
    `stored_tables(mentioned_ids(bundle))`."""
    ids = {name: {str(r.get("id")) for r in rows} for name, rows in bundle.items()}
    existing: dict[str, set[str]] = {}
    for pk, table in stored.items():
        existing.setdefault(table, set()).add(pk)
    known = {t.name: ids.get(t.name, set()) | existing.get(t.name, set()) for t in TABLES}
    problems: list[Problem] = []
    externals: list[External] = []
    for (table, column), target in REFERENCES.items():
        for row in bundle.get(table, []):
            value = row.get(column)
            where = f"{table} {row.get('id')}.{column}"
            if value is None:
                if (table, column) in REQUIRED_REFERENCES:
                    problems.append((where, _("This reference is required.")))
                continue
            if str(value) in known[target]:
                continue
            other = next((t for t, found in known.items() if str(value) in found), None)
            if other is not None:
                problems.append((where, _wrong_type(other, target)))
            else:
                externals.append(External(table, str(row.get("id")), column, target, str(value)))
    every_id = set().union(*known.values())
    for row in bundle.get("attribute", []):
        if row.get("link_id") and str(row["link_id"]) not in every_id:
            externals.append(
                External("attribute", str(row.get("id")), "link_id", "", str(row["link_id"]))
            )
    return problems, externals


def _wrong_type(found: str, expected: str) -> str:
    return _("This refers to a %(found)s record where a %(expected)s record belongs.") % {
        "found": found,
        "expected": expected,
    }


@cache
def _parent_links() -> tuple[tuple[str, str, str], ...]:
    """(table, column, target) of the links a modelled row cannot be stored without: a child
    of a service or location (a service_at_location, an address, a service area...)."""
    out = []
    for (table, column), target in REFERENCES.items():
        spec = BY_NAME[table]
        field = model_fields(spec).get(column) if spec.model is not None else None
        if isinstance(field, models.ForeignKey) and not field.null:
            out.append((table, column, target))
    return tuple(out)


def external_columns(externals: list[External]) -> dict[tuple[str, str], set[str]]:
    """Per record, the nullable modelled links that must move to `extra` (a row cannot point
    nowhere)."""
    out: dict[tuple[str, str], set[str]] = {}
    for ext in externals:
        spec = BY_NAME[ext.table]
        if spec.model is None:
            continue
        if not isinstance(model_fields(spec).get(ext.column), models.ForeignKey):
            continue
        out.setdefault((ext.table, ext.record), set()).add(ext.column)
    return out


def kept_apart(bundle: Bundle, externals: list[External]) -> dict[tuple[str, str], str]:
    """Rows whose parent is outside (a child of a service or location neither in the file nor
    in Harbour) are kept verbatim, as rows of a table Harbour does not model, until it arrives
    (`waiting_children`). Per such row, the parent it is exported with: the one in Harbour if
    it has one (a service at a stored location goes where the policy lets that location go),
    else the outside one (it goes with the whole directory, docs/adr/0043)."""
    links = _parent_links()
    outside: dict[tuple[str, str], list[str]] = {}
    for ext in externals:
        if (ext.table, ext.column, ext.target) in links:
            outside.setdefault((ext.table, ext.record), []).append(ext.column)
    tables = {t for t, _record in outside}
    rows = {(t, str(r.get("id"))): r for t in tables for r in bundle.get(t, [])}
    out: dict[tuple[str, str], str] = {}
    for key, columns in outside.items():
        row = rows[key]
        inside = [c for t, c, _ in links if t == key[0] and c not in columns and row.get(c)]
        out[key] = str(row[(inside or columns)[0]])
    return out


def waiting_children(arrived: set[str]) -> list[Any]:
    """Rows kept apart whose every parent is now stored (one of them just arrived): they can
    move into their table. Verbatim rows of a modelled table, ExtraRecord."""
    ids = sorted(x for x in arrived if _is_uuid(x))
    links = _parent_links()
    if not ids:
        return []
    q = models.Q()
    for table, column, _target in links:
        q |= models.Q(table=table, **{f"row__{column}__in": ids})
    candidates = list(m.ExtraRecord.objects.filter(q))
    needed = {str(x.row.get(c)) for x in candidates for t, c, _ in links if t == x.table}
    found = stored_tables(sorted(needed))
    return [
        x
        for x in candidates
        if all(found.get(str(x.row.get(c))) == target for t, c, target in links if t == x.table)
    ]


def mentioned_ids(bundle: Bundle) -> list[str]:
    """Every id the file holds or refers to: what `stored_tables` looks up once per import."""
    ids = {str(r.get("id")) for rows in bundle.values() for r in rows}
    ids |= {str(r.get(c)) for (t, c) in REFERENCES for r in bundle.get(t, []) if r.get(c)}
    ids |= {str(r.get("link_id")) for r in bundle.get("attribute", []) if r.get("link_id")}
    return sorted(ids)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def stored_tables(ids: list[str]) -> dict[str, str]:
    """id -> the table that already holds it in Harbour."""
    valid = [x for x in ids if _is_uuid(x)]
    out: dict[str, str] = {}
    for spec in TABLES:
        if spec.model is not None:
            for pk in spec.model._default_manager.filter(pk__in=valid).values_list("pk", flat=True):
                out[str(pk)] = spec.name
    for pk, table in m.ExtraRecord.objects.filter(pk__in=valid).values_list("pk", "table"):
        out[str(pk)] = table
    return out


# --- external references on stored records -----------------------------------------------------

# What a page calls the record a reference column points at.
_LABELS = {
    "organization_id": gettext_lazy("Organisation"),
    "parent_organization_id": gettext_lazy("Parent organisation"),
    "program_id": gettext_lazy("Program"),
    "taxonomy_id": gettext_lazy("Taxonomy"),
    "parent_id": gettext_lazy("Broader term"),
    "service_id": gettext_lazy("Service"),
    "location_id": gettext_lazy("Location"),
    "service_at_location_id": gettext_lazy("Service at a location"),
    "contact_id": gettext_lazy("Contact"),
    "phone_id": gettext_lazy("Phone"),
}


def outside(table: str, obj: Any) -> list[tuple[str, str]]:
    """(what it points at, the id) for each reference of a stored record to a record that is not
    in this directory, for the pages to say so. An external reference lives in `extra` as it
    came; once its target is stored (and, for a link, re-linked) it is no longer outside."""
    extra = getattr(obj, "extra", None) or {}
    refs = {c: t for (tab, c), t in REFERENCES.items() if tab == table and extra.get(c)}
    if not refs:
        return []
    found = stored_tables([str(extra[c]) for c in refs])
    return [
        (str(_LABELS.get(c, c)), str(extra[c]))
        for c, target in refs.items()
        if found.get(str(extra[c])) != target
    ]


def relink(bundle: Bundle) -> list[Any]:
    """External references whose target has now arrived (this import brought it, or it was
    created in Harbour) become links: the foreign key is set and the id leaves `extra`, so the
    export gives back the same id and the pages show the record instead of "not in this
    directory". Only a target of the table the reference names is linked. Returns the ids of
    the services re-linked (their search index rows name their organisation)."""
    services: list[Any] = []
    for (table, column), target in REFERENCES.items():
        spec = BY_NAME[table]
        ids = [str(r.get("id")) for r in bundle.get(target, [])]
        if spec.model is None or not ids:
            continue
        field = model_fields(spec).get(column)
        if not isinstance(field, models.ForeignKey):
            continue
        waiting: list[Any] = list(
            spec.model._default_manager.filter(**{f"extra__{column}__in": ids, field.attname: None})
        )
        for obj in waiting:
            setattr(obj, field.attname, uuid.UUID(str(obj.extra.pop(column))))
        spec.model._default_manager.bulk_update(waiting, [field.name, "extra"], batch_size=500)
        if table == "service":
            services += [obj.pk for obj in waiting]
    return services


# --- a re-import of the same file ---------------------------------------------------------------


def unchanged(bundle: Bundle, stored: dict[str, str], org_id: Any = None) -> bool:
    """Every record of the file is already stored exactly so: writing it again would only churn
    timestamps and the search index, so a re-import of the same file writes nothing. `stored`:
    `stored_tables(mentioned_ids(bundle))` (a new record: changed, without another query)."""
    for spec in TABLES:
        rows = bundle.get(spec.name, [])
        if not rows:
            continue
        ids = [str(r.get("id")) for r in rows]
        if any(stored.get(i) != spec.name for i in ids):
            return False
        rows_before = _stored_rows(spec, ids, org_id)
        ignored = _harbour_keys(spec.name)
        for row in rows:
            before = rows_before.get(str(row.get("id")))
            if before is None or not _same_row(row, before, ignored):
                return False
    return _same_children(bundle)


# Upserted, not replaced, by an import: their stored children stay whatever the file says.
_KEPT = {"organization", "taxonomy", "taxonomy_term"}


def _same_children(bundle: Bundle) -> bool:
    """Each replaced record has as many stored children as the file gives it (a phone the file
    no longer has is a change), counting the children an import replaces with their parent:
    modelled rows that cascade from it, and attributes about it."""
    from django.db.models import Count

    from harbour.directory.hsds import NEST

    for parent, children in NEST.items():
        ids = {str(r.get("id")) for r in bundle.get(parent, [])}
        if not ids or parent in _KEPT:
            continue
        for child, column in children.values():
            spec = BY_NAME[child]
            field = model_fields(spec).get(column) if spec.model is not None else None
            if not isinstance(field, models.ForeignKey):
                continue
            if field.remote_field.on_delete is not models.CASCADE:
                continue
            in_file = _counts(str(r.get(column)) for r in bundle.get(child, []))
            assert spec.model is not None
            found = (
                spec.model._default_manager.filter(**{f"{field.attname}__in": list(ids)})
                .order_by()
                .values(field.attname)
                .annotate(n=Count("pk"))
                .values_list(field.attname, "n")
            )
            if {str(k): n for k, n in found} != {k: n for k, n in in_file.items() if k in ids}:
                return False
    every_id = [str(r.get("id")) for rows in bundle.values() for r in rows]
    in_file = _counts(str(r.get("link_id")) for r in bundle.get("attribute", []))
    found_attrs = (
        m.Attribute.objects.filter(link_id__in=[i for i in every_id if _is_uuid(i)])
        .order_by()
        .values("link_id")
        .annotate(n=Count("pk"))
        .values_list("link_id", "n")
    )
    wanted = {k: n for k, n in in_file.items() if k in set(every_id)}
    return {str(k): n for k, n in found_attrs} == wanted


def _counts(values: Any) -> dict[str, int]:
    from collections import Counter

    return dict(Counter(values))


@cache
def _harbour_keys(table: str) -> frozenset[str]:
    """Columns Harbour keeps that the file may leave out (the Harbour profile, a service's
    last_modified): a stored default is not a change when the file is silent about it."""
    from harbour.directory.tabular import _profile_fields

    return frozenset({f["name"] for f in _profile_fields(table)} | {"last_modified"})


def _stored_rows(spec: Any, ids: list[str], org_id: Any) -> dict[str, dict[str, Any]]:
    from harbour.directory.hsds import row_of

    if spec.model is None:
        found = m.ExtraRecord.objects.filter(table=spec.name, pk__in=ids)
        return {str(x.pk): x.row for x in found}
    objects = spec.model._default_manager.filter(pk__in=ids)
    # kept verbatim while its service or location is outside
    apart = m.ExtraRecord.objects.filter(table=spec.name, pk__in=ids)
    # a record managed by another organisation than the one now chosen has changed
    return {str(x.pk): x.row for x in apart} | {
        str(o.pk): row_of(spec, o)
        for o in objects
        if not hasattr(o, "org_id") or spec.name == "closure" or o.org_id == org_id
    }


def _same_row(row: dict[str, Any], stored: dict[str, Any], ignored: frozenset[str]) -> bool:
    """The file's row and the stored one hold the same values, and the stored one nothing more
    (a field the file no longer has is a change), but for Harbour's own columns the file
    leaves out."""
    from harbour.directory.hsds import compact

    row, stored = compact(row), compact(stored)
    if set(stored) - set(row) - ignored:
        return False
    return all(_same_value(v, stored.get(k)) for k, v in row.items())


def _same_value(value: Any, stored: Any) -> bool:
    if value == stored:
        return True
    if isinstance(value, str) and isinstance(stored, str):
        import datetime as dt

        try:
            return dt.datetime.fromisoformat(value) == dt.datetime.fromisoformat(stored)
        except ValueError:
            return False
    return False
