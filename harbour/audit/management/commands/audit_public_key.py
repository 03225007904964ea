from typing import Any

from django.core.management.base import BaseCommand

from harbour.audit import delivery


class Command(BaseCommand):
    help = (
        "Print the verifier key of this Harbour's audit checkpoints (signed-note format), for "
        "auditors to keep and check checkpoints with, independently of Harbour."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(delivery.verifier_key())
