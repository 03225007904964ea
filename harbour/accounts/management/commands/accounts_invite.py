"""Bring in an organisation's administrator (or a deployment's first system administrator)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from harbour.accounts import actions
from harbour.accounts.policy import Role
from harbour.audit.actions import SystemActor
from harbour.core.errors import DomainError, one_line
from harbour.orgs.models import Organisation


class Command(BaseCommand):
    help = (
        "Invite an organisation administrator or a system administrator by e-mail (for a new "
        "deployment; everyone else is invited on the Staff page). The link is e-mailed and "
        "printed here: whoever runs this command already holds the deployment's keys."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", required=True, help="the organisation's short name")
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", required=True, help="the person's full name")
        parser.add_argument(
            "--role", choices=[Role.ORG_ADMIN, Role.SYSTEM_ADMIN], default=Role.ORG_ADMIN
        )
        # The invited person's language (their e-mail and pages), not this command's.
        parser.add_argument(
            "--language",
            choices=["en", "fr"],
            default="en",
            help="the invited person's language: of the e-mail and of Harbour's pages (en)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organisation.objects.filter(short_name=options["org"]).first()
        if org is None:
            raise CommandError(
                _("No organisation has the short name %(org)r.") % {"org": options["org"]}
            )
        printed: list[str] = []
        try:
            actions.invite(
                by=SystemActor("harbour accounts invite"),
                org=org,
                email=options["email"],
                full_name=options["name"],
                role=options["role"],
                preferred_language=options["language"],
                on_link=printed.append,
            )
        except DomainError as exc:
            raise CommandError(one_line(exc)) from None
        self.stdout.write(
            _("Invitation e-mailed to %(email)s. Its link (single use):")
            % {"email": options["email"]}
        )
        self.stdout.write(printed[0])
