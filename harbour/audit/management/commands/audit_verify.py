from typing import Any

from django.core.management.base import BaseCommand, CommandError

from harbour.audit.queries import verify


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chains; exits non-zero on any altered, removed or "
        "reordered event."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        checked, problems = verify()
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"audit trail NOT intact: {len(problems)} problem(s) in {checked} events"
            )
        self.stdout.write(self.style.SUCCESS(f"audit trail intact: {checked} events verified"))
