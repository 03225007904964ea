from typing import Any

from django.core.management.base import BaseCommand

from harbour.audit.actions import SystemActor
from harbour.orgs import actions


class Command(BaseCommand):
    help = (
        "Re-wrap every organisation key under the current HARBOUR_MASTER_KEY. Procedure: generate "
        "a key (`harbour orgs new-master-key`), set it as HARBOUR_MASTER_KEY, move the old one to "
        "HARBOUR_OLD_MASTER_KEYS, run this, then remove the old key from the environment."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        changed = actions.rotate_master_key(by=SystemActor("key-rotation"))
        self.stdout.write(f"{changed} organisation key(s) re-wrapped under the current master key")
