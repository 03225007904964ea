"""`harbour stats budget [--dataset research] [--set EPSILON]`: a privacy budget and its ledger
(the national one of releases, or the research one that synthetic extracts spend)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from harbour.audit.actions import SystemActor
from harbour.core.errors import DomainError, one_line
from harbour.stats import actions, queries
from harbour.stats.models import NATIONAL, RESEARCH


class Command(BaseCommand):
    help = "Show a privacy budget and its ledger, or set its total epsilon."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--set", dest="total", help="the total epsilon, e.g. 5")
        parser.add_argument(
            "--dataset",
            choices=[NATIONAL, RESEARCH],
            default=NATIONAL,
            help="national (releases, the default) or research (synthetic extracts)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["total"] is not None:
            try:
                actions.set_budget(
                    by=SystemActor("harbour stats budget"),
                    epsilon_total=options["total"],
                    dataset=options["dataset"],
                )
            except DomainError as exc:
                raise CommandError(one_line(exc)) from None
        found = queries.budget(options["dataset"])
        if found is None:
            self.stdout.write(_("No privacy budget is set."))
            return
        self.stdout.write(
            _("Budget %(total)s, spent %(spent)s, left %(left)s.")
            % {"total": found["total"], "spent": found["spent"], "left": found["left"]}
        )
        for s in found["ledger"]:
            what = s.release or _("synthetic extract %(id)s") % {"id": str(s.extract_id)[:8]}
            self.stdout.write(f"{s.created_at:%Y-%m-%d %H:%M}  {s.epsilon}  {what}")
