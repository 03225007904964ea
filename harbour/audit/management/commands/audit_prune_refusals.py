from typing import Any

from django.core.management.base import BaseCommand, CommandError

from harbour.audit.actions import REFUSAL_TALLY_KEEP_DAYS, SystemActor, prune_refusal_tallies


class Command(BaseCommand):
    help = (
        "Delete the daily counts of refused reads (ADR 8) older than --keep-days days, in every "
        "organisation (run daily). The audit trail's access.refused_reads events are kept."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--keep-days",
            type=int,
            default=REFUSAL_TALLY_KEEP_DAYS,
            help="today's counts and those of this many days before it are kept "
            f"(default {REFUSAL_TALLY_KEEP_DAYS}, at least 1)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        keep = options["keep_days"]
        if keep < 1:
            raise CommandError(
                f"--keep-days must be at least 1 (today's count is still kept): {keep}"
            )
        deleted = prune_refusal_tallies(by=SystemActor("refusal-prune"), keep_days=keep)
        self.stdout.write(
            f"{deleted} daily count(s) of refused reads older than {keep} day(s) deleted"
        )
