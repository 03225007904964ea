"""E-mails about accounts: the invitee's link, a reset link, and notices to administrators.

A link is e-mailed only to the person it is for, once the transaction has committed; nobody
else (no administrator, no log) sees it. Notices tell an organisation's other administrators
that someone invited a person, changed a role, deactivated or reset an account: the audit trail
has the details.
"""

import logging
import smtplib
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from harbour.accounts.models import Invitation, User
from harbour.accounts.policy import Role

logger = logging.getLogger(__name__)

INVITATION_SUBJECT = _("Harbour: you are invited to join %(org)s")
INVITATION_BODY = _(
    "%(inviter)s invited you to Harbour, for %(org)s, as %(role)s.\n\n"
    "Open this link to choose your password (it works once, for %(days)s days):\n%(url)s\n\n"
    "If you did not expect this invitation, ignore this e-mail."
)
RESET_SUBJECT = _("Harbour: choose a new password")
RESET_BODY = _(
    "Someone asked for a new password for your Harbour account. Open this link to choose one "
    "(it works once, for %(days)s days):\n%(url)s\n\n"
    "If it was not you, tell your organisation's Harbour administrator."
)
NOTICE_SUBJECT = _("Harbour: staff accounts changed in your organisation")
NOTICES = {
    "invited": _("%(actor)s invited %(name)s as %(role)s."),
    "role_changed": _("%(actor)s changed the role of %(name)s to %(role)s."),
    "deactivated": _("%(actor)s deactivated the account of %(name)s."),
    "reactivated": _("%(actor)s reactivated the account of %(name)s."),
    "reset": _("%(actor)s required a new password for %(name)s."),
    "second_factor_reset": _("%(actor)s removed every second factor of %(name)s (device lost)."),
    "caseworker_policy_on": _("%(actor)s now requires a second factor for caseworkers."),
    "caseworker_policy_off": _("%(actor)s made the second factor optional for caseworkers."),
}
SECOND_FACTOR_RESET_SUBJECT = _("Harbour: your second factor was reset")
SECOND_FACTOR_RESET_BODY = _(
    "An administrator of your organisation removed the second factors of your Harbour account "
    "(authenticator apps, passkeys and recovery codes), as asked when a device is lost. At your "
    "next sign-in you will set up a new one.\n\n"
    "If you did not ask for this, tell your organisation's Harbour administrator now."
)
NOTICE_FOOTER = _("The audit trail has the details. If this is unexpected, act now:\n%(url)s")


def welcome_url(token: str) -> str:
    return f"{settings.HARBOUR_SITE_URL}/accounts/welcome/{token}/"


def invitation(invitation: Invitation, token: str) -> None:
    inviter = invitation.invited_by.full_name if invitation.invited_by else "Harbour"
    url = welcome_url(token)
    with translation.override(invitation.preferred_language):
        subject = str(INVITATION_SUBJECT) % {"org": invitation.org.name}
        body = str(INVITATION_BODY) % {
            "inviter": inviter,
            "org": invitation.org.name,
            "role": Role(invitation.role).label,
            "days": settings.HARBOUR_INVITATION_DAYS,
            "url": url,
        }
    _send_after_commit(subject, body, [invitation.email])


def reset_link(link: Invitation, token: str) -> None:
    url = f"{settings.HARBOUR_SITE_URL}/accounts/reset/{token}/"
    with translation.override(link.preferred_language):
        subject = str(RESET_SUBJECT)
        body = str(RESET_BODY) % {"days": settings.HARBOUR_INVITATION_DAYS, "url": url}
    _send_after_commit(subject, body, [link.email])


FACTOR_CHANGED_SUBJECT = _("Harbour: the second factors of your account changed")
FACTOR_CHANGED = {
    "added": _("A second factor was added to your Harbour account: %(name)s."),
    "removed": _("A second factor was removed from your Harbour account: %(name)s."),
}
FACTOR_CHANGED_FOOTER = _(
    "If it was not you, someone may know your password: tell your organisation's Harbour "
    "administrator now."
)


def factor_changed(user: User, change: str, name: str) -> None:
    """Tell the person each time a factor is added or removed: a stranger who learnt their
    password and added a device of their own would be noticed."""
    with translation.override(user.preferred_language):
        line = str(FACTOR_CHANGED[change]) % {"name": name}
        subject, footer = str(FACTOR_CHANGED_SUBJECT), str(FACTOR_CHANGED_FOOTER)
    _send_after_commit(subject, f"{line}\n\n{footer}", [user.email])


def second_factor_reset(user: User) -> None:
    with translation.override(user.preferred_language):
        subject, body = str(SECOND_FACTOR_RESET_SUBJECT), str(SECOND_FACTOR_RESET_BODY)
    _send_after_commit(subject, body, [user.email])


def admins(by: Any, org: Any, kind: str, **values: Any) -> None:
    """Tell the organisation's administrators (but the one who acted) what changed."""
    actor = getattr(by, "full_name", None) or getattr(by, "name", "Harbour")
    others = User.objects.filter(org=org, role=Role.ORG_ADMIN, is_active=True)
    if isinstance(by, User):
        others = others.exclude(pk=by.pk)
    for admin in others:
        with translation.override(admin.preferred_language):
            role = Role(values["role"]).label if "role" in values else ""
            line = str(NOTICES[kind]) % {"actor": actor, "role": role, **values}
            footer = str(NOTICE_FOOTER) % {"url": f"{settings.HARBOUR_SITE_URL}/audit/"}
            _send_after_commit(str(NOTICE_SUBJECT), f"{line}\n\n{footer}", [admin.email])


def _send_after_commit(subject: str, body: str, to: list[str]) -> None:
    transaction.on_commit(lambda: _send(subject, body, to))


def _send(subject: str, body: str, to: list[str]) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
    except (OSError, smtplib.SMTPException) as exc:
        # The change is committed and audited; the person can be sent a new link.
        logger.warning("account e-mail not sent: %s", type(exc).__name__)
