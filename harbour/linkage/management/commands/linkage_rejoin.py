"""`harbour linkage rejoin --org ID`: an organisation that left record linkage comes back. Its
survivors are encoded again, inside it, from its own records (ADR 41)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from harbour.audit.actions import SystemActor
from harbour.core.errors import Conflict
from harbour.linkage import actions
from harbour.linkage.management.commands.linkage_encode import organisation_id


class Command(BaseCommand):
    help = "An organisation that left record linkage rejoins it: its survivors are encoded again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="the organisation's id")

    def handle(self, *args: Any, **options: Any) -> None:
        org_id = organisation_id(options["org"])
        try:
            count = actions.rejoin_organisation(by=SystemActor("linkage-rejoin"), org_id=org_id)
        except Conflict as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(
            _(
                "The organisation has rejoined record linkage: %(count)d survivors encoded. "
                "The next `harbour linkage run` counts them."
            )
            % {"count": count}
        )
