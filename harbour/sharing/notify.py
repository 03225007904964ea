"""Notifications: in-app rows, plus an e-mail sent once the transaction commits.

E-mails say only that something is waiting in Harbour — never a name, a case detail or a
reason — because mailboxes are shared, forwarded and read on lock screens.
"""

import contextlib
import logging
import smtplib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from harbour.accounts.models import User
from harbour.accounts.policy import Role
from harbour.sharing.models import Consent, Notification, Referral

logger = logging.getLogger(__name__)

SUBJECTS = {
    "referral_received": _("Harbour: a new referral is waiting for your organisation"),
    "referral_answered": _("Harbour: a referral you sent has been answered"),
    "referral_withdrawn": _("Harbour: a referral to your organisation was withdrawn"),
    "referral_overdue": _("Harbour: a referral has had no answer"),
    "consent_expiring": _("Harbour: a survivor's consent expires soon"),
    "consent_withdrawn_elsewhere": _("Harbour: a survivor withdrew a consent"),
    "permit_expiring": _("Harbour: a survivor's permit ends soon"),
    "application_waiting": _("Harbour: an immigration application has waited a long time"),
}
BODY = _(
    "Something is waiting for you in Harbour. Sign in to see it:\n%(url)s\n\n"
    "For everyone's safety this e-mail contains no details."
)


def _caseworkers(org_id: Any) -> Iterable[User]:
    return User.objects.filter(
        Q(role=Role.CASEWORKER) | Q(role=Role.SUPERVISOR), org_id=org_id, is_active=True
    )


def _notify(users: Iterable[User], kind: str, **target: Any) -> None:
    # One statement for all recipients (an organisation's caseworkers and supervisors).
    created = Notification.objects.bulk_create(
        [Notification(user=u, kind=kind, **target) for u in users]
    )
    transaction.on_commit(lambda: _email(created))


def _email(notifications: list[Notification]) -> None:
    """Each recipient's e-mail in their language, through one connection to the mail server
    (opened once, not once a message); the ones sent are marked in one update."""
    if not notifications:
        return
    sent: list[Any] = []
    connection = mailers.default
    try:
        connection.open()
        for notification in notifications:
            if _send(notification, connection):
                sent.append(notification.pk)
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("notifications not e-mailed: %s", type(exc).__name__)
    finally:
        # Sent, or logged as not sent: a failed goodbye to the mail server changes nothing.
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.close()
        # The ones sent are marked even if a later one failed in a way not foreseen here.
        Notification.objects.filter(pk__in=sent).update(emailed_at=timezone.now())


def _send(notification: Notification, connection: Any) -> bool:
    user = notification.user
    if not user.email.strip():
        return False  # nobody to write to: left unmarked, as a message that failed
    with translation.override(user.preferred_language):
        message = EmailMessage(
            subject=str(SUBJECTS[notification.kind]),
            body=str(BODY) % {"url": settings.HARBOUR_SITE_URL + "/sharing/notifications/"},
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
        )
    try:
        return bool(connection.send_messages([message]))  # how many it sent
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        # The in-app notification is saved; a mail outage (or an address the mail library
        # refuses, a ValueError) must not fail the request that already committed, nor the
        # other recipients' e-mails. Left without `emailed_at`, so the failure is visible.
        logger.warning("notification %s not e-mailed: %s", notification.pk, type(exc).__name__)
        return False


def referral_received(referral: Referral) -> None:
    _notify(_caseworkers(referral.receiving_org_id), "referral_received", referral=referral)


def referral_answered(referral: Referral) -> None:
    sender = [referral.sent_by] if referral.sent_by.is_active else []
    _notify(sender or _caseworkers(referral.org_id), "referral_answered", referral=referral)


def referral_withdrawn(referral: Referral) -> None:
    _notify(_caseworkers(referral.receiving_org_id), "referral_withdrawn", referral=referral)


def referral_overdue(referral: Referral) -> None:
    _notify([referral.sent_by], "referral_overdue", referral=referral)


def consent_expiring(consent: Consent) -> None:
    _notify([consent.recorded_by], "consent_expiring", consent=consent)


def consent_withdrawn_elsewhere(consent: Consent) -> None:
    _notify([consent.recorded_by], "consent_withdrawn_elsewhere", consent=consent)


def _owner_and_supervisors(step: Any) -> list[User]:
    """The case owner (if still active) and the organisation's supervisors, once each."""
    owner = step.case.owner
    people = [owner] if owner is not None and owner.is_active else []
    supervisors = User.objects.filter(role=Role.SUPERVISOR, org_id=step.org_id, is_active=True)
    return people + [u for u in supervisors if u not in people]


def permit_expiring(step: Any) -> None:
    _notify(_owner_and_supervisors(step), "permit_expiring", immigration_step=step)


def application_waiting(step: Any) -> None:
    _notify(_owner_and_supervisors(step), "application_waiting", immigration_step=step)
