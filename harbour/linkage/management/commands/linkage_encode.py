"""`harbour linkage encode [--org ID] [--stale]`: encode survivors for record linkage, each
inside its own organisation (a backfill, or after the linkage key or scheme changed).
Organisations that have left record linkage are left out (ADR 41)."""

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from harbour.audit.actions import SystemActor
from harbour.linkage import actions, queries
from harbour.orgs.models import Organisation


def organisation_id(text: str) -> uuid.UUID:
    """The id of an existing organisation, or the command's error (the linkage commands')."""
    try:
        org_id = uuid.UUID(text)
    except ValueError:
        raise CommandError(_("No organisation has this id.")) from None
    if not Organisation.objects.filter(pk=org_id).exists():
        raise CommandError(_("No organisation has this id."))
    return org_id


class Command(BaseCommand):
    help = "Encode survivors for record linkage (keyed Bloom filters; no plaintext leaves)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="only this organisation (its id)")
        parser.add_argument(
            "--stale", action="store_true", help="only survivors without a current encoding"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        org_id = organisation_id(options["org"]) if options["org"] else None
        if org_id is not None and queries.has_left(org_id):
            raise CommandError(
                _(
                    "This organisation has left record linkage: nothing encoded. `harbour "
                    "linkage rejoin --org %(org)s` brings it back."
                )
                % {"org": org_id}
            )
        count = actions.encode_survivors(
            by=SystemActor("linkage-encode"), org_id=org_id, stale_only=options["stale"]
        )
        self.stdout.write(_("%(count)d survivors encoded.") % {"count": count})
        left = queries.organisations_left().count() if org_id is None else 0
        if left:
            self.stdout.write(
                _(
                    "%(count)d organisations that have left record linkage were left out "
                    "(`harbour linkage rejoin` brings one back)."
                )
                % {"count": left}
            )
