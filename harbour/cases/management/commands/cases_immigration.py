"""`harbour cases immigration report|show|add`: the immigration timeline from the command line.

`report` prints an organisation's TRP report (counts only). `show` prints one case's survivor's
computed status and steps without identifying values. `add` records a step on behalf of a member
of staff (`--by`), through the same action as the web page and the API, so the step is checked
and audited as theirs."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from harbour.accounts.models import User
from harbour.cases import actions, queries
from harbour.cases.immigration import reports
from harbour.cases.immigration import steps as immigration
from harbour.cases.models import Case, ImmigrationStep
from harbour.cases.values import read_values
from harbour.core.errors import DomainError, joined
from harbour.orgs.models import Organisation

ADD_OPTIONS = {
    "step": "step",
    "date": "step_date",
    "valid_until": "valid_until",
    "status": "status",
    "trp_stage": "trp_stage",
    "refusal_reason": "refusal_reason",
    "family": "family_members_covered",
    "document": "document_reference",
}


class Command(BaseCommand):
    help = "An organisation's TRP report, a survivor's immigration timeline, or a new step."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("verb", choices=["report", "show", "add"])
        parser.add_argument("--org", required=True, help="the organisation's short name")
        parser.add_argument("--case", help="the case reference (show, add)")
        parser.add_argument("--by", help="e-mail of the member of staff recording (add)")
        parser.add_argument("--json", action="store_true", help="print JSON")
        for option in ADD_OPTIONS:
            parser.add_argument(f"--{option.replace('_', '-')}", dest=option)

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organisation.objects.filter(short_name=options["org"]).first()
        if org is None:
            raise CommandError(_("No organisation has this short name."))
        try:
            getattr(self, f"_{options['verb']}")(org, options)
        except DomainError as exc:
            errors = getattr(exc, "errors", {}) or {"": [exc.message]}
            lines = [f"{k}: {m}" if k else str(m) for k, ms in errors.items() for m in ms]
            raise CommandError(joined(lines)) from None

    def _report(self, org: Organisation, options: dict[str, Any]) -> None:
        timelines = queries.immigration_timelines(org.pk).values()
        found = reports.organisation_report((s for _p, s in timelines), timezone.localdate())
        out = found.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(out, indent=2, sort_keys=True))
            return
        for key, value in out.items():
            self.stdout.write(f"{key}: {value}")

    def _case(self, org: Organisation, options: dict[str, Any]) -> Case:
        case = Case.objects.filter(org=org, reference=options["case"] or "").first()
        if case is None:
            raise CommandError(_("This organisation has no case with this reference."))
        return case

    def _show(self, org: Organisation, options: dict[str, Any]) -> None:
        case = self._case(org, options)
        records = list(queries.immigration_records(case.survivor))
        found = immigration.standing(queries.immigration_steps(records), timezone.localdate())
        steps = [_plain(read_values(r, with_identity=False)) for r in records]
        out = {"standing": _plain(vars(found)), "steps": steps}
        self.stdout.write(json.dumps(out, indent=2, ensure_ascii=False, sort_keys=True))

    def _add(self, org: Organisation, options: dict[str, Any]) -> None:
        case = self._case(org, options)
        by = User.objects.filter(org=org, email__iexact=options["by"] or "", is_active=True).first()
        if by is None:
            raise CommandError(_("Name an active member of this organisation's staff with --by."))
        values = {k: options[o] for o, k in ADD_OPTIONS.items() if options.get(o) is not None}
        record = actions.add_record(by=by, case=case, model=ImmigrationStep, values=values)
        self.stdout.write(_("Step recorded: %(id)s") % {"id": record.pk})


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in values.items()}
