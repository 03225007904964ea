"""The HSDS 3.0 tabular data package (Frictionless): its descriptor, and reading one safely.

The descriptor is built from the official compiled `tabular.json` (one resource per HSDS table)
plus the Harbour profile's extension columns and its `closures` table. Reading validates the
package with Frictionless (headers, types, required values, unique ids) after Harbour's own
checks (size, UTF-8, no paths outside the package).
"""

import datetime as dt
import decimal
import json
import tempfile
import zipfile
import zlib
from functools import cache
from pathlib import Path
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from harbour.directory import hsds
from harbour.directory.hsds import BY_NAME, TABLES, Bundle

SCHEMAS = Path(__file__).resolve().parent / "data" / "hsds-3.0"
MAX_FILES = 60
_TYPES = {
    models.BooleanField: "boolean",
    models.IntegerField: "integer",
    models.PositiveIntegerField: "integer",
    models.PositiveSmallIntegerField: "integer",
    models.FloatField: "number",
    models.DateField: "date",
    models.DateTimeField: "datetime",
    models.JSONField: "array",
}


@cache
def hsds_tables() -> dict[str, dict[str, Any]]:
    raw = json.loads((SCHEMAS / "compiled" / "tabular.json").read_text(encoding="utf-8"))
    return {name: spec["items"] for name, spec in raw["properties"].items()}


def _hsds_fields(table: str) -> list[dict[str, Any]]:
    spec = hsds_tables().get(table)
    if spec is None:
        return []
    out = []
    for name, prop in spec["properties"].items():
        if prop.get("type") in {"array", "object"} or "$ref" in prop:
            continue
        kind = prop.get("datapackage_type") or prop.get("type", "string")
        # HSDS writes times as "17:00": keep them as text rather than Frictionless' HH:MM:SS.
        field: dict[str, Any] = {"name": name, "type": "string" if kind == "time" else kind}
        if prop.get("format") in {"uuid", "email"}:
            field["format"] = prop["format"]
        if "enum" in prop:
            field["constraints"] = {"enum": prop["enum"]}
        if name == "id":
            # In CSV an empty cell is also an empty text: other required columns are checked
            # against the HSDS JSON schema after reading.
            field.setdefault("constraints", {})["required"] = True
        out.append(field)
    return out


def _profile_fields(table: str) -> list[dict[str, Any]]:
    """Model columns that HSDS 3.0 does not have: the Harbour profile."""
    known = {f["name"] for f in _hsds_fields(table)}
    spec = BY_NAME[table]
    if spec.model is None:
        return []
    out = []
    for name, f in hsds.model_fields(spec).items():
        if name in known:
            continue
        kind = next((v for k, v in _TYPES.items() if type(f) is k), "string")
        field: dict[str, Any] = {"name": name, "type": kind}
        if name == "id" or (isinstance(f, models.ForeignKey) and not f.null):
            field["constraints"] = {"required": True}
        if f.choices:
            field.setdefault("constraints", {})["enum"] = [c[0] for c in f.choices]
        out.append(field)
    return out


def schema_fields(table: str) -> list[dict[str, Any]]:
    return _hsds_fields(table) + _profile_fields(table)


def csv_columns(table: str, rows: list[dict[str, Any]]) -> list[str]:
    declared = [f["name"] for f in schema_fields(table)]
    extra = sorted({k for r in rows for k in r} - set(declared))
    return declared + extra


def datapackage_descriptor(columns: dict[str, list[str]]) -> dict[str, Any]:
    resources = []
    for table in TABLES:
        declared = {f["name"]: f for f in schema_fields(table.name)}
        fields = [declared.get(c, {"name": c, "type": "any"}) for c in columns[table.name]]
        resources.append(
            {
                "name": table.name,
                "path": f"{table.plural}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {"fields": fields, "primaryKey": ["id"]},
            }
        )
    return {
        "name": "hsds-harbour",
        "title": "Harbour service directory (HSDS 3.0, Harbour profile)",
        "profile": "tabular-data-package",
        "resources": resources,
        "licenses": [{"name": "CC-BY-SA-4.0", "title": hsds.ATTRIBUTION}],
    }


# --- reading ----------------------------------------------------------------------------------


class PackageProblem(Exception):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{w}: {m}" for w, m in problems))


def read_zip(data: bytes, max_bytes: int) -> Bundle:
    with tempfile.TemporaryDirectory(prefix="hsds-") as tmp:
        root = Path(tmp)
        _unzip(data, root, max_bytes)
        return read_directory(root)


def _unzip(data: bytes, root: Path, max_bytes: int) -> None:
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise PackageProblem([("file", _("This is not a ZIP file or a JSON file."))]) from None
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > MAX_FILES or sum(i.file_size for i in infos) > max_bytes:
        raise PackageProblem([("file", _("The package is too large once unpacked."))])
    for info in infos:
        name = Path(info.filename).name
        if name != info.filename.split("/")[-1] or name.startswith("."):
            continue
        try:
            (root / name).write_bytes(archive.read(info))
        except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError, zlib.error):
            # a damaged or truncated archive, or a compression method Python cannot read
            raise PackageProblem(
                [(name, _("This file of the ZIP archive cannot be read."))]
            ) from None


