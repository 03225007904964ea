import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.translation import gettext as _

from harbour.demo import loader

DUMMY_MAIL = "django.core.mail.backends.dummy.EmailBackend"


class Command(BaseCommand):
    help = (
        "Load the synthetic demo dataset (organisations, staff accounts, survivors and cases) "
        "through the real actions. Does nothing if demo data is already loaded."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--cases", type=int, default=1200, help="cases (default 1200)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        parser.add_argument(
            "--password", required=True, help="the one password of every demo account"
        )
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="the date the data is built around, YYYY-MM-DD (default: today); with the "
            "same seed and date the dataset is the same",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["today"] or timezone.localdate()
        if today > timezone.localdate():
            raise CommandError(
                _("--today cannot be in the future: intake dates must be in the past.")
            )
        if options["cases"] < 1:
            raise CommandError(_("--cases must be at least 1."))
        if loader.demo_exists():
            self.stdout.write(_("Demo data is already loaded; nothing to do."))
            return
        self.stdout.write(
            _("Loading the synthetic demo data (%(cases)d cases) ...") % {"cases": options["cases"]}
        )
        try:
            # The synthetic staff have no mailboxes: the notifications the demo's referrals
            # raise are kept in-app only instead of being printed by the console e-mail backend.
            with override_settings(MAILERS={"default": {"BACKEND": DUMMY_MAIL}}):
                summary = loader.load(
                    cases=options["cases"],
                    seed=options["seed"],
                    password=options["password"],
                    today=today,
                    report=self._report,
                )
        except Exception as exc:
            detail = getattr(exc, "errors", None) or exc  # field names and messages, never values
            raise CommandError(
                _(
                    "Loading the demo data failed (%(error)s: %(detail)s). Part of it may be "
                    "saved: start again with an empty database (a new HARBOUR_VAR_DIR)."
                )
                % {"error": type(exc).__name__, "detail": detail}
            ) from exc
        if summary is None:
            self.stdout.write(_("Demo data is already loaded; nothing to do."))
            return
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Loaded %(organisations)d organisations (%(provinces)d provinces and "
                    "territories), %(accounts)d accounts, %(cases)d cases of %(survivors)d "
                    "survivors in %(seconds).1f s."
                )
                % {
                    "organisations": summary.organisations,
                    "provinces": summary.provinces,
                    "accounts": summary.accounts,
                    "cases": summary.cases,
                    "survivors": summary.survivors,
                    "seconds": summary.seconds,
                }
            )
        )

    def _report(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
