"""Recording and withdrawing consent."""

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from harbour.accounts.actions import is_locked, register_failure
from harbour.accounts.models import User
from harbour.accounts.policy import Perm, can
from harbour.audit.actions import record_event
from harbour.cases.models import Survivor
from harbour.core import tenancy
from harbour.core.errors import Conflict, InvalidInput, NotFound, TooManyAttempts
from harbour.orgs.models import Organisation
from harbour.sharing import notify
from harbour.sharing.actions.common import audit, category_ids, require
from harbour.sharing.models import (
    Consent,
    Purpose,
    RecipientKind,
    only_known_elsewhere,
)
from harbour.standard.dictionary import current
from harbour.standard.validation import MSG_CHOOSE

DEFAULT_CONSENT_MONTHS = 12
_RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@transaction.atomic
def record_consent(
    *,
    by: User,
    survivor: Survivor,
    recipient_kind: str,
    categories: list[str],
    purposes: list[str],
    method: str,
    recipient_org: Organisation | None = None,
    recipient_org_type: str = "",
    starts_on: dt.date | None = None,
    expires_on: dt.date | None = None,
) -> Consent:
    """Record what the survivor agreed to share, with whom, why, and until when."""
    require(by, Perm.CASE_EDIT)
    if survivor.org_id != by.org_id:
        raise NotFound()
    starts_on = starts_on or timezone.localdate()
    expires_on = expires_on or _months_later(starts_on, DEFAULT_CONSENT_MONTHS)
    _check_consent(
        by,
        recipient_kind,
        recipient_org,
        recipient_org_type,
        categories,
        purposes,
        method,
        starts_on,
        expires_on,
    )
    raw, digest = _new_code(by.org_id)  # stored with the consent: no second write for it
    consent = Consent.objects.create(
        org_id=by.org_id,
        survivor=survivor,
        recipient_kind=recipient_kind,
        recipient_org=recipient_org,
        recipient_org_type=recipient_org_type or "",
        categories=sorted(set(categories)),
        purposes=sorted(set(purposes)),
        method=method,
        recorded_by=by,
        starts_on=starts_on,
        expires_on=expires_on,
        receipt_digest=digest,
    )
    consent.issued_code = _readable(raw)
    audit(
        by,
        "consent.recorded",
        by.org_id,
        consent,
        categories=consent.categories,
        purposes=consent.purposes,
        recipient_kind=recipient_kind,
        recipient_org=str(recipient_org.pk) if recipient_org else None,
    )
    return consent


def _check_consent(
    by: User,
    kind: str,
    org: Organisation | None,
    org_type: str,
    categories: list[str],
    purposes: list[str],
    method: str,
    starts_on: dt.date,
    expires_on: dt.date,
) -> None:
    errors: dict[str, list[Any]] = {}
    if kind not in RecipientKind.values:
        errors["recipient_kind"] = [MSG_CHOOSE]
    if kind == RecipientKind.ORGANISATION and (org is None or org.pk == by.org_id):
        errors["recipient_org"] = [_("Choose another organisation as the recipient.")]
    if kind == RecipientKind.ORGANISATION_TYPE and (
        current().codelists["organisation_type"].get(org_type) is None
    ):
        errors["recipient_org_type"] = [MSG_CHOOSE]
    if not set(categories) <= category_ids() or not (categories or only_known_elsewhere(purposes)):
        errors["categories"] = [_("Choose at least one kind of information to share.")]
    if not purposes or not set(purposes) <= set(Purpose.values):
        errors["purposes"] = [_("Choose at least one purpose.")]
    if method not in {"verbal", "written", "electronic"}:
        errors["method"] = [MSG_CHOOSE]
    if expires_on <= starts_on:
        errors["expires_on"] = [_("The consent must end after it starts.")]
    if expires_on > _months_later(starts_on, 36):
        errors["expires_on"] = [_("A consent can last at most three years; renew it after.")]
    if errors:
        raise InvalidInput(errors)


def _months_later(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, 28))


def _issue_code(consent: Consent) -> str:
    """12 random characters (60 bits) in groups of four, short enough to read over the phone.
    Only its keyed hash is stored; the plain code is on the instance for this request only."""
    raw, consent.receipt_digest = _new_code(consent.org_id)
    consent.save(update_fields=["receipt_digest", "updated_at"])
    consent.issued_code = _readable(raw)
    return consent.issued_code


def _new_code(org_id: Any) -> tuple[str, str]:
    """A receipt code no consent holds (`_issue_code`), and its keyed hash."""
    from harbour.sharing.policy import receipt_digest

    while True:
        raw = "".join(secrets.choice(_RECEIPT_ALPHABET) for _ in range(12))
        digest = receipt_digest(org_id, raw)
        if not Consent.objects.filter(receipt_digest=digest).exists():
            return raw, digest


def _readable(raw: str) -> str:
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


@transaction.atomic
def reissue_receipt_code(*, by: User, consent: Consent) -> Consent:
    """A lost receipt: a new code for the same consent; the old code stops working."""
    require(by, Perm.CASE_EDIT)
    if consent.org_id != by.org_id:
        raise NotFound()
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    _issue_code(consent)
    audit(by, "consent.receipt_reissued", consent.org_id, consent)
    return consent


@transaction.atomic
def withdraw_consent(*, by: User, consent: Consent) -> Consent:
    """Withdrawal takes effect at once: every later read recomputes access without it.

    Any caseworker may do this at the survivor's request, in any organisation (via the receipt
    code); it is recorded where it happened.
    """
    require(by, Perm.CASE_EDIT)
    # The consent came from a policy function (own, or found by its receipt code); another
    # organisation's row is written on purpose (ADR 40).
    with tenancy.widened("consent withdrawal"):
        consent = Consent.objects.select_for_update().get(pk=consent.pk)
        if consent.withdrawn_at is not None:
            raise Conflict(_("This consent has already been withdrawn."))
        consent.withdrawn_at = timezone.now()
        consent.withdrawn_by = by
        consent.withdrawn_at_org_id = by.org_id
        fields = ["withdrawn_at", "withdrawn_by", "withdrawn_at_org", "updated_at"]
        consent.save(update_fields=fields)
    audit(by, "consent.withdrawn", consent.org_id, consent, at_org=str(by.org_id))
    if by.org_id != consent.org_id:
        notify.consent_withdrawn_elsewhere(consent)
    return consent


def find_consent_by_receipt(*, by: User, code: str) -> Consent:
    """A receipt code lets any caseworker withdraw a survivor's consent, so guessing is slowed
    down: each miss is counted (and audited, without the code) against the user, and after too
    many in the throttle window even a right code waits."""
    from harbour.sharing.policy import RECEIPT_CODE_LENGTH, consent_by_receipt, normalised_code

    if not can(by, Perm.CASE_EDIT) or len(normalised_code(code)) != RECEIPT_CODE_LENGTH:
        raise NotFound()  # not a guess at a code: not counted
    keys = [salted_hmac("receipt-lookup", str(by.pk), algorithm="sha256").hexdigest()]
    if is_locked(keys):
        raise TooManyAttempts(
            _("Too many receipt codes that match nothing. Wait a few minutes and try again.")
        )
    try:
        return consent_by_receipt(by, code)
    except NotFound:
        _record_miss(by=by, keys=keys)
        raise


@transaction.atomic
def _record_miss(*, by: User, keys: list[str]) -> None:
    register_failure(keys=keys, limit=settings.RECEIPT_LOOKUP_FAILURES)
    record_event(
        by=by,
        action="consent.receipt_lookup_missed",
        org_id=by.org_id,
        target_type="user",
        target_id=by.pk,
    )
