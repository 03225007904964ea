"""`harbour linkage rejoin --org ID`: an organisation that left record linkage comes back. Its
survivors are encoded again, inside it, from its own records (ADR 41)."""

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from harbour.audit.actions import SystemActor
from harbour.core.errors import Conflict
from harbour.linkage import actions
from harbour.orgs.models import Organisation


def _organisation_id(given: str) -> uuid.UUID:
    """The id of an existing organisation. Anything else is refused before anything is read or
    written, saying whether the value is not an id at all (a short name, a typo) or no
    organisation's."""
    try:
        org_id = uuid.UUID(given.strip())
    except ValueError:
        raise CommandError(
            _(
                "--org takes an organisation's id (a UUID, as given to `harbour linkage "
                "withdraw`); “%(given)s” is not one. Nothing was changed."
            )
            % {"given": given}
        ) from None
    if not Organisation.objects.filter(pk=org_id).exists():
        raise CommandError(
            _("No organisation has the id %(given)s. Nothing was changed.") % {"given": org_id}
        )
    return org_id


class Command(BaseCommand):
    help = "An organisation that left record linkage rejoins it: its survivors are encoded again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="the organisation's id")

    def handle(self, *args: Any, **options: Any) -> None:
        org_id = _organisation_id(options["org"])
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
