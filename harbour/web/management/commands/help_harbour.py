from typing import Any

from django.core.management import get_commands
from django.core.management.base import BaseCommand

MAIN = [
    ("demo", "set up the database, load the standard and demo data, serve on 127.0.0.1:8000"),
    ("serve", "serve Harbour"),
    ("check", "check settings, dictionary, migrations, keys and the audit trail"),
]


class Command(BaseCommand):
    help = "List Harbour's commands."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("usage: harbour <command> [options]\n")
        for name, text in MAIN:
            self.stdout.write(f"  harbour {name:<24} {text}")
        prefixes = ("audit_", "standard_", "orgs_", "accounts_", "cases_", "api_", "demo_")
        for name in sorted(get_commands()):
            if name.startswith(prefixes):
                app, verb = name.split("_", 1)
                self.stdout.write(f"  harbour {app} {verb.replace('_', '-'):<{23 - len(app)}}")
        self.stdout.write("\nAny Django command works too, e.g. `harbour migrate`, `harbour shell`.")
