"""`harbour grants import KIND FILE`: funders, programs or awards from CSV (UTF-8). All or
nothing, with a report naming every bad row and column."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from harbour.audit.actions import SystemActor
from harbour.grants import tabular


class Command(BaseCommand):
    help = "Import funders, programs or awards from a CSV file (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["funders", "programs", "awards"])
        parser.add_argument("path")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        if path.stat().st_size > tabular.MAX_BYTES:
            raise CommandError(_("The file is larger than 5 MB."))
        report = tabular.import_csv(
            by=SystemActor("grants-import"), kind=options["kind"], data=path.read_bytes()
        )
        if not report.ok:
            for where, message in report.problems:
                line = {"where": where, "message": message}
                self.stderr.write(_("%(where)s: %(message)s") % line)
            raise CommandError(
                _("Nothing was imported: %(n)d problems.") % {"n": len(report.problems)}
            )
        self.stdout.write(_("Imported %(n)d rows.") % {"n": report.created})
