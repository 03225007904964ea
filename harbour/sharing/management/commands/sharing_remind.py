from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from harbour.audit.actions import SystemActor
from harbour.sharing.actions import send_reminders


class Command(BaseCommand):
    help = (
        "Notify senders of unanswered referrals, recorders of consents about to expire, and case "
        "owners and supervisors of permits about to end or immigration applications waiting."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = send_reminders(by=SystemActor("reminders"))
        self.stdout.write(
            _(
                "%(overdue_referrals)d overdue referral(s), %(expiring_consents)d expiring "
                "consent(s), %(expiring_permits)d permit(s) ending, %(waiting_applications)d "
                "waiting immigration application(s) notified"
            )
            % counts
        )
