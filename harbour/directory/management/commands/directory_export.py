"""`harbour directory export FILE [--format json|tabular]`: the directory as HSDS 3.0.

Exports what Harbour partners may see: public and partners-only locations; hidden locations'
addresses never (they are sealed with their organisation's key)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from harbour.directory import export, policy


class Command(BaseCommand):
    help = "Export the directory as HSDS 3.0 JSON or a tabular data package (ZIP)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--format", choices=["json", "tabular"], default="json")
        parser.add_argument("--public", action="store_true", help="only what the public may see")

    def handle(self, *args: Any, **options: Any) -> None:
        aud = policy.PUBLIC_AUDIENCE if options["public"] else policy.system_audience()
        bundle = export.bundle_for(aud)
        data = (
            export.json_bytes(bundle) if options["format"] == "json" else export.tabular_zip(bundle)
        )
        Path(options["path"]).write_bytes(data)
        self.stdout.write(
            _("Exported %(n)d services to %(path)s.")
            % {"n": len(bundle["service"]), "path": options["path"]}
        )
