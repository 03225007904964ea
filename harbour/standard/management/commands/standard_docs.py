from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from harbour.standard.dictionary import current
from harbour.standard.exports import markdown

DEFAULT = Path(settings.BASE_DIR) / "docs" / "reference" / "data-dictionary.md"


class Command(BaseCommand):
    help = "Regenerate docs/reference/data-dictionary.md from the data dictionary."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", default=str(DEFAULT))

    def handle(self, *args: Any, **options: Any) -> None:
        Path(options["out"]).write_text(markdown(current()), encoding="utf-8")
        self.stdout.write(_("wrote %(path)s") % {"path": options["out"]})
