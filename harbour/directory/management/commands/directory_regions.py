"""`harbour directory regions`: give hidden locations without one their coarse service region.

For hidden locations saved before service regions existed (docs/adr/0044). Each region is
worked out on the server from the sealed position and audited; only the coarse region is
written."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from harbour.audit.actions import SystemActor
from harbour.directory import actions


class Command(BaseCommand):
    help = "Give hidden locations without a service region their coarse region (ADR 44)."

    def handle(self, *args: Any, **options: Any) -> None:
        filled = actions.fill_regions(by=SystemActor("directory_regions"))
        self.stdout.write(_("%(n)d hidden locations got their service region.") % {"n": filled})
