from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

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
        parser.add_argument(
            "--language",
            choices=["en", "fr"],
            default=None,
            help="the language of what it prints (default: the command line's, from "
            "HARBOUR_LANGUAGE or the locale)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Without --language, the language harbour.cli activated from the environment stays.
        language = options["language"] or translation.get_language()
        with translation.override(language):
            self._prune(options["keep_days"])

    def _prune(self, keep: int) -> None:
        if keep < 1:
            raise CommandError(
                _("--keep-days must be at least 1 (today's count is still kept): %(keep)d")
                % {"keep": keep}
            )
        deleted = prune_refusal_tallies(by=SystemActor("refusal-prune"), keep_days=keep)
        self.stdout.write(
            _("%(deleted)d daily count(s) of refused reads older than %(keep)d day(s) deleted")
            % {"deleted": deleted, "keep": keep}
        )
