"""The case lifecycle as one explicit table (HTCDS cas_Status values)."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from harbour.accounts.policy import Perm
from harbour.cases.models import CaseStatus


@dataclass(frozen=True)
class Transition:
    name: str
    source: CaseStatus
    target: CaseStatus
    perm: Perm
    label: object
    needs_closure_reason: bool = False
    needs_reason: bool = False  # a written reason, kept as a case note (reopening)


S = CaseStatus
TRANSITIONS: tuple[Transition, ...] = (
    Transition("to_follow_up", S.ACTIVE, S.FOLLOW_UP, Perm.CASE_EDIT, _("Move to follow-up")),
    Transition("close", S.ACTIVE, S.CLOSED, Perm.CASE_EDIT, _("Close the case"), True),
    Transition("back_to_active", S.FOLLOW_UP, S.ACTIVE, Perm.CASE_EDIT, _("Back to active")),
    Transition("close", S.FOLLOW_UP, S.CLOSED, Perm.CASE_EDIT, _("Close the case"), True),
    # Closing as referred happens through an accepted transfer (sharing), never by hand.
    Transition("reopen", S.CLOSED, S.ACTIVE, Perm.CASE_REOPEN, _("Reopen"), needs_reason=True),
    Transition(
        "reopen", S.CLOSED_REFERRED, S.ACTIVE, Perm.CASE_REOPEN, _("Reopen"), needs_reason=True
    ),
)


def transition(source: str, name: str) -> Transition | None:
    for t in TRANSITIONS:
        if t.source == source and t.name == name:
            return t
    return None


def available(source: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == source]
