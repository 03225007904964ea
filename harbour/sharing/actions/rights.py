"""Survivors' rights: a copy of what is held, legal hold, erasure; and daily reminders."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from harbour.accounts.models import User
from harbour.accounts.policy import Perm
from harbour.audit.actions import Actor, record_event
from harbour.cases.models import Case, Survivor
from harbour.core.errors import Conflict, NotFound
from harbour.orgs import actions as org_actions
from harbour.sharing import notify, states
from harbour.sharing.actions.common import require
from harbour.sharing.models import (
    Consent,
    Referral,
    SurvivorLink,
)


@transaction.atomic
def erase_survivor(*, by: User, survivor: Survivor) -> dict[str, int]:
    """Erase everything this organisation holds about a survivor, at their request, where the
    law allows: not while a legal hold is set or a referral about them is still open. The audit
    trail keeps the trace (what was erased, by whom, when) and none of the data."""
    require(by, Perm.CASE_REOPEN)  # a supervisor's decision
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
    # Their own key goes once this commits: every backup then holds only ciphertext (ADR 36).
    org_actions.shred_survivor_key(by=by, org_id=by.org_id, survivor_id=survivor_id)
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
    require(by, Perm.CASE_REOPEN)
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
    require(by, Perm.SURVIVOR_IDENTITY_VIEW)
    record_event(
        by=by,
        action="survivor.exported",
        org_id=survivor.org_id,
        target_type="survivor",
        target_id=survivor.pk,
        context={"format": output},
    )


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
    counts |= _immigration_reminders(now)
    record_event(by=by, action="sharing.reminders_sent", context=counts)
    return counts


def _immigration_reminders(now: dt.datetime) -> dict[str, int]:
    """Permits and coverages about to end, at each configured lead time, and applications
    waiting past HARBOUR_APPLICATION_WAIT_DAYS: to the case owner and the supervisors."""
    from django.conf import settings

    from harbour.cases import queries as case_queries
    from harbour.cases.models import ImmigrationStep

    today = timezone.localdate(now)
    permits = case_queries.permits_to_remind(today, settings.HARBOUR_PERMIT_REMINDER_DAYS)
    for step, lead in permits:
        notify.permit_expiring(step)
        ImmigrationStep.objects.filter(pk=step.pk).update(expiry_reminded_days=lead)
    waiting = case_queries.applications_waiting(today, settings.HARBOUR_APPLICATION_WAIT_DAYS)
    for step in waiting:
        notify.application_waiting(step)
    ImmigrationStep.objects.filter(pk__in=[s.pk for s in waiting]).update(wait_reminded_at=now)
    return {"expiring_permits": len(permits), "waiting_applications": len(waiting)}


@transaction.atomic
def mark_notifications_read(*, by: User) -> int:
    """Not protected data (ids and kinds only), so no audit event."""
    from harbour.sharing.models import Notification

    return Notification.objects.filter(user=by, read_at__isnull=True).update(read_at=timezone.now())
