"""The current authenticator code of a demo account, for a newcomer without an app (ADR 39)."""

from typing import Any

import pyotp
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from harbour.accounts import actions
from harbour.accounts.models import TotpDevice


class Command(BaseCommand):
    help = (
        "Print the current 6-digit code of a DEMO account's authenticator (accounts of the "
        "synthetic demo organisations only). Real accounts: use your authenticator app."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        device = (
            TotpDevice.objects.filter(
                user__email__iexact=options["email"].strip(),
                user__org__is_synthetic=True,
                confirmed_at__isnull=False,
            )
            .select_related("user")
            .first()
        )
        if device is None:
            raise CommandError(
                _(
                    "No demo account with an authenticator has this address (this command works "
                    "only for the synthetic demo organisations)."
                )
            )
        self.stdout.write(pyotp.TOTP(actions.totp_secret(device)).now())
