from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from harbour.audit.actions import SystemActor
from harbour.orgs import actions
from harbour.orgs.models import Organisation


class Command(BaseCommand):
    help = (
        "Give an organisation a new data key, re-encrypt all its identifying data with it and "
        "destroy the old key."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("org", help="the organisation's short name")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organisation.objects.filter(short_name=options["org"]).first()
        if org is None:
            raise CommandError(
                _("no organisation with short name %(org)r") % {"org": options["org"]}
            )
        actor = SystemActor("key-rotation")
        new = actions.start_data_key_rotation(by=actor, org=org)
        count = actions.reseal_records(by=actor, org=org)
        retired = actions.retire_old_data_keys(by=actor, org=org)
        self.stdout.write(
            _(
                "%(org)s: data key v%(version)s active; %(count)d records re-encrypted; "
                "%(retired)d old key(s) destroyed"
            )
            % {"org": org.short_name, "version": new.version, "count": count, "retired": retired}
        )
