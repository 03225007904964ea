import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

DEFAULT = Path(settings.BASE_DIR) / "docs" / "reference" / "openapi.json"


def openapi_text() -> str:
    from harbour.api.api import api

    return json.dumps(api.get_openapi_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Write the API's OpenAPI document (committed as docs/reference/openapi.json)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", default=str(DEFAULT))

    def handle(self, *args: Any, **options: Any) -> None:
        Path(options["out"]).write_text(openapi_text(), encoding="utf-8")
        self.stdout.write(f"wrote {options['out']}")
