"""Remove a person's second factors when their device is lost and no other administrator of
their organisation can do it (an organisation's only administrator). ADR 38."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from harbour.accounts import actions
from harbour.accounts.models import User
from harbour.audit.actions import SystemActor


class Command(BaseCommand):
    help = (
        "Remove every second factor and recovery code of an account whose device is lost (for "
        "an organisation's only administrator; otherwise another administrator does it on the "
        "Staff page). Ends the account's sessions and tokens; audited; the person and the "
        "organisation's administrators are told by e-mail."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(_("No account has this e-mail address."))
        actions.reset_second_factor(by=SystemActor("accounts reset-second-factor"), user=user)
        self.stdout.write(
            _("Second factors of %(email)s removed; they set up a new one at their next sign-in.")
            % {"email": user.email}
        )
