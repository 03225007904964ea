"""Every write about consent, agreements and referrals: keyword-only, an explicit actor, one
transaction, audited. Refusals carry a specific, translated message and change nothing."""

import datetime as dt
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from harbour.accounts.models import User
from harbour.accounts.policy import Perm, Role, can
from harbour.audit.actions import Actor, record_event
from harbour.cases import actions as case_actions
from harbour.cases.models import Case, Survivor
from harbour.cases.values import apply_values
from harbour.core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from harbour.orgs.models import Organisation
from harbour.sharing import notify, states
from harbour.sharing.models import (
    Agreement,
    Consent,
    Party,
    Purpose,
    RecipientKind,
    Referral,
    ReferralKind,
    SurvivorLink,
)
from harbour.sharing.policy import allowed_categories, filter_values
from harbour.standard.dictionary import current
from harbour.standard.validation import MSG_CHOOSE, validate

DEFAULT_CONSENT_MONTHS = 12
_RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _require(by: Any, perm: Perm) -> None:
    if not can(by, perm):
        raise Forbidden()


def _audit(by: Actor, action: str, org_id: Any, target: Any, **context: Any) -> None:
    record_event(
        by=by,
        action=action,
        org_id=org_id,
        target_type=target._meta.model_name,
        target_id=target.pk,
        context=context or None,
    )


def _category_ids() -> set[str]:
    return {c.id for c in current().categories}


