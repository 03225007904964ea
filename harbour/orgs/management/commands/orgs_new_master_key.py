from typing import Any

from django.core.management.base import BaseCommand

from harbour.orgs.crypto import new_master_key


class Command(BaseCommand):
    help = "Print a new random master key (32 bytes, base64url) for HARBOUR_MASTER_KEY."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(new_master_key())
