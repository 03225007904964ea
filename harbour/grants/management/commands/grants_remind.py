"""`harbour grants remind [--days N]` (daily): e-mail each organisation's admins and supervisors
about the deadlines of programs it is eligible for, once per program and deadline."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from harbour.audit.actions import SystemActor
from harbour.grants import actions, queries


class Command(BaseCommand):
    help = "Remind organisations of funding deadlines they are eligible for (daily)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=14, choices=range(1, 91), metavar="1-90")

    def handle(self, *args: Any, **options: Any) -> None:
        count = actions.send_deadline_reminders(
            by=SystemActor("grants-remind"), today=queries.today(), days=options["days"]
        )
        self.stdout.write(_("%(n)d organisations reminded.") % {"n": count})
