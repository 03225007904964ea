import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation
from django.utils.translation import gettext as _

DEFAULT = Path(settings.BASE_DIR) / "docs" / "reference" / "openapi.json"


def openapi_text() -> str:
    """The committed reference is the English document, whatever the operator's locale (the
    command line speaks the environment's language; the French document is served at run time)."""
    from harbour.api.api import api

    with translation.override("en"):
        schema = api.get_openapi_schema()
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Write the API's OpenAPI document (committed as docs/reference/openapi.json)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", default=str(DEFAULT))

    def handle(self, *args: Any, **options: Any) -> None:
        Path(options["out"]).write_text(openapi_text(), encoding="utf-8")
        self.stdout.write(_("wrote %(path)s") % {"path": options["out"]})
