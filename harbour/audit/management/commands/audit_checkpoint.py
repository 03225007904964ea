from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from harbour.accounts.models import User
from harbour.accounts.policy import Role
from harbour.audit import actions, delivery
from harbour.audit.actions import SystemActor, TrailNotIntact
from harbour.audit.management.commands._problems import first_bad_event
from harbour.orgs.models import Organisation


class Command(BaseCommand):
    help = (
        "Sign a checkpoint of every audit chain's head (run hourly, with --full daily, and on "
        "demand): "
        "written to HARBOUR_AUDIT_CHECKPOINT_DIR (or --out) and, with --email, each "
        "organisation's own signed checkpoint e-mailed to its auditors."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", type=Path, help="write the checkpoint to this file instead")
        parser.add_argument(
            "--full",
            action="store_true",
            help="check every event first, not only those since the last checkpoint (daily)",
        )
        parser.add_argument(
            "--email",
            action="store_true",
            help="also e-mail each organisation's auditors their organisation's checkpoint",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = SystemActor("audit-checkpoint")
        try:
            checkpoint = actions.sign_checkpoint(by=actor, full=options["full"])
        except TrailNotIntact as exc:
            for problem in exc.problems:
                self.stderr.write(first_bad_event(problem))
            raise CommandError(str(exc.message)) from exc
        target = options["out"] or settings.HARBOUR_AUDIT_CHECKPOINT_DIR
        try:
            path = delivery.write_file(checkpoint, target)
        except OSError as exc:
            raise CommandError(
                _("checkpoint signed but not written to %(target)s: %(error)s")
                % {"target": target, "error": exc}
            ) from exc
        self.stdout.write(
            _("checkpoint of %(issued)s UTC -> %(path)s")
            % {"issued": f"{checkpoint.issued_at:%Y-%m-%d %H:%M:%S}", "path": path}
        )
        if options["email"]:
            self._email(actor)

    def _email(self, actor: SystemActor) -> None:
        sent = orgs = 0
        for org in Organisation.objects.filter(is_active=True).order_by("short_name"):
            auditors = User.objects.filter(org=org, role=Role.AUDITOR, is_active=True)
            recipients = [(u.email, u.preferred_language) for u in auditors]
            if not recipients:
                self.stderr.write(
                    _("%(org)s: no active auditor to e-mail") % {"org": org.short_name}
                )
                continue
            scoped = actions.sign_checkpoint(by=actor, scope=str(org.pk), delivery="email")
            sent += delivery.email_checkpoint(
                scoped,
                recipients,
                org_names={"en": org.name_en, "fr": org.name_fr},
                label=org.short_name,
            )
            orgs += 1
        self.stdout.write(
            _("e-mailed %(sent)d auditor(s) of %(orgs)d organisation(s)")
            % {"sent": sent, "orgs": orgs}
        )
