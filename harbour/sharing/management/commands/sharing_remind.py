from typing import Any

from django.core.management.base import BaseCommand

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
            f"{counts['overdue_referrals']} overdue referral(s), "
            f"{counts['expiring_consents']} expiring consent(s), "
            f"{counts['expiring_permits']} permit(s) ending, "
            f"{counts['waiting_applications']} waiting immigration application(s) notified"
        )
