from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from harbour.audit.queries import first_problems, verify
from harbour.orgs import crypto, keystore
from harbour.orgs.models import OrgKey
from harbour.orgs.queries import records_awaiting_survivor_keys


class Command(BaseCommand):
    help = "Check this installation: settings, data dictionary, migrations, keys and audit trail."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--deploy",
            action="store_true",
            help="also run Django's deployment checks (HTTPS, cookies, headers, secrets)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        deploy = ["--deploy", "--fail-level", "WARNING"] if options["deploy"] else []
        call_command("check", *deploy, stdout=self.stdout, stderr=self.stderr)
        self._migrations()
        self._keys()
        checked, problems = verify()
        if problems:
            for problem in first_problems(problems):
                self.stderr.write(f"first bad event in {problem}")
            raise CommandError(f"audit trail NOT intact: {len(problems)} problem(s)")
        self.stdout.write(f"audit trail intact ({checked} events)")
        self.stdout.write(self.style.SUCCESS("Harbour check passed."))

    def _migrations(self) -> None:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            raise CommandError(f"{len(pending)} migration(s) not applied: run `harbour migrate`")
        self.stdout.write("database schema up to date")

    def _keys(self) -> None:
        keys = list(OrgKey.objects.all())
        for key in keys:
            crypto.unwrap(key)  # raises if the master key cannot open it
        self.stdout.write(f"{len(keys)} organisation keys open with the master key")
        keystore.store().get("harbour-check")  # raises if the key store cannot be reached
        self.stdout.write("survivor key store reachable")
        waiting = records_awaiting_survivor_keys()
        if waiting:
            raise CommandError(
                f"{waiting} record(s) about survivors are still sealed with organisation keys, "
                "so erasure would not reach backups of them: run `harbour orgs reseal`"
            )
