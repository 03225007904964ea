"""Which HSDS 3.0 shape a JSON document has, read from its content (never from its file name).

HSDS publishes the same data in several shapes: a single service, organization, location,
service_at_location, taxonomy or taxonomy_term document (full or compact), the API's paged list
responses (`contents`), the API root document, the tabular data package written as JSON (one key
per CSV file), and Harbour's own export (services, organizations and taxonomies side by side).
Each is turned into top-level (table, object) pairs for the flattener, and the shape is named in
the import report so a publisher can see how their file was understood.
"""

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from harbour.directory.hsds import TABLES

SCHEMAS = Path(__file__).resolve().parent / "data" / "hsds-3.0"
# The tables a single document or a list page can hold (the specification's API objects).
DOCUMENT_TABLES = (
    "service",
    "organization",
    "location",
    "service_at_location",
    "taxonomy",
    "taxonomy_term",
)
TABLE_LABELS = {
    "service": gettext_lazy("service"),
    "organization": gettext_lazy("organization"),
    "location": gettext_lazy("location"),
    "service_at_location": gettext_lazy("service at a location"),
    "taxonomy": gettext_lazy("taxonomy"),
    "taxonomy_term": gettext_lazy("taxonomy term"),
}
PAGE_KEYS = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page"}
# Harbour's export: these at the top, and any record none of them holds under its table's plural
COLLECTION_KEYS = {
    "services": "service",
    "organizations": "organization",
    "taxonomies": "taxonomy",
    "taxonomy_terms": "taxonomy_term",
    "meta_table_descriptions": "meta_table_description",
} | {t.plural: t.name for t in TABLES}
Objects = list[tuple[str, dict[str, Any]]]


class UnknownShape(Exception):
    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(message)


@dataclass
class Shape:
    kind: str  # document, list, page, tabular, collection, api_root
    table: str = ""
    objects: Objects = field(default_factory=list)

    def describe(self) -> str:
        label = str(TABLE_LABELS.get(self.table, self.table))
        if not self.table and self.kind in {"page", "list", "document"}:
            return _("an API list page or a list with records of several kinds, or none")
        if self.kind == "document":
            return _("a single %(table)s document") % {"table": label}
        if self.kind == "page":
            return _("one page of an API list of %(table)s records") % {"table": label}
        if self.kind == "list":
            return _("a list of %(table)s records") % {"table": label}
        if self.kind == "tabular":
            return _("the tabular data package (written as JSON)")
        if self.kind == "package":
            return _("the tabular data package (CSV files)")
        if self.kind == "api_root":
            return _("the API root document: it holds no directory data")
        return _("a directory export (services, organizations and taxonomies)")


@cache
def _properties(table: str) -> frozenset[str]:
    compiled = SCHEMAS / "compiled" / f"{table}.json"
    path = compiled if compiled.exists() else SCHEMAS / f"{table}.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    extra = {"service"} if table == "service_at_location" else set()
    return frozenset(schema.get("properties", {})) | extra


def table_of(obj: dict[str, Any]) -> str | None:
    """The API object this is: the table whose schema knows most of its keys."""
    if "id" not in obj:
        return None
    keys = set(obj) - {"id"}
    best, best_score = None, 0
    for table in DOCUMENT_TABLES:
        props = _properties(table)
        known = len(keys & props)
        score = known * 2 - len(keys - props)
        if known and (score > best_score or (score == best_score and best is None)):
            best, best_score = table, score
    return best


def detect(document: Any) -> Shape:
    if isinstance(document, list):
        return _listed("list", document)
    if not isinstance(document, dict):
        raise UnknownShape("file", _unknown())
    if "contents" in document:
        if not isinstance(document["contents"], list):
            raise UnknownShape("contents", _("This must be a list."))
        return _listed("page", document["contents"])
    if document and all(isinstance(k, str) and k.endswith(".csv") for k in document):
        return Shape("tabular", objects=_tabular(document))
    if "id" not in document and any(
        k in document for k in ("services", "organizations", "taxonomies", "taxonomy_terms")
    ):
        return Shape("collection", objects=_collection(document))
    if "id" not in document and (
        "openapi_url" in document or set(document) <= {"version", "profile"}
    ):
        return Shape("api_root")
    table = table_of(document)
    if table is None:
        raise UnknownShape("file", _unknown())
    return Shape("document", table, _split(table, document))


def _unknown() -> str:
    return _(
        "This is not HSDS 3.0 data: expected a service, organization, location, "
        "service_at_location, taxonomy or taxonomy_term document, an API list page, the tabular "
        "data package, or a Harbour export."
    )


def _listed(kind: str, items: list[Any]) -> Shape:
    objects: Objects = []
    tables = set()
    for n, item in enumerate(items):
        table = table_of(item) if isinstance(item, dict) else None
        if table is None:
            raise UnknownShape(
                f"{'contents' if kind == 'page' else 'file'}[{n}]",
                _("This record is not an HSDS 3.0 object with an id."),
            )
        tables.add(table)
        objects += _split(table, item)
    return Shape(kind, tables.pop() if len(tables) == 1 else "", objects)


def _split(table: str, obj: dict[str, Any]) -> Objects:
    """A service_at_location document carries its whole service: read it as a service too."""
    if table == "service_at_location" and isinstance(obj.get("service"), dict):
        service = obj["service"]
        rest = {k: v for k, v in obj.items() if k != "service"}
        rest.setdefault("service_id", service.get("id"))
        return [("service", service), (table, rest)]
    return [(table, obj)]


def _tabular(document: dict[str, Any]) -> Objects:
    by_file = {f"{t.plural}.csv": t.name for t in TABLES} | {
        f"{t.name}.csv": t.name for t in TABLES
    }
    objects: Objects = []
    for name, rows in document.items():
        table = by_file.get(name)
        if table is None:
            raise UnknownShape(name, _("Unknown table: not part of HSDS 3.0."))
        if not isinstance(rows, list):
            raise UnknownShape(name, _("This must be a list."))
        objects += [
            (table, _as_cells(table, r) if isinstance(r, dict) else {"_bad": r}) for r in rows
        ]
    return objects


def _as_cells(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """Written as JSON, a CSV cell may come as a number where the column is text (an
    identifier such as 10092008082): it is that text, as in the CSV file."""
    from harbour.directory.tabular import hsds_tables

    props = hsds_tables().get(table, {}).get("properties", {})
    out = {}
    for key, value in row.items():
        text = props.get(key, {}).get("type") == "string"
        number = isinstance(value, int | float) and not isinstance(value, bool)
        out[key] = str(value) if text and number else value
    return out


def _collection(document: dict[str, Any]) -> Objects:
    objects: Objects = []
    for key, table in COLLECTION_KEYS.items():
        items = document.get(key, [])
        if not isinstance(items, list):
            raise UnknownShape(key, _("This must be a list."))
        objects += [(table, o if isinstance(o, dict) else {"_bad": o}) for o in items]
    return objects
