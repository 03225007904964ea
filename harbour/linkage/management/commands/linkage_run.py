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
    help = (
        "Link survivors' encodings into persons and print the counts with their uncertainty."
        " A run joins two records at or above --merge and counts those at or above"
        " --uncertain as uncertain pairs, never merged; it records both (ADR 41)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--merge",
            type=float,
            default=Thresholds.merge,
            help="Posterior at or above which two records are one person (default: %(default)s).",
        )
        parser.add_argument(
            "--uncertain",
            type=float,
            default=Thresholds.uncertain,
            help="Posterior at or above which a pair left apart is counted as uncertain"
            " (default: %(default)s; at most --merge).",
        )
        # Kept only to refuse it: it once set what a run merged at, and since 71c41e6 a run
        # merges at --merge. Ignoring it would let a script asking for a stricter run get
        # merges at 1/2 without a word; the hint's threshold is not the command's to change.
        parser.add_argument(
            "--match",
            type=float,
            default=None,
            help="Refused: the returning-survivor hint's threshold, which a run does not use;"
            " give --merge.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["match"] is not None:
            raise CommandError(
                _(
                    "Thresholds: --match no longer changes what a run merges (it is the "
                    "returning-survivor hint's threshold); give --merge instead."
                )
            )
        merge, uncertain = options["merge"], options["uncertain"]
        try:
            thresholds = Thresholds(merge=merge, uncertain=uncertain)
        except ValueError:
            raise CommandError(
                _(
                    "Thresholds must satisfy %(conflict)s ≤ uncertain ≤ merge < 1 and uncertain "
                    "≤ %(match)s, the hint's threshold (given: uncertain %(uncertain)s, merge "
                    "%(merge)s)."
                )
                % {
                    "conflict": Thresholds.conflict,
                    "match": Thresholds.match,
                    "uncertain": uncertain,
                    "merge": merge,
                }
            ) from None
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
