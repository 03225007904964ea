from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from harbour.audit.actions import SystemActor
from harbour.core.errors import Conflict
from harbour.orgs import actions


class Command(BaseCommand):
    help = (
        "Re-wrap every organisation key under the current HARBOUR_MASTER_KEY. Procedure: generate "
        "a key (`harbour orgs new-master-key`), set it as HARBOUR_MASTER_KEY, move the old one to "
        "HARBOUR_OLD_MASTER_KEYS, run this, then remove the old key from the environment. The "
        "audit trail's key must be pinned first (`harbour audit key`) if HARBOUR_AUDIT_KEY is "
        "not set."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            changed = actions.rotate_master_key(by=SystemActor("key-rotation"))
        except Conflict as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            _("%(changed)d organisation key(s) re-wrapped under the current master key")
            % {"changed": changed}
        )
