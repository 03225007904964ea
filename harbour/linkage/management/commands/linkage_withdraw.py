"""`harbour linkage withdraw --org ID`: an organisation leaves record linkage. Its encodings
are deleted (its records stay with it), and it stays out, nothing of it encoded and no hint for
its staff, until `harbour linkage rejoin --org ID` (ADR 41)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from harbour.audit.actions import SystemActor
from harbour.core.errors import Conflict
from harbour.linkage import actions
from harbour.linkage.management.commands.linkage_encode import organisation_id


class Command(BaseCommand):
    help = (
        "An organisation leaves record linkage: its encodings are deleted and none is made "
        "until it rejoins."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="the organisation's id")

    def handle(self, *args: Any, **options: Any) -> None:
        org_id = organisation_id(options["org"])
        try:
            count = actions.withdraw_organisation(by=SystemActor("linkage-withdraw"), org_id=org_id)
        except Conflict as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(_("%(count)d encodings deleted.") % {"count": count})
        self.stdout.write(
            _(
                "The organisation has left record linkage: its survivors are no longer encoded "
                "and its staff get no returning-survivor hint, until `harbour linkage rejoin "
                "--org %(org)s`."
            )
            % {"org": org_id}
        )
