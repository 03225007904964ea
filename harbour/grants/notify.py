"""Deadline reminders by e-mail to an organisation's admins and supervisors, once the reminder
is recorded. They name public funding programs only, nothing about anyone's cases."""

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import formats, translation
from django.utils.translation import gettext as _

from harbour.accounts.models import User
from harbour.accounts.policy import Role
from harbour.grants.models import Program

logger = logging.getLogger(__name__)


def recipients(org_id: Any) -> list[User]:
    return list(
        User.objects.filter(
            Q(role=Role.ORG_ADMIN) | Q(role=Role.SUPERVISOR), org_id=org_id, is_active=True
        )
    )


def email_deadlines(users: Iterable[User], due: list[tuple[Program, dt.date]]) -> None:
    for user in users:
        try:
            with translation.override(user.preferred_language):
                send_mail(
                    _("Harbour: funding deadlines coming up"),
                    _body(due),
                    settings.DEFAULT_FROM_EMAIL,
                    [user.email],
                )
        except (OSError, smtplib.SMTPException) as exc:
            # The reminder is recorded; a mail outage must not undo it (logged, not retried).
            logger.warning("deadline reminder not e-mailed: %s", type(exc).__name__)


def _body(due: list[tuple[Program, dt.date]]) -> str:
    lines = [_("Your organisation is eligible for these programs, and their deadlines are near:")]
    for program, deadline in due:
        lines.append(
            f"- {program.name} ({program.funder.name}): "
            f"{formats.date_format(deadline, 'DATE_FORMAT')}"
        )
    lines.append("")
    lines.append(
        _("All programs open to you: %(url)s")
        % {"url": settings.HARBOUR_SITE_URL + "/grants/eligible/"}
    )
    return "\n".join(lines)
