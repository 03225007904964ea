import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from harbour.orgs.models import Organisation


class Command(BaseCommand):
    help = (
        "Set up the database, load the standard and the synthetic demo data (once), print the "
        "demo logins and serve on 127.0.0.1:8000. Safe to run again: it only starts the server."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--cases", type=int, default=1200, help="cases to generate")
        parser.add_argument(
            "--seed", type=int, default=2026, help="the same seed makes the same demo data"
        )
        parser.add_argument("--no-serve", action="store_true", help="load, then stop")
        parser.add_argument(
            "--port", type=int, default=8000, help="port to serve on, on 127.0.0.1 (8000)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("HARBOUR_DEMO_PASSWORD")
        if not password:
            raise CommandError(_("HARBOUR_DEMO_PASSWORD is not set (var/harbour.env makes it)."))
        self.stdout.write(_("Preparing the database ..."))
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        if Organisation.objects.filter(is_synthetic=True).exists():
            self.stdout.write(_("Demo data already loaded; starting the server."))
        else:
            call_command(
                "demo_load",
                cases=options["cases"],
                seed=options["seed"],
                password=password,
                stdout=self.stdout,
            )
        self._print_logins(password)
        if not options["no_serve"]:
            call_command("web_serve", port=options["port"])

    def _print_logins(self, password: str) -> None:
        from harbour.accounts.demo import demo_totp_secret
        from harbour.accounts.models import TotpDevice
        from harbour.demo.people import demo_logins

        enrolled = set(TotpDevice.objects.values_list("user__email", flat=True))

        self.stdout.write("\n" + _("Demo logins (every account uses the same demo password):"))
        for role, email, org in demo_logins():
            key = demo_totp_secret(password, email) if email in enrolled else "-"
            self.stdout.write(f"  {role:<18} {email:<44} {key:<33} {org}")
        self.stdout.write("  " + _("password: %(password)s") % {"password": password})
        lines = [
            _("Second factor: each account with a key asks for a 6-digit code after the password."),
            _(
                "Add the key printed beside the account to an authenticator app, or print the "
                "current code:"
            ),
            ".venv/bin/harbour accounts demo-code EMAIL",
        ]
        self.stdout.write("".join(f"  {line}\n" for line in lines))
