"""`harbour linkage run`: match every current encoding into persons; print the counts and
how uncertain they are."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from harbour.audit.actions import SystemActor
from harbour.linkage import actions
from harbour.linkage.core.matching import Thresholds


def _expected(n: int | None) -> str:
    # A run recorded before the expected count existed has none: say so, never the persons
    # counted in its place (they would read as the expected count).
    if n is None:
        return _("Expected persons: not computed")
    return _("Expected persons, counting each uncertain pair by its probability: %(n)d") % {"n": n}


class Command(BaseCommand):
    help = "Link survivors' encodings into persons and print the counts with their uncertainty."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--match", type=float, default=Thresholds.match)
        parser.add_argument("--uncertain", type=float, default=Thresholds.uncertain)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            thresholds = Thresholds(match=options["match"], uncertain=options["uncertain"])
        except ValueError:
            raise CommandError(_("Thresholds must satisfy 0 < uncertain ≤ match < 1.")) from None
        run = actions.run_linkage(by=SystemActor("linkage-run"), thresholds=thresholds)
        lines = [
            _("Records linked: %(n)d") % {"n": run.records},
            _("Persons: %(n)d") % {"n": run.persons},
            _expected(run.persons_expected),
            _("Persons if every uncertain pair were one person: %(n)d")
            % {"n": run.persons_if_uncertain_merged},
            _("Uncertain pairs (never merged): %(n)d") % {"n": run.uncertain_pairs},
            _("Weak records (too few linkage fields, never merged): %(n)d")
            % {"n": run.weak_records},
            _("Records of another key or scheme (not compared; re-encode them): %(n)d")
            % {"n": run.stale_records},
        ]
        self.stdout.write("\n".join(lines))
