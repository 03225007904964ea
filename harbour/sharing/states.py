"""The referral lifecycle as one explicit table. Every transition is an audited action."""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("Sent, waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn by the sender")


class Side(models.TextChoices):
    SENDER = "sender", _("sending organisation")
    RECEIVER = "receiver", _("receiving organisation")


@dataclass(frozen=True)
class Transition:
    name: str
    source: ReferralStatus
    target: ReferralStatus
    side: Side
    label: object


R = ReferralStatus
TRANSITIONS: tuple[Transition, ...] = (
    Transition("accept", R.SENT, R.ACCEPTED, Side.RECEIVER, _("Accept")),
    Transition("decline", R.SENT, R.DECLINED, Side.RECEIVER, _("Decline")),
    Transition("withdraw", R.SENT, R.WITHDRAWN, Side.SENDER, _("Withdraw the referral")),
    Transition("complete", R.ACCEPTED, R.COMPLETED, Side.RECEIVER, _("Record the outcome")),
    Transition("withdraw", R.ACCEPTED, R.WITHDRAWN, Side.SENDER, _("Withdraw the referral")),
)
TERMINAL = frozenset({R.DECLINED, R.COMPLETED, R.WITHDRAWN})


def transition(source: str, name: str) -> Transition | None:
    return next((t for t in TRANSITIONS if t.source == source and t.name == name), None)


def available(source: str, side: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == source and t.side == side]


class DeclineReason(models.TextChoices):
    NO_CAPACITY = "no_capacity", _("No space or capacity")
    NOT_ELIGIBLE = "not_eligible", _("The person is not eligible for our services")
    OUTSIDE_AREA = "outside_area", _("Outside our service area")
    SAFETY = "safety", _("We cannot keep the person safe here")
    DUPLICATE = "duplicate", _("Already referred or already served")
    OTHER = "other", _("Other")


class Outcome(models.TextChoices):
    SERVED = "served", _("Services provided")
    ONGOING = "ongoing", _("Services are ongoing")
    DID_NOT_ATTEND = "did_not_attend", _("The person did not come")
    CHOSE_OTHER = "chose_other", _("The person chose another service")
    COULD_NOT_SERVE = "could_not_serve", _("We could not serve the person")
