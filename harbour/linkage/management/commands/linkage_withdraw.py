"""`harbour linkage withdraw --org ID`: an organisation leaving the hub takes its encodings
with it (they are deleted; its records stay with it)."""

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from harbour.audit.actions import SystemActor
from harbour.linkage import actions
from harbour.orgs.models import Organisation


class Command(BaseCommand):
    help = "Delete an organisation's record-linkage encodings (it leaves the hub)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="the organisation's id")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            org_id = uuid.UUID(options["org"])
        except ValueError:
            raise CommandError(_("No organisation has this id.")) from None
        if not Organisation.objects.filter(pk=org_id).exists():
            raise CommandError(_("No organisation has this id."))
        count = actions.withdraw_organisation(by=SystemActor("linkage-withdraw"), org_id=org_id)
        self.stdout.write(_("%(count)d encodings deleted.") % {"count": count})
