from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from harbour.audit.actions import SystemActor
from harbour.orgs import actions


class Command(BaseCommand):
    help = (
        "Destroy the key of every survivor the audit trail records as erased whose key is still "
        "in the key store (after a crash, or after restoring the key store from a backup). Run "
        "daily, and after any restore."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = actions.sweep_erased_keys(by=SystemActor("key-sweep"))
        self.stdout.write(_("%(count)d erased survivor key(s) destroyed") % {"count": count})
