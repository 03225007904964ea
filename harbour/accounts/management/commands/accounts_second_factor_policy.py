"""Show or change whether an organisation's caseworkers need a second factor (ADR 38)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from harbour.accounts import actions
from harbour.audit.actions import SystemActor
from harbour.orgs.models import Organisation


class Command(BaseCommand):
    help = (
        "Show whether an organisation's caseworkers need a second factor (every other role "
        "always does); --require or --optional changes it (its administrators can also do it "
        "on the Staff page)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("org", help="the organisation's short name")
        choice = parser.add_mutually_exclusive_group()
        choice.add_argument("--require", action="store_true")
        choice.add_argument("--optional", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organisation.objects.filter(short_name=options["org"]).first()
        if org is None:
            raise CommandError(
                _("No organisation has the short name %(org)r.") % {"org": options["org"]}
            )
        if options["require"] or options["optional"]:
            actions.set_caseworker_policy(
                by=SystemActor("accounts second-factor-policy"),
                org=org,
                required=bool(options["require"]),
            )
        if actions.caseworkers_required(org):
            state = _("%(org)s: a second factor is required for caseworkers.")
        else:
            state = _("%(org)s: a second factor is optional for caseworkers.")
        self.stdout.write(state % {"org": org.short_name})
