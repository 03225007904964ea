import csv
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from harbour.standard.dictionary import DictionaryError, current
from harbour.standard.exports import json_schema, table_schema


class Command(BaseCommand):
    help = (
        "Write the data dictionary as JSON Schema and Frictionless Table Schema files, one per "
        "record type, plus the whole dictionary as one Frictionless data package descriptor."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", default="standard-export", help="output directory")
        parser.add_argument("--dictionary-version", dest="dict_version", help="e.g. 1.0")
        # The language of the schemas' titles and descriptions, not of this command's messages.
        parser.add_argument(
            "--language",
            default="en",
            choices=["en", "fr"],
            help="the language of the JSON Schemas' titles and descriptions (en)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        d = current()
        try:
            version = d.version(options["dict_version"]) if options["dict_version"] else d.latest
        except DictionaryError as exc:
            raise CommandError(str(exc)) from None
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        resources = []
        for entity in d.entities.values():
            schema = json_schema(d, entity, version, options["language"])
            table = table_schema(d, entity, version)
            _write(out / f"{entity.id}.schema.json", schema)
            _write(out / f"{entity.id}.tableschema.json", table)
            # An empty template (the header row): every file the package names is written.
            _write_csv(out / f"{entity.id}.csv", [[f["name"] for f in table["fields"]]])
            resources.append({"name": entity.id, "path": f"{entity.id}.csv", "schema": table})
        resources += _codelists(d, out)
        package = {
            "name": "harbour-common-terminology",
            "title": d.title.en,
            "version": str(version),
            "licenses": [{"name": "CC-BY-4.0", "title": d.attribution.en}],
            "resources": resources,
        }
        _write(out / "datapackage.json", package)
        files = 3 * len(d.entities) + len(d.codelists) + 1
        self.stdout.write(
            _("wrote %(files)d files for version %(version)s to %(path)s")
            % {"files": files, "version": version, "path": out}
        )


CODELIST_SCHEMA = {
    "fields": [
        {"name": "code", "type": "string", "constraints": {"required": True, "unique": True}},
        {"name": "label_en", "type": "string"},
        {"name": "label_fr", "type": "string"},
        {"name": "htcds", "type": "string"},
    ],
    "primaryKey": ["code"],
}


def _codelists(d: Any, out: Path) -> list[dict[str, Any]]:
    """Each code list as a CSV (code, English and French labels, HTCDS value)."""
    (out / "codelists").mkdir(exist_ok=True)
    resources = []
    for codelist in d.codelists.values():
        rows = [["code", "label_en", "label_fr", "htcds"]] + [
            [c.code, c.label.en, c.label.fr, c.htcds or ""] for c in codelist.codes
        ]
        path = f"codelists/{codelist.id}.csv"
        _write_csv(out / path, rows)
        name = f"codelist-{codelist.id}".replace("_", "-")
        resources.append({"name": name, "path": path, "schema": CODELIST_SCHEMA})
    return resources


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def _write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
