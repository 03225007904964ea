"""The audit trail in words: actions and fields as people say them, in English and French.

An action code is `<subject>.<what happened>` (`case.identity_viewed`, `referral.accept`,
`org.key.rotated`). Its words are the subject's name and what happened as a noun ("Case —
identity viewed" / "Dossier — consultation de l'identité"): nouns avoid French agreement with
the subject's gender. Codes not listed here are shown as they are (the raw code is always kept
beside the words, for machines and for people searching the documentation).
"""

from collections.abc import Iterable

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from harbour.standard.dictionary import current

# Subjects that are not dictionary entities (those take the dictionary's own label).
SUBJECTS: dict[str, Promise] = {
    "intake_draft": _("Intake draft"),
    "consent": _("Consent"),
    "referral": _("Referral"),
    "agreement": _("Agreement"),
    "org": _("Organisation"),
    "user": _("Account"),
    "api_token": _("API token"),
    "invitation": _("Invitation"),
    "directory": _("Service directory"),
    "service": _("Service"),
    "location": _("Service location"),
    "provider": _("Service provider"),
    "taxonomy": _("Service categories"),
    "audit": _("Audit trail"),
    "sharing": _("Sharing"),
    "api": _("API"),
}

# Fields of subjects that are not dictionary entities (accounts, organisations, services).
FIELDS: dict[str, Promise] = {
    "email": _("E-mail"),
    "full_name": _("Full name"),
    "job_title": _("Job title"),
    "role": _("Role"),
    "is_active": _("Active"),
    "password": _("Password"),
    "preferred_language": _("Preferred language"),
    "name": _("Name"),
}

# What happened, by the last part of the code (context "audit": in French, a noun).
HAPPENINGS: dict[str, Promise] = {
    "created": pgettext_lazy("audit", "created"),
    "updated": pgettext_lazy("audit", "changed"),
    "deleted": pgettext_lazy("audit", "deleted"),
    "viewed": pgettext_lazy("audit", "viewed"),
    "identity_viewed": pgettext_lazy("audit", "identity viewed"),
    "case_viewed": pgettext_lazy("audit", "shared case viewed"),
    "close": pgettext_lazy("audit", "closed"),
    "closed": pgettext_lazy("audit", "closed"),
    "closed_referred": pgettext_lazy("audit", "closed after a transfer"),
    "reopen": pgettext_lazy("audit", "reopened"),
    "to_follow_up": pgettext_lazy("audit", "moved to follow-up"),
    "back_to_active": pgettext_lazy("audit", "back to active"),
    "reassigned": pgettext_lazy("audit", "reassigned"),
    "saved": pgettext_lazy("audit", "saved"),
    "discarded": pgettext_lazy("audit", "discarded"),
    "recorded": pgettext_lazy("audit", "recorded"),
    "withdraw": pgettext_lazy("audit", "withdrawn"),
    "withdrawn": pgettext_lazy("audit", "withdrawn"),
    "receipt_reissued": pgettext_lazy("audit", "new receipt issued"),
    "receipt_lookup_missed": pgettext_lazy("audit", "receipt code not found"),
    "sent": pgettext_lazy("audit", "sent"),
    "accept": pgettext_lazy("audit", "accepted"),
    "accepted": pgettext_lazy("audit", "accepted"),
    "decline": pgettext_lazy("audit", "declined"),
    "refused": pgettext_lazy("audit", "refused"),
    "complete": pgettext_lazy("audit", "outcome recorded"),
    "case_opened": pgettext_lazy("audit", "case opened from it"),
    "proposed": pgettext_lazy("audit", "proposed"),
    "left": pgettext_lazy("audit", "left"),
    "national_protocol_adopted": pgettext_lazy("audit", "national protocol adopted"),
    "national_protocol_created": pgettext_lazy("audit", "national protocol created"),
    "issued": pgettext_lazy("audit", "issued"),
    "revoked": pgettext_lazy("audit", "revoked"),
    "signed_in": pgettext_lazy("audit", "signed in"),
    "sign_in_failed": pgettext_lazy("audit", "sign-in failed"),
    "password_changed": pgettext_lazy("audit", "password changed"),
    "password_reset_required": pgettext_lazy("audit", "new password required"),
    "reset_link_sent": pgettext_lazy("audit", "password link sent"),
    "deactivated": pgettext_lazy("audit", "deactivated"),
    "reactivated": pgettext_lazy("audit", "reactivated"),
    "language_changed": pgettext_lazy("audit", "language changed"),
    "erased": pgettext_lazy("audit", "erased"),
    "exported": pgettext_lazy("audit", "exported"),
    "key_destroyed": pgettext_lazy("audit", "key destroyed"),
    "legal_hold_set": pgettext_lazy("audit", "legal hold set"),
    "legal_hold_lifted": pgettext_lazy("audit", "legal hold lifted"),
    "checkpoint_signed": pgettext_lazy("audit", "checkpoint signed"),
    "checkpoint_checked": pgettext_lazy("audit", "checkpoint checked"),
    "chain_keyed": pgettext_lazy("audit", "chain keyed"),
    "trail_exported": pgettext_lazy("audit", "exported to a spreadsheet"),
    "refusal_tallies_pruned": pgettext_lazy("audit", "old counts of refused reads deleted"),
    "reminders_sent": pgettext_lazy("audit", "reminders sent"),
    "demo_loaded": pgettext_lazy("audit", "demonstration data loaded"),
    "imported": pgettext_lazy("audit", "imported"),
    "vacancy_updated": pgettext_lazy("audit", "vacancies updated"),
    "verified": pgettext_lazy("audit", "verified"),
    "closure_added": pgettext_lazy("audit", "closure added"),
    "closure_removed": pgettext_lazy("audit", "closure removed"),
    "removed": pgettext_lazy("audit", "removed"),
    "rotated": pgettext_lazy("audit", "key rotated"),
    "retired": pgettext_lazy("audit", "key retired"),
    "rewrapped": pgettext_lazy("audit", "key re-wrapped"),
    "resealed": pgettext_lazy("audit", "records resealed"),
    "use": pgettext_lazy("audit", "used"),
}


def subject_of(code: str) -> str:
    return code.split(".", 1)[0]


def subject_label(subject: str) -> str:
    entities = current().entities
    if subject in entities:
        return str(entities[subject].label)
    found = SUBJECTS.get(subject)
    return str(found) if found is not None else subject.replace("_", " ")


def action_label(code: str) -> str:
    """'case.identity_viewed' → 'Case — identity viewed' (in the active language)."""
    subject, _dot, rest = code.partition(".")
    happened = HAPPENINGS.get(rest.rsplit(".", 1)[-1]) if rest else None
    if happened is None:
        return code
    return f"{subject_label(subject)} — {happened}"


def field_labels(code: str, fields: Iterable[str]) -> list[str]:
    """The fields an event names, by their dictionary label when the subject is an entity."""
    entity = current().entities.get(subject_of(code))
    known: dict[str, object] = {f.id: f.label for f in entity.fields} if entity is not None else {}
    return [str(known.get(f) or FIELDS.get(f) or f.replace("_", " ")) for f in fields]


def is_known(code: str) -> bool:
    return action_label(code) != code
