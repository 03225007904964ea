from typing import Any

from django.core.management import get_commands, load_command_class
from django.core.management.base import BaseCommand

MAIN = [
    ("demo", "set up the database, load the standard and demo data, serve on 127.0.0.1:8000"),
    ("serve", "serve Harbour"),
    ("check", "check settings, dictionary, migrations, keys and the audit trail"),
]
APPS = (
    "accounts",
    "api",
    "audit",
    "cases",
    "demo",
    "directory",
    "grants",
    "interchange",
    "linkage",
    "orgs",
    "sharing",
    "standard",
    "stats",
)


class Command(BaseCommand):
    help = "List Harbour's commands."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("usage: harbour <command> [options]   (harbour <command> --help)\n")
        for name, text in MAIN:
            self.stdout.write(f"  harbour {name:<28} {text}")
        commands = get_commands()
        for name in sorted(commands):
            app, _, verb = name.partition("_")
            if app in APPS and verb:
                summary = load_command_class(commands[name], name).help.split(". ")[0]
                self.stdout.write(f"  harbour {app + ' ' + verb.replace('_', '-'):<28} {summary}")
        self.stdout.write(
            "\nAny Django command works too, e.g. `harbour migrate`, `harbour shell`."
        )