def read_directory(root: Path) -> Bundle:
    descriptor_path = root / "datapackage.json"
    if not descriptor_path.exists():
        raise PackageProblem([("datapackage.json", _("The package has no datapackage.json."))])
    problems: list[tuple[str, str]] = []
    for csv_file in sorted(root.glob("*.csv")):
        try:
            csv_file.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            problems.append((csv_file.name, _("This file is not UTF-8 text.")))
    try:
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        problems.append(("datapackage.json", _("This file is not valid JSON (UTF-8).")))
        raise PackageProblem(problems) from None
    if problems:
        raise PackageProblem(problems)
    return _read_resources(root, _checked_descriptor(descriptor, root))


def _checked_descriptor(descriptor: Any, root: Path) -> dict[str, Any]:
    """Use our schema for every HSDS table (a publisher's descriptor only chooses the files)."""
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        raise PackageProblem([("datapackage.json", _("The package lists no resources."))])
    resources = []
    problems: list[tuple[str, str]] = []
    for res in descriptor["resources"]:
        name = res.get("name") if isinstance(res, dict) else None
        path = res.get("path") if isinstance(res, dict) else None
        if name not in BY_NAME or not isinstance(path, str) or "/" in path or "\\" in path:
            problems.append((str(name or path), _("Unknown table: not part of HSDS 3.0.")))
            continue
        if not (root / path).exists():
            problems.append((path, _("A file listed in datapackage.json is missing.")))
            continue
        resources.append((name, path))
    if problems:
        raise PackageProblem(problems)
    return {"resources": resources}


def _read_resources(root: Path, checked: dict[str, Any]) -> Bundle:
    from frictionless import Resource, Schema, system

    bundle = hsds.empty_bundle()
    problems: list[tuple[str, str]] = []
    for name, path in checked["resources"]:
        header = _header(root / path)
        missing = _missing_columns(name, header)
        if missing:
            problems += [(f"{path}, {column}", _missing_message(column)) for column in missing]
            continue
        declared = {f["name"]: f for f in schema_fields(name)}
        fields = [declared.get(c, {"name": c, "type": "string"}) for c in header]
        schema = Schema.from_descriptor({"fields": fields, "primaryKey": ["id"]})
        with system.use_context(trusted=True):
            resource = Resource(
                path=path, basepath=str(root), schema=schema, format="csv", encoding="utf-8"
            )
            report = resource.validate()
            if not report.valid:
                problems += _report_problems(path, report)
                continue
            rows: Any = resource.read_rows()  # type: ignore[attr-defined]
            for row in rows:
                bundle[name].append(_with_required(name, _plain_row(row.to_dict())))
    if problems:
        raise PackageProblem(problems)
    return bundle


def _missing_columns(table: str, header: list[str]) -> list[str]:
    """The id and every column HSDS requires must be in the header: a missing column would
    otherwise read as blanks and replace the stored values."""
    wanted = ["id", *(c for c in hsds.required(table) if c != "id")]
    wanted += [
        f["name"] for f in _profile_fields(table) if f.get("constraints", {}).get("required")
    ]
    return [c for c in dict.fromkeys(wanted) if c not in header]


def _missing_message(column: str) -> str:
    return _("The required column “%(column)s” is missing from this file.") % {"column": column}


def _header(path: Path) -> list[str]:
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle), [])


def _report_problems(path: str, report: Any) -> list[tuple[str, str]]:
    out = []
    for task in report.tasks:
        for error in task.errors[:20]:
            where = path
            if getattr(error, "row_number", None):
                where += f", {_('row')} {error.row_number}"
            if getattr(error, "field_name", None):
                where += f", {error.field_name}"
            out.append((where, _frictionless_message(error)))
    return out


def _frictionless_message(error: Any) -> str:
    kinds = {
        "type-error": _("This value has the wrong type for this column."),
        "constraint-error": _(
            "This value breaks a rule of this column (required, allowed values or format)."
        ),
        "primary-key": _("This id is used more than once."),
        "unique-error": _("This id is used more than once."),
        "missing-label": _("A column is missing from the header."),
        "duplicate-label": _("A column appears twice in the header."),
        "blank-label": _("A column has no name in the header."),
        "extra-cell": _("This row has more cells than the header."),
        "missing-cell": _("This row has fewer cells than the header."),
        "blank-row": _("This row is empty."),
        "encoding-error": _("This file is not UTF-8 text."),
    }
    return str(kinds.get(error.type, _("This table could not be read as HSDS 3.0.")))


def _with_required(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """An empty cell in a required text column (the header has it: checked before) is an
    empty text, which HSDS allows."""
    for name in hsds.required(table):
        if (
            name not in row
            and name != "id"
            and hsds_tables()[table]["properties"].get(name, {}).get("type") == "string"
        ):
            row[name] = ""
    return row


def _plain_row(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dt.datetime | dt.date | dt.time):
            value = value.isoformat()
        elif isinstance(value, decimal.Decimal):
            value = int(value) if value == value.to_integral_value() else float(value)
        out[key] = value
    return hsds.compact(out)
