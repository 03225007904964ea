"""The demo's consents, agreements, referrals and transfers, through the real sharing actions.

So that every screen of the sharing domain has something true to show: a national protocol most
partners adopted, bilateral agreements (one still waiting for acceptance), consents that are
active, expired, withdrawn, or given to a type of organisation; referrals in every state (one with
no answer for two weeks); a transfer from Ontario to Manitoba; and a survivor who went from
Halifax to Montréal and whose two episodes form one continuum of care.
"""

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from harbour.accounts.models import User
from harbour.accounts.policy import Role
from harbour.cases.immigration import demo as immigration_demo
from harbour.cases.models import Case, CaseStatus
from harbour.orgs.models import Organisation
from harbour.sharing import actions
from harbour.sharing.models import Consent, Referral

Report = Callable[[str], None]
CARE_CATEGORIES = ["identity_contact", "case_summary", "needs", "services_history"]
NATIONAL_CATEGORIES = [*CARE_CATEGORIES, "screening", "trafficking_details", "immigration"]
# (sender, receiver, kind, what happens to it)
REFERRALS = [
    ("lakeshore-toronto", "red-river-winnipeg", "transfer", "accepted"),
    ("harbourlight-halifax", "lephare-montreal", "referral", "case_opened"),
    ("lakeshore-toronto", "lephare-montreal", "referral", "sent"),
    ("lakeshore-toronto", "rideau-legal-ottawa", "referral", "overdue"),
    ("coastline-vancouver", "chinook-calgary", "referral", "accepted"),
    ("coastline-vancouver", "fraser-valley-abbotsford", "referral", "declined"),
    ("chinook-calgary", "coastline-vancouver", "referral", "completed"),
    ("red-river-winnipeg", "prairie-sky-saskatoon", "referral", "withdrawn"),
    ("lephare-montreal", "lakeshore-toronto", "referral", "sent"),
    ("tidewater-moncton", "harbourlight-halifax", "referral", "completed"),
]
# Organisations that stay out of the national protocol (so bilateral agreements matter).
NOT_ADOPTING = {"capital-police-edmonton", "avalon-outreach-stjohns", "great-slave-yellowknife"}


def load(
    *,
    partners: list[Organisation],
    national: Organisation,
    today: dt.date,
    seed: int,
    report: Report,
) -> None:
    rng = random.Random(f"{seed}:sharing")
    orgs = {o.short_name: o for o in partners}
    with transaction.atomic():
        _agreements(orgs, national, today)
        made = [
            r
            for sender, receiver, kind, fate in REFERRALS
            if (r := _referral(orgs, sender, receiver, kind, fate, today, rng))
        ]
        consents = _other_consents(orgs, today, rng)
    report(
        f"Loaded {len(made)} referrals and transfers, {consents} more consents, "
        "the national protocol and bilateral agreements."
    )


def _staff(org: Organisation, role: str) -> User:
    found = User.objects.filter(org=org, role=role).order_by("email").first()
    assert found is not None, f"demo organisation {org.short_name} has no {role}"
    return found


def _agreements(orgs: dict[str, Organisation], national: Organisation, today: dt.date) -> None:
    start = today - dt.timedelta(days=700)
    protocol = actions.create_national_protocol(
        by=_staff(national, Role.SYSTEM_ADMIN),
        # Bilingual, as a national protocol between organisations working in both languages is.
        title=(
            "Demo — National information-sharing protocol for survivor care / "
            "Protocole national de partage d'information pour les soins aux personnes survivantes"
        ),
        categories=NATIONAL_CATEGORIES,
        # It is also the national statistics agreement (ADR 27): its parties' cases are counted.
        purposes=["referral", "continuity_of_care", "statistics"],
        valid_from=start,
        signatories="Demo — National coordinating body / Organisme national de coordination",
    )
    for name, org in orgs.items():
        if name not in NOT_ADOPTING:
            actions.adopt_national_protocol(by=_staff(org, Role.ORG_ADMIN), agreement=protocol)
    pending = actions.propose_agreement(
        by=_staff(orgs["great-slave-yellowknife"], Role.ORG_ADMIN),
        title="Demo — Northern corridor protocol / Protocole du corridor nord",
        partners=[orgs["capital-police-edmonton"]],
        categories=CARE_CATEGORIES,
        purposes=["referral"],
        valid_from=start,
    )
    assert pending.pk


