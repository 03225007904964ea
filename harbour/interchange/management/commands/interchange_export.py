"""`harbour interchange export PATH --user EMAIL [--format csv|xlsx|htcds|datapackage]
[--identifying]`: that member of staff's organisation's cases, audited like the web export."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from harbour.core.errors import DomainError
from harbour.interchange import actions
from harbour.interchange.management.commands.interchange_import import staff_member


class Command(BaseCommand):
    help = "Export your organisation's cases as CSV, XLSX, HTCDS 2.0 or a data package."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--user", required=True, help="e-mail of the exporting supervisor")
        parser.add_argument("--format", choices=list(actions.EXPORT_FORMATS), default="csv")
        parser.add_argument("--identifying", action="store_true", help="include identities")

    def handle(self, *args: Any, **options: Any) -> None:
        user = staff_member(options["user"])
        try:
            _name, _type, data = actions.export_cases(
                by=user, fmt=options["format"], identifying=options["identifying"]
            )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        Path(options["path"]).write_bytes(data)
        self.stdout.write(_("Written to %(path)s.") % {"path": options["path"]})