# --- consent ----------------------------------------------------------------------------------


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
    _require(by, Perm.CASE_EDIT)
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
        receipt_code=_receipt_code(),
    )
    _audit(
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
    if not categories or not set(categories) <= _category_ids():
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


def _receipt_code() -> str:
    """12 random characters (60 bits) in groups of four: short enough to read over the phone."""
    while True:
        raw = "".join(secrets.choice(_RECEIPT_ALPHABET) for _ in range(12))
        code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
        if not Consent.objects.filter(receipt_code=code).exists():
            return code


@transaction.atomic
def withdraw_consent(*, by: User, consent: Consent) -> Consent:
    """Withdrawal takes effect at once: every later read recomputes access without it.

    Any caseworker may do this at the survivor's request, in any organisation (via the receipt
    code); it is recorded where it happened.
    """
    _require(by, Perm.CASE_EDIT)
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at is not None:
        raise Conflict(_("This consent has already been withdrawn."))
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_by = by
    consent.withdrawn_at_org_id = by.org_id
    consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_at_org", "updated_at"])
    _audit(by, "consent.withdrawn", consent.org_id, consent, at_org=str(by.org_id))
    if by.org_id != consent.org_id:
        notify.consent_withdrawn_elsewhere(consent)
    return consent


# --- agreements --------------------------------------------------------------------------------


@transaction.atomic
def propose_agreement(
    *,
    by: User,
    title: str,
    partners: list[Organisation],
    categories: list[str],
    purposes: list[str],
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    signatories: str = "",
) -> Agreement:
    """An organisation admin proposes an agreement; each partner's admin must accept it."""
    _require(by, Perm.STAFF_MANAGE)
    _check_agreement(title, categories, purposes, valid_from, valid_until)
    others = {p.pk: p for p in partners if p.pk != by.org_id}
    if not others:
        raise InvalidInput({"partners": [_("Choose at least one other organisation.")]})
    agreement = Agreement.objects.create(
        title=title.strip(),
        categories=sorted(set(categories)),
        purposes=sorted(set(purposes)),
        valid_from=valid_from,
        valid_until=valid_until,
        signatories=signatories.strip(),
        created_by=by,
    )
    Party.objects.create(
        agreement=agreement, org_id=by.org_id, accepted_at=timezone.now(), accepted_by=by
    )
    for org in others.values():
        Party.objects.create(agreement=agreement, org=org)
    _audit(
        by,
        "agreement.proposed",
        by.org_id,
        agreement,
        parties=[str(p) for p in [by.org_id, *others]],
    )
    return agreement


def _check_agreement(
    title: str,
    categories: list[str],
    purposes: list[str],
    valid_from: dt.date,
    valid_until: dt.date | None,
) -> None:
    errors: dict[str, list[Any]] = {}
    if not title.strip() or len(title) > 200:
        errors["title"] = [_("Give the agreement a title of at most 200 characters.")]
    if not categories or not set(categories) <= _category_ids():
        errors["categories"] = [_("Choose at least one kind of information to share.")]
    if not purposes or not set(purposes) <= {Purpose.REFERRAL, Purpose.CONTINUITY}:
        errors["purposes"] = [_("Choose referral, continuity of care, or both.")]
    if valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = [_("The agreement must end after it starts.")]
    if errors:
        raise InvalidInput(errors)


@transaction.atomic
def accept_agreement(*, by: User, agreement: Agreement) -> Party:
    _require(by, Perm.STAFF_MANAGE)
    party = Party.objects.select_for_update().filter(agreement=agreement, org_id=by.org_id).first()
    if party is None:
        raise NotFound()
    if party.accepted_at is not None and party.left_at is None:
        raise Conflict(_("Your organisation has already accepted this agreement."))
    party.accepted_at, party.accepted_by, party.left_at = timezone.now(), by, None
    party.save()
    _audit(by, "agreement.accepted", by.org_id, agreement)
    return party


@transaction.atomic
def leave_agreement(*, by: User, agreement: Agreement) -> None:
    """Leaving takes effect at once for every future read."""
    _require(by, Perm.STAFF_MANAGE)
    party = (
        Party.objects.select_for_update()
        .filter(agreement=agreement, org_id=by.org_id, left_at__isnull=True)
        .first()
    )
    if party is None:
        raise Conflict(_("Your organisation is not a party to this agreement."))
    party.left_at = timezone.now()
    party.save(update_fields=["left_at", "updated_at"])
    _audit(by, "agreement.left", by.org_id, agreement)


@transaction.atomic
def create_national_protocol(
    *,
    by: User,
    title: str,
    categories: list[str],
    purposes: list[str],
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    signatories: str = "",
) -> Agreement:
    """The optional national default protocol; organisations opt in one by one."""
    if not (
        can(by, Perm.ORGS_MANAGE)
        or (by.org.type == "national_coordinating_body" and by.role == Role.ORG_ADMIN)
    ):
        raise Forbidden()
    _check_agreement(title, categories, purposes, valid_from, valid_until)
    agreement = Agreement.objects.create(
        title=title.strip(),
        is_national_protocol=True,
        categories=sorted(set(categories)),
        purposes=sorted(set(purposes)),
        valid_from=valid_from,
        valid_until=valid_until,
        signatories=signatories,
        created_by=by,
    )
    _audit(by, "agreement.national_protocol_created", None, agreement)
    return agreement


@transaction.atomic
def adopt_national_protocol(*, by: User, agreement: Agreement) -> Party:
    _require(by, Perm.STAFF_MANAGE)
    if not agreement.is_national_protocol:
        raise NotFound()
    party, _created = Party.objects.get_or_create(agreement=agreement, org_id=by.org_id)
    if party.accepted_at is not None and party.left_at is None:
        raise Conflict(_("Your organisation has already adopted the national protocol."))
    party.accepted_at, party.accepted_by, party.left_at = timezone.now(), by, None
    party.save()
    _audit(by, "agreement.national_protocol_adopted", by.org_id, agreement)
    return party


# --- referrals ---------------------------------------------------------------------------------


def send_referral(
    *,
    by: User,
    case: Case,
    receiving_org: Organisation,
    values: dict[str, Any],
    kind: str = ReferralKind.REFERRAL,
    service: Any = None,
) -> Referral:
    """Refer (or transfer) a case to another organisation, with the survivor's consent and an
    agreement between the two organisations, both live now.

    A refusal is a sharing decision too: it is audited (in its own transaction, since the
    refused action itself changes nothing) before the error reaches the caller.
    """
    try:
        with transaction.atomic():
            return _send_referral(by, case, receiving_org, values, kind, service)
    except DomainError as refusal:
        if case.org_id == by.org_id:
            _record_refusal(by, case, receiving_org, refusal)
        raise


def _send_referral(
    by: User,
    case: Case,
    receiving_org: Organisation,
    values: dict[str, Any],
    kind: str,
    service: Any,
) -> Referral:
    _require(by, Perm.CASE_EDIT)
    if case.org_id != by.org_id:
        raise NotFound()
    _check_can_refer(case, receiving_org, kind)
    purpose = Purpose.CONTINUITY if kind == ReferralKind.TRANSFER else Purpose.REFERRAL
    categories = allowed_categories(
        viewer_org=receiving_org,
        holder_org_id=case.org_id,
        survivor_id=case.survivor_id,
        purposes=frozenset({purpose}),
    )
    consent = _covering_consent(case, receiving_org, purpose)
    if consent is None:
        raise InvalidInput({"receiving_org": [MSG_NO_CONSENT]}, MSG_NO_CONSENT, code="no_consent")
    if not categories:
        raise InvalidInput(
            {"receiving_org": [MSG_NO_AGREEMENT]}, MSG_NO_AGREEMENT, code="no_agreement"
        )
    cleaned = validate(
        current().entity("referral"),
        values | {"receiving_org": receiving_org.pk},
        version=current().latest,
    )
    referral = Referral(
        org_id=by.org_id,
        case=case,
        survivor_id=case.survivor_id,
        receiving_org=receiving_org,
        service=service,
        kind=kind,
        status=states.ReferralStatus.SENT,
        consent=consent,
        sent_by=by,
        standard_version=str(current().latest),
    )
    apply_values(referral, {k: v for k, v in cleaned.items() if k != "receiving_org"})
    referral.save()
    _audit(
        by,
        "referral.sent",
        case.org_id,
        referral,
        kind=kind,
        receiving_org=str(receiving_org.pk),
        categories=sorted(categories),
    )
    notify.referral_received(referral)
    return referral


def _check_can_refer(case: Case, receiving_org: Organisation, kind: str) -> None:
    if kind not in ReferralKind.values:
        raise InvalidInput({"kind": [MSG_CHOOSE]})
    if receiving_org.pk == case.org_id:
        raise InvalidInput(
            {"receiving_org": [_("A case cannot be referred to its own organisation.")]}
        )
    if not receiving_org.is_active:
        raise InvalidInput({"receiving_org": [_("This organisation is not active in Harbour.")]})
    if not case.is_open:
        raise Conflict(_("Only an open case can be referred."))
    open_statuses = [states.ReferralStatus.SENT, states.ReferralStatus.ACCEPTED]
    if Referral.objects.filter(
        case=case, receiving_org=receiving_org, status__in=open_statuses
    ).exists():
        raise Conflict(_("This case already has an open referral to that organisation."))


def _covering_consent(case: Case, receiving_org: Organisation, purpose: str) -> Consent | None:
    from harbour.sharing.policy import consent_facts

    now = timezone.now()
    for consent in Consent.objects.filter(
        org_id=case.org_id, survivor_id=case.survivor_id, withdrawn_at__isnull=True
    ):
        facts = consent_facts(consent)
        if (
            facts.live(now)
            and facts.names(receiving_org.pk, receiving_org.type)
            and purpose in facts.purposes
        ):
            return consent
    return None


MSG_NO_CONSENT = _(
    "The survivor has no live consent to share with this organisation for this purpose. "
    "Record their consent first."
)
MSG_NO_AGREEMENT = _(
    "There is no live information-sharing agreement between your organisation and this one "
    "that covers what the survivor agreed to share."
)


@transaction.atomic
def _record_refusal(by: User, case: Case, receiving_org: Organisation, error: DomainError) -> None:
    record_event(
        by=by,
        action="referral.refused",
        org_id=case.org_id,
        target_type="case",
        target_id=case.pk,
        outcome="refused",
        context={"reason": error.code, "receiving_org": str(receiving_org.pk)},
    )


def _transition(by: User, referral: Referral, name: str, side: str) -> states.Transition:
    if side == states.Side.RECEIVER and referral.receiving_org_id != by.org_id:
        raise NotFound()
    if side == states.Side.SENDER and referral.org_id != by.org_id:
        raise NotFound()
    step = states.transition(referral.status, name)
    if step is None or step.side != side:
        raise Conflict(_("This referral cannot be changed that way in its current state."))
    return step


def _move(
    by: User, referral: Referral, name: str, side: str, updates: dict[str, str] | None = None
) -> Referral:
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    _require(by, Perm.CASE_EDIT)
    step = _transition(by, referral, name, side)
    referral.status = step.target
    for field_name, value in (updates or {}).items():
        setattr(referral, field_name, value)
    if side == states.Side.RECEIVER:
        referral.responded_at, referral.responded_by = timezone.now(), by
    referral.save()
    _audit(
        by,
        f"referral.{name}",
        referral.org_id,
        referral,
        **{"from": step.source, "to": step.target} | (updates or {}),
    )
    return referral


@transaction.atomic
def accept_referral(*, by: User, referral: Referral) -> Referral:
    """Accept; a transfer also opens the case here with the consented data and closes the
    sender's case as closed-referred."""
    referral = _move(by, referral, "accept", states.Side.RECEIVER)
    if referral.kind == ReferralKind.TRANSFER:
        _open_transferred_case(by, referral)
    notify.referral_answered(referral)
    return referral


@transaction.atomic
def decline_referral(*, by: User, referral: Referral, reason: str) -> Referral:
    if reason not in states.DeclineReason.values:
        raise InvalidInput({"decline_reason": [_("Choose why the referral is declined.")]})
    referral = _move(by, referral, "decline", states.Side.RECEIVER, {"decline_reason": reason})
    notify.referral_answered(referral)
    return referral


@transaction.atomic
def complete_referral(*, by: User, referral: Referral, outcome: str) -> Referral:
    if outcome not in states.Outcome.values:
        raise InvalidInput({"outcome": [_("Choose the outcome of the referral.")]})
    referral = _move(by, referral, "complete", states.Side.RECEIVER, {"outcome": outcome})
    notify.referral_answered(referral)
    return referral


@transaction.atomic
def withdraw_referral(*, by: User, referral: Referral) -> Referral:
    referral = _move(by, referral, "withdraw", states.Side.SENDER)
    notify.referral_withdrawn(referral)
    return referral


def _open_transferred_case(by: User, referral: Referral) -> Case:
    """The receiving organisation's new episode carries only what the survivor consented to."""
    source = Case.objects.select_related("survivor").get(pk=referral.case_id)
    categories = allowed_categories(
        viewer_org=by.org,
        holder_org_id=source.org_id,
        survivor_id=source.survivor_id,
        purposes=frozenset({Purpose.CONTINUITY}),
    )
    survivor_values = _copyable(filter_values(source.survivor, "survivor", categories).values)
    case_values = _copyable(filter_values(source, "case", categories).values)
    fresh = {
        *case_actions.PROTECTED_CASE_FIELDS,
        "intake_date",
        "intake_province",
        "intake_city",
        "intake_method",
        "consent_to_record",
    }
    case_values = {k: v for k, v in case_values.items() if k not in fresh}
    case_values |= {
        "intake_date": timezone.localdate(),
        "intake_province": by.org.province,
        "consent_to_record": True,
    }
    new_case, _created = case_actions.start_intake(
        by=by,
        survivor_values=survivor_values,
        case_values=case_values,
        submission_key=f"transfer:{referral.pk}",
    )
    new_case.previous_case = source
    new_case.save(update_fields=["previous_case", "updated_at"])
    Referral.objects.filter(pk=referral.pk).update(receiving_case=new_case)
    link_survivors(a=source.survivor, b=new_case.survivor, referral=referral)
    case_actions.close_as_referred(by=by, case=source)
    return new_case


def _copyable(values: dict[str, Any]) -> dict[str, Any]:
    """Values ready for validation again: empty ones dropped, references to the sender's staff
    and organisations dropped (they mean nothing at the receiver)."""
    skip = {"owner", "referred_by_org", "provided_by"}
    return {k: v for k, v in values.items() if v not in (None, "", []) and k not in skip}


def link_survivors(*, a: Survivor, b: Survivor, referral: Referral | None) -> SurvivorLink:
    first, second = sorted([a, b], key=lambda s: str(s.pk))
    link, _created = SurvivorLink.objects.get_or_create(
        survivor_a=first, survivor_b=second, defaults={"referral": referral}
    )
    return link


@transaction.atomic
def open_case_for_referral(
    *, by: User, referral: Referral, case_values: dict[str, Any], submission_key: str | None
) -> Case:
    """The receiving organisation opens its own episode for an accepted referral. Nothing of the
    sender's record is copied: it stays readable here only while consent and agreement last."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.receiving_org_id != by.org_id:
        raise NotFound()
    if referral.status != states.ReferralStatus.ACCEPTED:
        raise Conflict(_("Accept the referral before opening a case for it."))
    if referral.receiving_case_id:
        raise Conflict(_("A case is already open for this referral."))
    case, _created = case_actions.start_intake(
        by=by, survivor_values={}, case_values=case_values, submission_key=submission_key
    )
    Referral.objects.filter(pk=referral.pk).update(receiving_case=case)
    link_survivors(a=referral.survivor, b=case.survivor, referral=referral)
    _audit(by, "referral.case_opened", by.org_id, referral, case=str(case.pk))
    return case


# --- survivor rights ---------------------------------------------------------------------------


@transaction.atomic
def erase_survivor(*, by: User, survivor: Survivor) -> dict[str, int]:
    """Erase everything this organisation holds about a survivor, at their request, where the
    law allows: not while a legal hold is set or a referral about them is still open. The audit
    trail keeps the trace (what was erased, by whom, when) and none of the data."""
    _require(by, Perm.CASE_REOPEN)  # a supervisor's decision
    survivor = Survivor.objects.select_for_update().get(pk=survivor.pk)
    if survivor.org_id != by.org_id:
        raise NotFound()
    if survivor.legal_hold:
        raise Conflict(
            _("A legal hold is set on this file: it cannot be erased until it is lifted.")
        )
    open_referrals = Referral.objects.filter(
        survivor=survivor, status__in=[states.ReferralStatus.SENT, states.ReferralStatus.ACCEPTED]
    )
    if open_referrals.exists():
        raise Conflict(_("Close or withdraw the open referrals about this survivor first."))
    survivor_id = survivor.pk
    counts = _delete_everything(survivor)
    record_event(
        by=by,
        action="survivor.erased",
        org_id=by.org_id,
        target_type="survivor",
        target_id=survivor_id,
        context=counts,
    )
    return counts


def _delete_everything(survivor: Survivor) -> dict[str, int]:
    from harbour.cases.models import IntakeDraft, Screening
    from harbour.cases.queries import RECORD_MODELS

    cases = Case.objects.filter(survivor=survivor)
    counts = {"cases": cases.count()}
    record_models: list[tuple[str, Any]] = [*RECORD_MODELS.items(), ("screening", Screening)]
    for kind, model in record_models:
        counts[kind] = model.objects.filter(case__in=cases).delete()[0]
    counts["referrals"] = Referral.objects.filter(survivor=survivor).delete()[0]
    counts["consents"] = Consent.objects.filter(survivor=survivor).delete()[0]
    SurvivorLink.objects.filter(survivor_a=survivor).delete()
    SurvivorLink.objects.filter(survivor_b=survivor).delete()
    IntakeDraft.objects.filter(survivor=survivor).delete()
    Case.objects.filter(previous_case__in=cases).update(previous_case=None)
    cases.delete()
    survivor.delete()
    return counts


@transaction.atomic
def set_legal_hold(*, by: User, survivor: Survivor, hold: bool) -> Survivor:
    _require(by, Perm.CASE_REOPEN)
    if survivor.org_id != by.org_id:
        raise NotFound()
    survivor.legal_hold = hold
    survivor.save(update_fields=["legal_hold", "updated_at"])
    record_event(
        by=by,
        action="survivor.legal_hold_set" if hold else "survivor.legal_hold_lifted",
        org_id=by.org_id,
        target_type="survivor",
        target_id=survivor.pk,
    )
    return survivor


@transaction.atomic
def record_export(*, by: User, survivor: Survivor, output: str) -> None:
    """The right of access: exporting a survivor's file is a read of identifying data."""
    _require(by, Perm.SURVIVOR_IDENTITY_VIEW)
    record_event(
        by=by,
        action="survivor.exported",
        org_id=survivor.org_id,
        target_type="survivor",
        target_id=survivor.pk,
        context={"format": output},
    )


# --- reminders ----------------------------------------------------------------------------------


@transaction.atomic
def send_reminders(*, by: Actor, now: dt.datetime | None = None) -> dict[str, int]:
    """Flag unanswered referrals and consents about to expire (run daily)."""
    from harbour.sharing import queries

    now = now or timezone.now()
    overdue = list(queries.overdue_referrals(now))
    for referral in overdue:
        notify.referral_overdue(referral)
    Referral.objects.filter(pk__in=[r.pk for r in overdue]).update(overdue_notified_at=now)
    expiring = list(queries.expiring_consents(now))
    for consent in expiring:
        notify.consent_expiring(consent)
    Consent.objects.filter(pk__in=[c.pk for c in expiring]).update(expiry_notified_at=now)
    counts = {"overdue_referrals": len(overdue), "expiring_consents": len(expiring)}
    record_event(by=by, action="sharing.reminders_sent", context=counts)
    return counts


@transaction.atomic
def mark_notifications_read(*, by: User) -> int:
    """Not protected data (ids and kinds only), so no audit event."""
    from harbour.sharing.models import Notification

    return Notification.objects.filter(user=by, read_at__isnull=True).update(read_at=timezone.now())
