from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

from harbour.audit.management.commands._problems import first_bad_event
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
                self.stderr.write(first_bad_event(problem))
            raise CommandError(
                _("audit trail NOT intact: %(count)d problem(s)") % {"count": len(problems)}
            )
        self.stdout.write(_("audit trail intact (%(checked)d events)") % {"checked": checked})
        self.stdout.write(self.style.SUCCESS(_("Harbour check passed.")))

    def _migrations(self) -> None:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            raise CommandError(
                _("%(count)d migration(s) not applied: run `harbour migrate`")
                % {"count": len(pending)}
            )
        self.stdout.write(_("database schema up to date"))

    def _keys(self) -> None:
        keys = list(OrgKey.objects.all())
        for key in keys:
            crypto.unwrap(key)  # raises if the master key cannot open it
        self.stdout.write(
            _("%(count)d organisation keys open with the master key") % {"count": len(keys)}
        )
        keystore.store().get("harbour-check")  # raises if the key store cannot be reached
        self.stdout.write(_("survivor key store reachable"))
        waiting = records_awaiting_survivor_keys()
        if waiting:
            raise CommandError(
                _(
                    "%(count)d record(s) about survivors are still sealed with organisation keys, "
                    "so erasure would not reach backups of them: run `harbour orgs reseal`"
                )
                % {"count": waiting}
            )
