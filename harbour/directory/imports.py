"""Importing HSDS 3.0 data (JSON or the tabular data package): all or nothing (invariant 5).

Every problem is collected into a validation report — where (table, record, field) and a
translated message naming the rule, never the offending value — and if there is any, nothing is
written. A valid file is written in one transaction with one audit event, and the search index is
rebuilt for the services it brought.
"""

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from harbour.audit.actions import Actor, record_event
from harbour.core import tenancy
from harbour.directory import index, references, sealing, shapes, tabular
from harbour.directory import models as m
from harbour.directory.actions import store_regions
from harbour.directory.hsds import BY_NAME, TABLES, Bundle, Table, flatten, model_fields

SCHEMAS = Path(__file__).resolve().parent / "data" / "hsds-3.0"
MAX_BYTES = 20 * 1024 * 1024
MAX_PROBLEMS = 200
MAX_TEXT = 20_000  # characters in any one text value (the longest real description is ~5,000)
# ...except a service area's extent: a GeoJSON or WKT boundary (a province's runs to megabytes)
MAX_TEXT_OF = {"extent": 5_000_000}
Problem = tuple[str, str]


class ImportFailed(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems[:MAX_PROBLEMS]
        super().__init__(f"{len(problems)} problems")


@dataclass
class ImportReport:
    ok: bool
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    shape: str = ""
    externals: list[tuple[str, str]] = field(default_factory=list)
    dry_run: bool = False
    unchanged: bool = False  # every record is already stored as it is: nothing was written


# --- reading files ----------------------------------------------------------------------------


def read_file(data: bytes, filename: str = "") -> tuple[Bundle, shapes.Shape]:
    if len(data) > MAX_BYTES:
        raise ImportFailed(
            [("file", _("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)})]
        )
    if data[:2] == b"PK" or filename.lower().endswith(".zip"):
        try:
            return tabular.read_zip(data, MAX_BYTES * 5), shapes.Shape("package")
        except tabular.PackageProblem as exc:
            raise ImportFailed(exc.problems) from None
    return read_json(data)


def read_json(data: bytes) -> tuple[Bundle, shapes.Shape]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailed([("file", _("The file is not UTF-8 text."))]) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailed(
            [
                (
                    "file",
                    _("The file is not valid JSON (line %(line)d, column %(column)d).")
                    % {"line": exc.lineno, "column": exc.colno},
                )
            ]
        ) from None
    try:
        shape = shapes.detect(document)
    except shapes.UnknownShape as exc:
        raise ImportFailed([(exc.where, exc.message)]) from None
    problems = _schema_problems(shape.objects)
    flat = flatten(shape.objects)
    problems += [
        (f"{t} {i}", _("The same id is used by two different records with different content."))
        for t, i in flat.duplicates + flat.conflicts
    ]
    if problems:
        raise ImportFailed(problems)
    return flat.result(), shape


# --- schema validation ------------------------------------------------------------------------


@cache
def _registry() -> Any:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resources = []
    for path in SCHEMAS.glob("*.json"):
        if path.name != "openapi.json":
            schema = json.loads(path.read_text(encoding="utf-8"))
            resources.append((path.name, Resource.from_contents(schema, DRAFT202012)))
    return Registry().with_resources(resources)


@cache
def validator(name: str, compiled: bool = False) -> Any:
    """A Draft 2020-12 validator (with formats) for an official HSDS 3.0 schema."""
    from jsonschema import Draft202012Validator

    folder = SCHEMAS / "compiled" if compiled else SCHEMAS
    schema = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    return Draft202012Validator(
        schema, registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _schema_problems(objects: list[tuple[str, dict[str, Any]]]) -> list[Problem]:
    problems: list[Problem] = []
    counters: dict[str, int] = {}
    for table, obj in objects:
        n = counters[table] = counters.get(table, -1) + 1
        if "_bad" in obj:
            problems.append((f"{table}[{n}]", _("Each record must be a JSON object.")))
            continue
        # name the record by its id where it has a usable one, by its position otherwise
        record = f"{table} {obj['id']}" if isinstance(obj.get("id"), str) else f"{table}[{n}]"
        if table not in _official():
            continue
        compiled = table in {"service", "organization"}
        for error in validator(table, compiled).iter_errors(obj):
            where = record + "".join(
                f".{p}" if isinstance(p, str) else f"[{p}]" for p in error.absolute_path
            )
            problems.append((where, schema_message(error)))
    return problems


def schema_message(error: Any) -> str:
    """A translated message for a JSON Schema error; never echoes the value."""
    kind = error.validator
    if kind == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else ""
        return _("The required property “%(name)s” is missing.") % {"name": missing}
    if kind == "type":
        return _("This value must be of type %(type)s.") % {"type": error.validator_value}
    if kind == "enum":
        return _("This value must be one of: %(values)s.") % {
            "values": ", ".join(str(v) for v in error.validator_value)
        }
    if kind == "format":
        return _("This value is not a valid %(format)s.") % {"format": error.validator_value}
    return _("This value does not follow the HSDS 3.0 schema.")


# --- checks on the whole bundle ---------------------------------------------------------------


def check_bundle(
    bundle: Bundle, *, stored: dict[str, str], org: Any = None
) -> tuple[list[Problem], list[references.External]]:
    """`stored`: `references.stored_tables(references.mentioned_ids(bundle))`, looked up once."""
    problems: list[Problem] = []
    for name, rows in bundle.items():
        seen: set[str] = set()
        for row in rows:
            rid = str(row.get("id"))
            if rid in seen:
                problems.append(
                    (f"{name} {rid}", _("The same id is used by two different records."))
                )
            seen.add(rid)
            problems += _row_problems(name, row)
    problems += _shared_ids(bundle, stored)
    problems += _size_problems(bundle)
    reference_problems, externals = references.check(bundle, stored)
    problems += reference_problems
    problems += _profile_problems(bundle, org)
    return problems, externals


def _size_problems(bundle: Bundle) -> list[Problem]:
    """A description is text, not a file: every text value has a limit, kept or not."""
    problems: list[Problem] = []
    for name, rows in bundle.items():
        for row in rows:
            for key, value in row.items():
                limit = MAX_TEXT_OF.get(key, MAX_TEXT)
                if _longest(value) > limit:
                    problems.append(
                        (
                            f"{name} {row.get('id')}.{key}",
                            _("This value is longer than %(n)d characters.") % {"n": limit},
                        )
                    )
    return problems


def _longest(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return max((_longest(v) for v in value), default=0)
    if isinstance(value, dict):
        return max((_longest(v) for v in value.values()), default=0)
    return 0


def _shared_ids(bundle: Bundle, stored: dict[str, str]) -> list[Problem]:
    """One id, one record: an id used in two tables would make every reference ambiguous."""
    first: dict[str, str] = {}
    problems: list[Problem] = []
    for name, rows in bundle.items():
        for row in rows:
            rid = str(row.get("id"))
            if stored.get(rid, name) != name:
                problems.append(
                    (
                        f"{name} {rid}",
                        _("Harbour already holds a %(table)s record with this id.")
                        % {"table": stored[rid]},
                    )
                )
            elif first.setdefault(rid, name) != name:
                problems.append(
                    (
                        f"{name} {rid}",
                        _("This id is also used by a %(table)s record.") % {"table": first[rid]},
                    )
                )
    return problems


def _row_problems(table: str, row: dict[str, Any]) -> list[Problem]:
    where = f"{table} {row.get('id')}"
    try:
        uuid.UUID(str(row.get("id")))
    except ValueError:
        return [(where, _("The id must be a UUID."))]
    problems = (
        [
            (f"{where}.{'.'.join(str(p) for p in e.absolute_path)}", schema_message(e))
            for e in validator(table).iter_errors(_scalars(row))
        ]
        if table in _official()
        else []
    )
    spec = BY_NAME[table]
    if spec.model is not None:
        for name, f in model_fields(spec).items():
            message = _field_problem(f, row.get(name))
            if message:
                problems.append((f"{where}.{name}", message))
    return problems


@cache
def _official() -> frozenset[str]:
    return frozenset(p.stem for p in SCHEMAS.glob("*.json")) - {"openapi"}


def _scalars(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not isinstance(v, list | dict) or k in {"genders"}}


def _field_problem(f: models.Field, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(f, models.BooleanField):
        return None if isinstance(value, bool) else _("This value must be true or false.")
    if isinstance(f, models.IntegerField):
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            return _("This value must be a whole number.")
        if isinstance(f, models.PositiveIntegerField | models.PositiveSmallIntegerField) and (
            value < 0
        ):
            return _("This value cannot be negative.")
        return None
    if isinstance(f, models.FloatField):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else _("This value must be a number.")
    if isinstance(f, models.DateField) and not isinstance(f, models.DateTimeField):
        try:
            dt.date.fromisoformat(str(value))
        except ValueError:
            return _("This value must be a date (YYYY-MM-DD).")
        return None
    if isinstance(f, models.CharField | models.TextField) and not isinstance(value, str):
        return _("This value must be text.")
    if isinstance(f, models.CharField) and f.max_length and len(value) > f.max_length:
        return _("This value is longer than %(n)d characters.") % {"n": f.max_length}
    if isinstance(f, models.JSONField) and not isinstance(value, list):
        return _("This value must be a list.")
    if f.choices and value not in {c[0] for c in f.choices}:
        return _("This value must be one of: %(values)s.") % {
            "values": ", ".join(str(c[0]) for c in f.choices)
        }
    return None


def _profile_problems(bundle: Bundle, org: Any) -> list[Problem]:
    from harbour.standard.dictionary import current

    problems: list[Problem] = []
    genders = {c.code for c in current().codelists["gender_identity"].codes}
    for row in bundle.get("service", []):
        if any(g not in genders for g in row.get("genders") or []):
            problems.append(
                (
                    f"service {row['id']}.genders",
                    _("Choose genders from Harbour's gender identity list."),
                )
            )
        low, high = row.get("minimum_age"), row.get("maximum_age")
        if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
            problems.append(
                (
                    f"service {row['id']}.maximum_age",
                    _("The maximum age cannot be less than the minimum age."),
                )
            )
    for row in bundle.get("location", []):
        if row.get("confidentiality") == m.Confidentiality.HIDDEN and org is None:
            problems.append(
                (
                    f"location {row['id']}.confidentiality",
                    _(
                        "A hidden location must belong to a Harbour organisation: choose "
                        "the organisation that owns this data."
                    ),
                )
            )
    for row in bundle.get("closure", []):
        if str(row.get("starts_on", "")) > str(row.get("ends_on", "")):
            problems.append(
                (
                    f"closure {row['id']}.ends_on",
                    _("The closure must end on or after its first day."),
                )
            )
    return problems


# --- writing ----------------------------------------------------------------------------------


def import_file(
    *, by: Actor, data: bytes, filename: str = "", org: Any = None, dry_run: bool = False
) -> ImportReport:
    """Read, check and import a file; on any problem nothing is written. A dry run gives the
    same report and writes nothing."""
    shape = None
    try:
        bundle, shape = read_file(data, filename)
        stored = references.stored_tables(references.mentioned_ids(bundle))
        problems, externals = check_bundle(bundle, stored=stored, org=org)
        if problems:
            raise ImportFailed(problems)
        counts = {t.name: len(bundle[t.name]) for t in TABLES if bundle.get(t.name)}
        same = bool(counts) and references.unchanged(bundle, stored, getattr(org, "pk", org))
        if not dry_run and not same:
            counts = import_bundle(by=by, bundle=bundle, org=org, externals=externals)
    except ImportFailed as exc:
        return ImportReport(
            ok=False,
            problems=exc.problems,
            shape=shape.describe() if shape else "",
            dry_run=dry_run,
        )
    return ImportReport(
        ok=True,
        counts=counts,
        shape=shape.describe(),
        externals=[(e.where, e.value) for e in externals],
        dry_run=dry_run,
        unchanged=same,
    )


@transaction.atomic
def import_bundle(
    *,
    by: Actor,
    bundle: Bundle,
    externals: list[references.External],
    org: Any = None,
) -> dict[str, int]:
    org_id = getattr(org, "pk", org)
    outside = references.external_columns(externals)
    apart = references.kept_apart(bundle, externals)
    replaced = _delete_replaced(bundle)
    counts: dict[str, int] = {}
    hidden_addresses = sealing.hidden_addresses(bundle)
    sealed_away = set(hidden_addresses) | sealing.seal_into_stored_hidden(bundle, hidden_addresses)
    for table in TABLES:
        rows = [
            r
            for r in bundle.get(table.name, [])
            if not (table.name == "address" and r.get("location_id") in sealed_away)
        ]
        if not rows:
            continue
        counts[table.name] = len(rows)
        # a child of a service or location that is outside is kept verbatim until it arrives
        verbatim = [r for r in rows if (table.name, str(r.get("id"))) in apart]
        if table.model is None or verbatim:
            _write_extra(table, rows if table.model is None else verbatim, apart)
        if table.model is not None and len(verbatim) < len(rows):
            rows = [r for r in rows if (table.name, str(r.get("id"))) not in apart]
            _write_rows(table, rows, org_id, hidden_addresses, outside)
    _restore_last_modified(bundle)
    relinked = references.relink(bundle) + _settle_waiting(bundle, org_id)
    index.refresh([r["id"] for r in bundle.get("service", [])] + replaced + relinked)
    record_event(
        by=by,
        action="directory.imported",
        org_id=org_id,
        target_type="import",
        target_id=uuid.uuid4(),
        fields=sorted(counts),
        context=counts,
    )
    return counts


def _delete_replaced(bundle: Bundle) -> list[Any]:
    """Records with the same id are replaced whole (their old children go with them)."""
    affected = list(
        m.ServiceAtLocation.objects.filter(
            location_id__in=[r["id"] for r in bundle.get("location", [])]
        ).values_list("service_id", flat=True)
    )
    for table in reversed(TABLES):
        ids = [r["id"] for r in bundle.get(table.name, [])]
        if not ids or table.name in {"organization", "taxonomy", "taxonomy_term"}:
            continue
        # a modelled table's rows may be kept verbatim too (their parent was outside)
        m.ExtraRecord.objects.filter(table=table.name, pk__in=ids).delete()
        if table.model is None:
            continue
        m.Attribute.objects.filter(link_id__in=ids).delete()
        if table.name == "location":  # their sealed rows first, as each one's organisation
            for location in _with_sealed_rows(ids):
                sealing.drop_hidden(location)
        table.model._default_manager.filter(pk__in=ids).delete()
    return affected


def _with_sealed_rows(ids: list[Any]) -> list[Any]:
    """The locations among `ids` that hold a sealed row, whoever's they are. Widened: a
    national curator replacing another organisation's hidden location cannot see its row, and
    a join in the curator's own scope would leave it behind (a location made public keeping
    its address, or a second row refused for the new owner). Reads which rows exist, never
    their contents."""
    with tenancy.widened("directory import: replaced locations' sealed rows"):
        return list(m.Location.objects.filter(pk__in=ids, hidden_address__isnull=False))


def _write_extra(
    table: Table, rows: list[dict[str, Any]], apart: dict[tuple[str, str], str]
) -> None:
    m.ExtraRecord.objects.bulk_create(
        m.ExtraRecord(
            pk=r["id"],
            table=table.name,
            row=r,
            parent_id=apart.get((table.name, str(r["id"]))) or r.get(table.parent_key) or None,
        )
        for r in rows
    )


def _settle_waiting(bundle: Bundle, org_id: Any) -> list[Any]:
    """Rows kept verbatim because their service or location was outside move into their table
    once every parent they need is stored (docs/adr/0043); an address of a location that
    arrived hidden is sealed into it instead, since no row may hold a hidden address. Returns
    the services whose index must be refreshed."""
    arrived = {str(r.get("id")) for rows in bundle.values() for r in rows}
    waiting = references.waiting_children(arrived)
    m.ExtraRecord.objects.filter(pk__in=[x.pk for x in waiting]).delete()
    hidden = m.Location.objects.filter(
        pk__in=[x.row.get("location_id") for x in waiting if x.table == "address"],
        confidentiality=m.Confidentiality.HIDDEN,
    )
    sealed: dict[str, list[dict[str, Any]]] = {str(h.pk): [] for h in hidden}
    for x in waiting:
        if x.table == "address" and str(x.row.get("location_id")) in sealed:
            sealed[str(x.row["location_id"])].append(x.row)
    for location in hidden:
        sealing.seal_addresses(location, sealed[str(location.pk)])
    waiting = [
        x for x in waiting if not (x.table == "address" and str(x.row.get("location_id")) in sealed)
    ]
    for table in TABLES:
        rows = [x.row for x in waiting if x.table == table.name]
        if rows:
            _write_rows(table, rows, org_id, {}, {})
    services = [x.row["service_id"] for x in waiting if x.row.get("service_id")]
    locations = [x.row["location_id"] for x in waiting if x.row.get("location_id")]
    return services + list(
        m.ServiceAtLocation.objects.filter(location_id__in=locations).values_list(
            "service_id", flat=True
        )
    )


def _write_rows(
    table: Table,
    rows: list[dict[str, Any]],
    org_id: Any,
    hidden: dict[str, list[dict[str, Any]]],
    outside: dict[tuple[str, str], set[str]],
) -> None:
    assert table.model is not None
    fields = model_fields(table)
    objects: list[Any] = []
    placed: list[tuple[Any, Any, Any]] = []  # hidden locations with their true position
    sealed: list[tuple[Any, Any, Any, Any]] = []  # ... and their addresses, to seal
    for row in rows:
        # an external reference stays as it came, in `extra`, since no row here can hold it
        ext = outside.get((table.name, str(row.get("id"))), set())
        values = {
            fields[k].attname: _python(fields[k], v)
            for k, v in row.items()
            if k in fields and k not in ext
        }
        extra = {
            k: v for k, v in row.items() if (k not in fields or k in ext) and k != "last_modified"
        }
        obj = table.model(**values, extra=extra)
        if hasattr(obj, "org_id") and table.name != "closure":
            obj.org_id = org_id
        if table.name == "location" and (position := sealing.prepare_location(obj, row, hidden)):
            placed.append((obj, *position))
            sealed.append((obj, hidden[row["id"]], *position))
        objects.append(obj)
    if table.name in {"organization", "taxonomy", "taxonomy_term"}:
        _upsert(table.model, objects)
    else:
        table.model._default_manager.bulk_create(objects, batch_size=500)
    sealing.seal_prepared(sealed)  # once the locations exist: the sealed row refers to them
    # A hidden location's coarse region (ADR 44), from its position while it is still at hand;
    # the index, refreshed after the writes, copies the region and never the position.
    store_regions(placed)


def _upsert(model: type[models.Model], objects: list[Any]) -> None:
    existing = set(
        model._default_manager.filter(pk__in=[o.pk for o in objects]).values_list("pk", flat=True)
    )
    new = [o for o in objects if o.pk not in existing]
    old = [o for o in objects if o.pk in existing]
    model._default_manager.bulk_create(new, batch_size=500)
    names = [
        f.name
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in {"created_at", "updated_at"}
    ]
    if old:
        model._default_manager.bulk_update(old, names, batch_size=500)


def _python(f: models.Field, value: Any) -> Any:
    if isinstance(f, models.ForeignKey | models.UUIDField) and value is not None:
        return uuid.UUID(str(value))
    if isinstance(f, models.DateField) and not isinstance(f, models.DateTimeField):
        return dt.date.fromisoformat(str(value)) if value else None
    if isinstance(f, models.IntegerField) and value is not None:
        return int(value)
    return value


def _restore_last_modified(bundle: Bundle) -> None:
    """Keep the publisher's last_modified (updated_at) rather than the import time."""
    for row in bundle.get("service", []):
        stamp = row.get("last_modified")
        if not stamp:
            continue
        try:
            when = dt.datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
        except ValueError:
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        m.Service.objects.filter(pk=row["id"]).update(updated_at=when)
