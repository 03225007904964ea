"""`harbour linkage encode [--org ID] [--stale]`: encode survivors for record linkage, each
inside its own organisation (a backfill, or after the linkage key or scheme changed)."""

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from harbour.audit.actions import SystemActor
from harbour.linkage import actions
from harbour.orgs.models import Organisation


class Command(BaseCommand):
    help = "Encode survivors for record linkage (keyed Bloom filters; no plaintext leaves)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="only this organisation (its id)")
        parser.add_argument(
            "--stale", action="store_true", help="only survivors without a current encoding"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        org_id = None
        if options["org"]:
            try:
                org_id = uuid.UUID(options["org"])
            except ValueError:
                raise CommandError(_("No organisation has this id.")) from None
            if not Organisation.objects.filter(pk=org_id).exists():
                raise CommandError(_("No organisation has this id."))
        count = actions.encode_survivors(
            by=SystemActor("linkage-encode"), org_id=org_id, stale_only=options["stale"]
        )
        self.stdout.write(_("%(count)d survivors encoded.") % {"count": count})
