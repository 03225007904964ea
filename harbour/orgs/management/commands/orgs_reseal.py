from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from harbour.audit.actions import SystemActor
from harbour.orgs import actions
from harbour.orgs.models import Organisation


class Command(BaseCommand):
    help = (
        "Re-encrypt identifying data with the current keys: what concerns a survivor under the "
        "survivor's own key (data sealed before per-survivor keys moves to them, so that "
        "erasure reaches backups), the rest under the organisation's active key. Run once after "
        "upgrading; safe to run again."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", help="only this organisation (short name)")

    def handle(self, *args: Any, **options: Any) -> None:
        orgs = Organisation.objects.order_by("short_name")
        if options["org"]:
            orgs = orgs.filter(short_name=options["org"])
            if not orgs.exists():
                raise CommandError(
                    _("no organisation with short name %(org)r") % {"org": options["org"]}
                )
        actor = SystemActor("reseal")
        total = 0
        for org in orgs:
            count = actions.reseal_records(by=actor, org=org)
            total += count
            if count:
                self.stdout.write(
                    _("%(org)s: %(count)d record(s) re-encrypted")
                    % {"org": org.short_name, "count": count}
                )
        self.stdout.write(
            _("%(total)d record(s) re-encrypted in %(orgs)d organisation(s)")
            % {"total": total, "orgs": orgs.count()}
        )
