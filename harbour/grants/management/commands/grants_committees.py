"""`harbour grants committees [--missing]`: each committee, its members and the key groups it
lacks (frontline systems, NGOs, at-risk communities, survivors)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from harbour.grants import queries
from harbour.grants.models import Committee, Group


class Command(BaseCommand):
    help = "List committees and the key groups each one is missing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--missing", action="store_true", help="only committees missing a key group"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for committee in Committee.objects.all():
            missing = queries.missing_groups(committee)
            if options["missing"] and not missing:
                continue
            groups = ", ".join(str(Group(g).label) for g in missing) or _("none")
            self.stdout.write(
                _("%(code)s\t%(name)s\t%(members)d members\tmissing: %(groups)s")
                % {
                    "code": committee.code,
                    "name": committee.name,
                    "members": committee.seats.count(),
                    "groups": groups,
                }
            )
