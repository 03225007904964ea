"""Referrals, transfers and the cases they open."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from harbour.accounts.models import User
from harbour.accounts.policy import Perm
from harbour.audit.actions import lock_chains, record_event
from harbour.cases import actions as case_actions
from harbour.cases.models import Case, Survivor
from harbour.cases.values import apply_values
from harbour.core.errors import Conflict, DomainError, InvalidInput, NotFound
from harbour.orgs.models import Organisation
from harbour.sharing import notify, states
from harbour.sharing.actions.common import audit, require
from harbour.sharing.models import (
    Consent,
    Purpose,
    Referral,
    ReferralKind,
    SurvivorLink,
)
from harbour.sharing.policy import allowed_categories, filter_values
from harbour.sharing.queries import is_expired
from harbour.standard.dictionary import current
from harbour.standard.validation import MSG_CHOOSE, validate


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
    require(by, Perm.CASE_EDIT)
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
    audit(
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
    earlier = Referral.objects.filter(case=case, receiving_org=receiving_org)
    if any(_still_open(r) for r in earlier):
        raise Conflict(_("This case already has an open referral to that organisation."))


def _still_open(referral: Referral) -> bool:
    """Waiting for an answer (and not expired), or accepted and not yet completed."""
    if referral.status == states.ReferralStatus.ACCEPTED:
        return True
    return referral.status == states.ReferralStatus.SENT and not is_expired(referral)


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
    if name == "accept" and is_expired(referral):
        raise Conflict(
            _(
                "This referral expired without an answer and can no longer be accepted. "
                "Ask the sending organisation to refer again."
            ),
            code="expired",
        )
    return step


def _move(
    by: User, referral: Referral, name: str, side: str, updates: dict[str, str] | None = None
) -> Referral:
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    require(by, Perm.CASE_EDIT)
    step = _transition(by, referral, name, side)
    if name == "accept" and referral.kind == ReferralKind.TRANSFER:
        _lock_both_chains(by, referral)
    referral.status = step.target
    for field_name, value in (updates or {}).items():
        setattr(referral, field_name, value)
    if side == states.Side.RECEIVER:
        referral.responded_at, referral.responded_by = timezone.now(), by
    referral.save()
    audit(
        by,
        f"referral.{name}",
        referral.org_id,
        referral,
        **{"from": step.source, "to": step.target} | (updates or {}),
    )
    return referral


def _lock_both_chains(by: User, referral: Referral) -> None:
    """Accepting a transfer writes the sender's chain (the answer, the case closed as referred)
    and the receiver's (the new survivor and case). Written in turn, B accepting A's transfer
    held A's chain and waited for B's while A accepting B's held B's and waited for A's, and
    PostgreSQL aborted one (a 500): both are taken here first, in one order (ADR 35). The
    receiver's organisation row before them, as the intake below takes it (FOR KEY SHARE): a
    withdrawal from record linkage holds that row, then appends to the chain."""
    from harbour.linkage.actions import has_left_held

    has_left_held(by.org_id)
    lock_chains([referral.org_id, by.org_id])


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
    audit(by, "referral.case_opened", by.org_id, referral, case=str(case.pk))
    return case
