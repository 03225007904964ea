"""`harbour stats release --by EMAIL --title T --row VAR [--col VAR [--layer VAR]] --method M
[--epsilon E]`: define a draft release (a second analyst publishes it with `harbour stats
publish`). With `--layer`, a three-way table (rounding or dp only, ADR 46)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from harbour.accounts.models import User
from harbour.core.errors import DomainError, one_line
from harbour.stats import actions
from harbour.stats.catalogue import VARIABLES
from harbour.stats.layered import layer_choices
from harbour.stats.tables import Method


def analyst(email: str) -> User:
    found = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if found is None:
        raise CommandError(_("No active account has this e-mail address."))
    return found


def refusal(exc: DomainError) -> CommandError:
    return CommandError(one_line(exc))


class Command(BaseCommand):
    help = "Define a draft release of national statistics."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--by", required=True, help="the analyst's e-mail")
        parser.add_argument("--title", required=True)
        parser.add_argument("--row", required=True, choices=sorted(VARIABLES))
        parser.add_argument("--col", default="", choices=["", *sorted(VARIABLES)])
        parser.add_argument(
            "--layer",
            default="",
            choices=["", *sorted(layer_choices())],
            help="a three-way table: one row × col table per code of this variable",
        )
        parser.add_argument("--title-fr", default="")
        parser.add_argument("--method", required=True, choices=Method.ALL)
        parser.add_argument("--epsilon")
        parser.add_argument("--first-year", type=int)
        parser.add_argument("--last-year", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            release = actions.create_release(
                by=analyst(options["by"]),
                title=options["title"],
                title_fr=options["title_fr"],
                row_variable=options["row"],
                col_variable=options["col"],
                layer_variable=options["layer"],
                method=options["method"],
                epsilon=options["epsilon"],
                first_year=options["first_year"],
                last_year=options["last_year"],
            )
        except DomainError as exc:
            raise refusal(exc) from None
        self.stdout.write(
            _("Draft release %(version)s saved: %(id)s")
            % {"version": release.version, "id": release.pk}
        )
