"""`harbour directory import FILE [--org SHORT_NAME] [--dry-run]`: import HSDS 3.0 JSON (any
shape the specification defines) or a tabular data package (ZIP or a folder with
datapackage.json). All or nothing, with a validation report; a dry run writes nothing."""

import io
import zipfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from harbour.audit.actions import SystemActor
from harbour.directory import imports
from harbour.orgs.models import Organisation


class Command(BaseCommand):
    help = "Import HSDS 3.0 data (JSON, or the tabular data package as ZIP or folder)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument(
            "--org",
            default="",
            help="short name of the organisation that "
            "will manage the imported entries (required for hidden locations)",
        )

        parser.add_argument(
            "--dry-run", action="store_true", help="check and report only, write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.exists():
            raise CommandError(_("No such file or folder: %(path)s") % {"path": path})
        org = None
        if options["org"]:
            org = Organisation.objects.filter(short_name=options["org"]).first()
            if org is None:
                raise CommandError(_("No organisation has this short name."))
        data, name = (
            (_zip_folder(path), "package.zip") if path.is_dir() else (path.read_bytes(), path.name)
        )
        report = imports.import_file(
            by=SystemActor("directory-import"),
            data=data,
            filename=name,
            org=org,
            dry_run=options["dry_run"],
        )
        if report.shape:
            self.stdout.write(_("Read as %(shape)s.") % {"shape": report.shape})
        if not report.ok:
            for where, message in report.problems:
                line = {"where": where, "message": message}
                self.stderr.write(_("%(where)s: %(message)s") % line)
            raise CommandError(
                _("Nothing was imported: %(n)d problems.") % {"n": len(report.problems)}
            )
        for where, value in report.externals:
            self.stdout.write(
                _("%(where)s: %(id)s is not in this directory (kept as an external reference).")
                % {"where": where, "id": value}
            )
        summary = ", ".join(f"{k}: {v}" for k, v in report.counts.items())
        if report.unchanged and not report.dry_run:
            self.stdout.write(
                _("Nothing changed: every record in the file is already in Harbour as it is.")
            )
        elif report.dry_run:
            self.stdout.write(
                _("Dry run: nothing was written. Would import %(summary)s.") % {"summary": summary}
            )
        else:
            self.stdout.write(_("Imported %(summary)s.") % {"summary": summary})


def _zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in sorted(folder.iterdir()):
            if item.is_file() and item.suffix in {".csv", ".json"}:
                archive.write(item, item.name)
    return buffer.getvalue()
