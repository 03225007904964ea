from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from harbour.audit import keys
from harbour.audit.models import AuditEvent


class Command(BaseCommand):
    help = (
        "Print the audit trail's secret as a HARBOUR_AUDIT_KEY line: the one the latest events "
        "are chained with. Needed once while it is still derived from the master key: pin it "
        "before rotating the master key, or events chained so far could no longer be verified "
        "once the old master key is removed. Treat the output as a secret."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        latest = AuditEvent.objects.exclude(key_id="").order_by("-id").first()
        try:
            secret = keys.secret_in_use(latest.key_id if latest else None)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if not keys.current_key().derived_from_master:
            self.stderr.write(_("HARBOUR_AUDIT_KEY is already set; this is the key in use."))
        self.stdout.write(f"HARBOUR_AUDIT_KEY={secret}")