def _open_case(org: Organisation, rng: random.Random) -> Case | None:
    """An open case of the organisation with a named (not anonymous) survivor, not yet used
    (a small demo may have none: the step is then skipped)."""
    cases = list(
        Case.objects.filter(org=org, status=CaseStatus.ACTIVE)
        .exclude(survivor__sealed="")
        .order_by("reference")[:40]
    )
    used = set(Referral.objects.values_list("case_id", flat=True))
    used |= set(Consent.objects.values_list("survivor__cases", flat=True))
    choices = [c for c in cases if c.pk not in used]
    return rng.choice(choices) if choices else None


def _referral(
    orgs: dict[str, Organisation],
    sender_name: str,
    receiver_name: str,
    kind: str,
    fate: str,
    today: dt.date,
    rng: random.Random,
) -> Referral | None:
    sender, receiver = orgs[sender_name], orgs[receiver_name]
    worker, other = _staff(sender, Role.CASEWORKER), _staff(receiver, Role.CASEWORKER)
    case = _open_case(sender, rng)
    if case is None:
        return None
    purpose = "continuity_of_care" if kind == "transfer" else "referral"
    if kind == "transfer":  # the transfer carries an immigration timeline, with consent
        case = immigration_demo.story_case(sender) or case
        immigration_demo.record_story(by=worker, case=case, today=today)
    actions.record_consent(
        by=worker,
        survivor=case.survivor,
        recipient_kind="organisation",
        recipient_org=receiver,
        categories=CARE_CATEGORIES + (["immigration"] if kind == "transfer" else []),
        purposes=[purpose],
        method=rng.choice(["verbal", "written"]),
    )
    referral = actions.send_referral(
        by=worker,
        case=case,
        receiving_org=receiver,
        kind=kind,
        values={
            "referral_date": today,
            "reason": rng.choice(["additional_services", "safety_relocation"]),
            "urgency": rng.choice(["urgent", "routine"]),
            "needs": sorted(case.current_needs)[:3],
        },
    )
    _play(referral, fate, other, worker, today)
    return referral


def _play(referral: Referral, fate: str, receiver: User, sender: User, today: dt.date) -> None:
    if fate == "overdue":
        Referral.objects.filter(pk=referral.pk).update(
            created_at=timezone.now() - dt.timedelta(days=15)
        )
    elif fate in {"accepted", "case_opened", "completed"}:
        actions.accept_referral(by=receiver, referral=referral)
    elif fate == "declined":
        actions.decline_referral(by=receiver, referral=referral, reason="no_capacity")
    elif fate == "withdrawn":
        actions.withdraw_referral(by=sender, referral=referral)
    if fate == "completed":
        actions.complete_referral(by=receiver, referral=referral, outcome="served")
    if fate == "case_opened":
        actions.open_case_for_referral(
            by=receiver,
            referral=referral,
            submission_key=f"demo:{referral.pk}",
            case_values={
                "intake_date": today,
                "intake_province": receiver.org.province,
                "consent_to_record": True,
                "current_needs": sorted(referral.needs) or ["safe_housing"],
            },
        )


def _other_consents(orgs: dict[str, Organisation], today: dt.date, rng: random.Random) -> int:
    """Consents that are not behind a referral: expired, withdrawn, for statistics, by type (which
    also lets a shelter's returning-survivor hint say where and when)."""
    made = 0
    for org in orgs.values():
        worker = _staff(org, Role.CASEWORKER)
        for variant in ("expired", "withdrawn", "statistics", "by_type"):
            case = _open_case(org, rng)
            if case is None:
                continue
            consent = _consent(worker, case, variant, orgs, today)
            if variant == "withdrawn":
                actions.withdraw_consent(by=worker, consent=consent)
            made += 1
    return made


def _consent(
    worker: User, case: Case, variant: str, orgs: dict[str, Organisation], today: dt.date
) -> Consent:
    common: dict[str, Any] = {"by": worker, "survivor": case.survivor, "method": "verbal"}
    if variant == "statistics":
        return actions.record_consent(
            **common,
            recipient_kind="national_statistics",
            categories=["case_summary", "trafficking_details"],
            purposes=["statistics"],
        )
    if variant == "by_type":
        return actions.record_consent(
            **common,
            recipient_kind="organisation_type",
            recipient_org_type="shelter",
            categories=["needs"],
            # ... and any shelter's returning-survivor hint may say the province and year
            # this person was served here (record linkage, ADR 41).
            purposes=["referral", "known_elsewhere"],
        )
    partner = next(o for o in orgs.values() if o.pk != worker.org_id)
    dates: dict[str, Any] = (
        {"starts_on": today - dt.timedelta(days=500), "expires_on": today - dt.timedelta(days=135)}
        if variant == "expired"
        else {}
    )
    return actions.record_consent(
        **common,
        recipient_kind="organisation",
        recipient_org=partner,
        categories=["needs"],
        purposes=["referral"],
        **dates,
    )
