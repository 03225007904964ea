"""`harbour stats export RELEASE FILE [--format csv|json]`: a published release, with its
metadata, as the public download gives it."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from harbour.core.errors import NotFound
from harbour.stats import policy, presentation
from harbour.stats.layered import load


class Command(BaseCommand):
    help = "Write a published release to a CSV or JSON file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("release")
        parser.add_argument("path")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            release = policy.published_release(options["release"])
        except NotFound:
            raise CommandError(_("No published release has this id.")) from None
        meta = presentation.release_metadata(release)
        if options["format"] == "json":
            text = json.dumps({"metadata": meta, "table": release.result}, indent=2)
        else:
            text = presentation.csv_text(load(release.result), meta)
        Path(options["path"]).write_text(text, encoding="utf-8")
        self.stdout.write(
            _("Wrote release %(v)s to %(path)s.") % {"v": release.version, "path": options["path"]}
        )
