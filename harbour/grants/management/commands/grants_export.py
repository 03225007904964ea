"""`harbour grants export KIND [--out FILE]`: funders, programs, awards or partner profiles as
CSV (UTF-8, formula-safe). Partner contacts are personal data and never exported in bulk."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from harbour.grants import tabular


class Command(BaseCommand):
    help = "Export funders, programs, awards or partner profiles as CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=list(tabular.KINDS))
        parser.add_argument("--out", default="", help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        body = tabular.export(options["kind"])
        if not options["out"]:
            self.stdout.write(body, ending="")
            return
        Path(options["out"]).write_text(body, encoding="utf-8", newline="")
        self.stderr.write(_("Wrote %(path)s.") % {"path": options["out"]})
