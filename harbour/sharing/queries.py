"""Reads across organisations: the continuum of care, referral lists, a survivor's full export."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from harbour.accounts.models import User
from harbour.cases import queries as case_queries
from harbour.cases.models import Case, Screening, Survivor
from harbour.cases.values import read_values
from harbour.core import tenancy
from harbour.orgs.models import Organisation
from harbour.sharing import policy
from harbour.sharing.models import Consent, Notification, Referral
from harbour.sharing.states import ReferralStatus

# Which consent category each kind of record belongs to as a whole (its fields may be finer).
RECORD_CATEGORY = {
    "intake": "case_summary",
    "trafficking_event": "trafficking_details",
    "service_provided": "services_history",
    "support_plan": "needs",
    "follow_up": "services_history",
    "case_note": "notes",
    "screening": "screening",
    "referral": "services_history",
    "immigration_step": "immigration",
}


@dataclass
class ContinuumItem:
    when: dt.date
    org: Organisation
    kind: str
    own: bool
    withheld: bool
    case: Case
    record: Any = None
    values: dict[str, Any] = field(default_factory=dict)


def continuum(user: User, survivor: Survivor) -> list[ContinuumItem]:
    """One timeline across organisations for a survivor of the user's organisation.

    Own records appear in full. Records elsewhere appear only while a live referral or transfer
    links them (ADR 8); they appear with their organisation and date;
    their content only for the categories that consent and agreements allow now — otherwise as
    "withheld", without content. Every look at another organisation's records is audited.
    """
    items: list[ContinuumItem] = []
    # The live links decide which records appear (ADR 8); their rows belong to organisations
    # that no row-level grant names when the link runs through a transfer this one sent.
    with tenancy.widened("continuum of care: records a live link shows"):
        for other in Survivor.objects.filter(pk__in=policy.live_linked(survivor.pk)):
            own = other.org_id == user.org_id
            for case in Case.objects.filter(survivor=other).select_related("org"):
                categories = None if own else _categories_for(user, case)
                items += _case_items(case, own, categories)
    return sorted(items, key=lambda i: i.when, reverse=True)


def _categories_for(user: User, case: Case) -> frozenset[str]:
    try:
        return policy.shared_case_for(user, case.pk).categories
    except policy.NotFound:
        return frozenset()


def _case_items(case: Case, own: bool, categories: frozenset[str] | None) -> list[ContinuumItem]:
    def visible(kind: str) -> bool:
        return own or (categories is not None and RECORD_CATEGORY[kind] in categories)

    items = [ContinuumItem(case.intake_date, case.org, "intake", own, not visible("intake"), case)]
    for item in case_queries.timeline(case, with_identity=own):
        if item.kind == "intake":
            continue
        shown = visible(item.kind)
        items.append(
            ContinuumItem(
                item.when,
                case.org,
                item.kind,
                own,
                not shown,
                case,
                item.record if shown else None,
                item.values if shown and own else {},
            )
        )
    return items


def referral_lists(user: User) -> dict[str, QuerySet[Referral]]:
    """The referrals the user's organisation received and sent. Their readers choose the
    columns (`values_list`: the web list's rows in sharing.presentation, the API's
    `_LIST_COLUMNS`), so no case or organisation is joined for a list."""
    qs = policy.referrals_for(user)
    return {
        "received": qs.filter(receiving_org_id=user.org_id),
        "sent": qs.filter(org_id=user.org_id),
    }


def is_overdue(referral: Referral, now: dt.datetime | None = None) -> bool:
    limit = dt.timedelta(days=settings.HARBOUR_STALE_REFERRAL_DAYS)
    return (
        referral.status == ReferralStatus.SENT
        and (now or timezone.now()) - referral.created_at > limit
        and not is_expired(referral, now)
    )


def is_expired(referral: Referral, now: dt.datetime | None = None) -> bool:
    """Sent and unanswered past HARBOUR_REFERRAL_EXPIRY_DAYS: it opens nothing any more."""
    facts = policy.referral_facts(referral)
    return facts.expired(now or timezone.now(), policy.referral_expiry())


def overdue_referrals(now: dt.datetime | None = None) -> QuerySet[Referral]:
    limit = (now or timezone.now()) - dt.timedelta(days=settings.HARBOUR_STALE_REFERRAL_DAYS)
    return Referral.objects.filter(
        status=ReferralStatus.SENT, created_at__lt=limit, overdue_notified_at__isnull=True
    ).select_related("sent_by")  # the reminder goes to the sender


def expiring_consents(now: dt.datetime | None = None) -> QuerySet[Consent]:
    today = (now or timezone.now()).date()
    soon = today + dt.timedelta(days=settings.HARBOUR_CONSENT_WARNING_DAYS)
    return Consent.objects.filter(
        withdrawn_at__isnull=True,
        expires_on__gt=today,
        expires_on__lte=soon,
        expiry_notified_at__isnull=True,
    ).select_related("recorded_by")  # the reminder goes to whoever recorded it


def consent_status(consent: Consent, today: dt.date | None = None) -> str:
    today = today or timezone.localdate()
    if consent.withdrawn_at:
        return "withdrawn"
    if today < consent.starts_on:
        return "not_started"
    return "active" if today < consent.expires_on else "expired"


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def survivor_export(survivor: Survivor) -> dict[str, Any]:
    """Everything this organisation holds about the survivor (the right of access)."""
    cases = []
    for case in Case.objects.filter(survivor=survivor).order_by("intake_date"):
        records = {
            kind: [read_values(r, with_identity=True) for r in model.objects.filter(case=case)]
            for kind, model in case_queries.RECORD_MODELS.items()
        }
        screenings = [s.result for s in Screening.objects.filter(case=case)]
        cases.append(
            {
                "reference": case.reference,
                "values": read_values(case, with_identity=True),
                "records": records,
                "screenings": screenings,
            }
        )
    consents = Consent.objects.filter(survivor=survivor).select_related("recipient_org")
    referrals = Referral.objects.filter(survivor=survivor).select_related("receiving_org")
    return {
        "survivor": {
            "reference": survivor.reference,
            "values": read_values(survivor, with_identity=True),
        },
        "cases": cases,
        "consents": [_consent_row(c) for c in consents],
        "referrals": [
            {
                "to": r.receiving_org.name,
                "status": r.status,
                "kind": r.kind,
                "sent": r.created_at.date().isoformat(),
            }
            for r in referrals
        ],
        "linkage_hints": _linkage_hints(survivor),
    }


def _linkage_hints(survivor: Survivor) -> list[str]:
    """The days another organisation was told this person may have been served here (record
    linkage, ADR 41), and whether it was also told where and when (by their consent "known
    elsewhere"): never which organisation asked."""
    from django.utils.translation import gettext as _

    from harbour.audit.queries import events_for_target

    events = events_for_target("survivor", survivor.pk).filter(
        action="linkage.hint_about", org_id=survivor.org_id
    )
    # Where may be the province or, when it has too few organisations, only "in Canada"
    # (ADR 41, amended 2026-12-06): the event does not say which, so the copy says both.
    told = _("with where — the province, or only Canada — and the year, as you consented")
    return [
        f"{e.occurred_at.date().isoformat()} ({told})"
        if e.context.get("place_told") == "yes"
        else e.occurred_at.date().isoformat()
        for e in events
    ]


def _consent_row(consent: Consent) -> dict[str, Any]:
    return {
        "recipient": consent.recipient_org.name
        if consent.recipient_org
        else consent.recipient_org_type or consent.recipient_kind,
        "categories": consent.categories,
        "purposes": consent.purposes,
        "starts_on": consent.starts_on.isoformat(),
        "expires_on": consent.expires_on.isoformat(),
        "status": consent_status(consent),
    }
