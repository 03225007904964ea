from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from harbour.audit.queries import verify
from harbour.orgs import crypto
from harbour.orgs.models import OrgKey


class Command(BaseCommand):
    help = "Check this installation: settings, data dictionary, migrations, keys and audit trail."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("check", stdout=self.stdout, stderr=self.stderr)
        self._migrations()
        self._keys()
        checked, problems = verify()
        if problems:
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
