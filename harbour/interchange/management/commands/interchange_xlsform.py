"""`harbour interchange xlsform PATH [--language en|fr]`: the intake as an XLSForm for
KoBoToolbox or ODK (no case data in it)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from harbour.interchange import xlsform


class Command(BaseCommand):
    help = "Write the intake as an XLSForm for offline collection."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--language", choices=["en", "fr"], default="en")

    def handle(self, *args: Any, **options: Any) -> None:
        _name, data = xlsform.workbook(language=options["language"])
        Path(options["path"]).write_bytes(data)
        self.stdout.write(_("Written to %(path)s.") % {"path": options["path"]})
