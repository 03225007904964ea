"""`harbour stats publish RELEASE --by EMAIL [--reject]`: a second analyst reviews a draft and
publishes it (computing the protected table, spending budget for DP) or rejects it."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from harbour.core.errors import DomainError
from harbour.stats import actions, policy
from harbour.stats.management.commands.stats_release import analyst, refusal


class Command(BaseCommand):
    help = "Publish (or reject) a draft release of national statistics."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("release")
        parser.add_argument("--by", required=True, help="the reviewing analyst's e-mail")
        parser.add_argument("--reject", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        by = analyst(options["by"])
        try:
            release = policy.release_for(by, options["release"])
            act = actions.reject_release if options["reject"] else actions.publish_release
            release = act(by=by, release=release)
        except DomainError as exc:
            raise refusal(exc) from None
        self.stdout.write(
            _("Release %(version)s: %(status)s.")
            % {"version": release.version, "status": release.get_status_display()}
        )
