from typing import Any

from django.core.management.base import BaseCommand, CommandError

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
            raise CommandError(f"no organisation with short name {options['org']!r}")
        actor = SystemActor("key-rotation")
        new = actions.start_data_key_rotation(by=actor, org=org)
        count = actions.reseal_records(by=actor, org=org)
        retired = actions.retire_old_data_keys(by=actor, org=org)
        self.stdout.write(
            f"{org.short_name}: data key v{new.version} active; {count} records re-encrypted; "
            f"{retired} old key(s) destroyed"
        )
