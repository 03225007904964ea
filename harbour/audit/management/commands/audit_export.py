import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from harbour.audit import actions, presenting, queries
from harbour.audit.actions import SystemActor
from harbour.audit.models import AuditEvent
from harbour.core.errors import joined
from harbour.orgs.models import Organisation


class Command(BaseCommand):
    help = (
        "Export an organisation's audit trail as a spreadsheet (CSV): actions and fields in "
        "words beside their codes, formula-safe; the export itself is recorded in the trail. "
        "The host's operator gets roles and record ids, never staff names or case references "
        "(the organisation's auditors see those on the audit trail page)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("org", help="the organisation's short name")
        parser.add_argument("--out", type=Path, help="write to this file (default: the screen)")
        parser.add_argument("--action", default="", help="only this action code")
        parser.add_argument("--since", default="", help="from this date (YYYY-MM-DD)")
        parser.add_argument("--until", default="", help="to this date (YYYY-MM-DD)")
        parser.add_argument("--record", default="", help="a case or survivor reference, or an id")
        # The spreadsheet's language, not the messages' (those follow the command line's).
        parser.add_argument(
            "--language",
            choices=["en", "fr"],
            default="en",
            help="the language of the spreadsheet's words (en)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organisation.objects.filter(short_name=options["org"]).first()
        if org is None:
            raise CommandError(
                _("No organisation with the short name %(org)r.") % {"org": options["org"]}
            )
        # Bad filters are refused in the command line's language, before anything is recorded.
        data = {k: options[k] for k in ("action", "since", "until", "record") if options[k]}
        form, wanted = presenting.trail_filter(org.pk, data)
        if form.is_bound and form.errors:
            problems = joined(f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items())
            raise CommandError(problems)
        events = list(queries.filtered_events(org.pk, wanted))
        actions.record_trail_export(
            by=SystemActor("audit-export"), org_id=org.pk, filters=wanted.used(), rows=len(events)
        )
        with translation.override(options["language"]):
            self._write(org, events, options["out"])
        if options["out"]:
            self.stderr.write(
                _("Wrote %(count)d events to %(path)s.")
                % {"count": len(events), "path": options["out"]}
            )

    def _write(self, org: Organisation, events: list[AuditEvent], out: Path | None) -> None:
        if out:
            with out.open("w", encoding="utf-8-sig", newline="") as stream:
                presenting.write_csv(stream, org.pk, events, named=False)
        else:
            presenting.write_csv(sys.stdout, org.pk, events, named=False)
