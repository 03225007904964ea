"""THE access choke point between organisations.

Interface code reaches another organisation's records only through these functions. What they
return is computed at every call from live consents and agreements (rules.py), so a withdrawal or
an expiry takes effect on the next read. Every decision, allowed or refused, is audited.
"""

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from harbour.accounts.policy import Perm, can
from harbour.audit.actions import record_event, refuse_read
from harbour.audit.models import Outcome
from harbour.cases import queries as case_queries
from harbour.cases.models import Case, Survivor
from harbour.cases.values import read_values
from harbour.core import tenancy
from harbour.core.errors import NotFound, parsed_id
from harbour.orgs.crypto import blind_index
from harbour.orgs.models import Organisation
from harbour.sharing import rules
from harbour.sharing.models import Agreement, Consent, Party, Purpose, Referral, SurvivorLink
from harbour.standard.dictionary import current

# --- facts for the pure rule --------------------------------------------------------------------


def consent_facts(consent: Consent) -> rules.ConsentFacts:
    return rules.ConsentFacts(
        holder_org=consent.org_id,
        survivor=consent.survivor_id,
        recipient_kind=consent.recipient_kind,
        recipient_org=consent.recipient_org_id,
        recipient_org_type=consent.recipient_org_type or None,
        categories=frozenset(consent.categories),
        purposes=frozenset(consent.purposes),
        starts_on=consent.starts_on,
        expires_on=consent.expires_on,
        withdrawn_at=consent.withdrawn_at,
    )


def allowed_categories(
    *,
    viewer_org: Organisation,
    holder_org_id: uuid.UUID,
    survivor_id: uuid.UUID,
    now: dt.datetime | None = None,
    purposes: frozenset[str] = rules.CARE_PURPOSES,
) -> frozenset[str]:
    """The categories of this survivor's data at the holder that the viewer may see now."""
    if viewer_org.pk == holder_org_id:
        raise ValueError("own data is not shared")
    consents = Consent.objects.filter(
        org_id=holder_org_id, survivor_id=survivor_id, withdrawn_at__isnull=True
    )
    return rules.allowed_categories(
        holder_org=holder_org_id,
        viewer_org=viewer_org.pk,
        viewer_org_type=viewer_org.type,
        survivor=survivor_id,
        consents=[consent_facts(c) for c in consents],
        agreements=_agreements_between(holder_org_id, viewer_org.pk),
        now=now or timezone.now(),
        purposes=purposes,
    )


def _agreements_between(a: uuid.UUID, b: uuid.UUID) -> list[rules.AgreementFacts]:
    """Agreements both organisations are active parties to, in one query."""
    parties = Party.objects.filter(
        org_id__in=[a, b],
        accepted_at__isnull=False,
        left_at__isnull=True,
        agreement__terminated_at__isnull=True,
    ).select_related("agreement")
    members: dict[uuid.UUID, set[uuid.UUID]] = {}
    found: dict[uuid.UUID, Agreement] = {}
    for party in parties:
        members.setdefault(party.agreement_id, set()).add(party.org_id)
        found[party.agreement_id] = party.agreement
    return [
        rules.AgreementFacts(
            parties=frozenset(orgs),
            categories=frozenset(found[k].categories),
            purposes=frozenset(found[k].purposes),
            valid_from=found[k].valid_from,
            valid_until=found[k].valid_until,
            terminated_at=found[k].terminated_at,
        )
        for k, orgs in members.items()
        if orgs >= {a, b}
    ]


def may_tell_where_served(
    survivor: Survivor, *, asker: Organisation, now: dt.datetime | None = None
) -> bool:
    """Whether a returning-survivor hint at `asker` may say where and when this survivor was
    served (record linkage, ADR 41): only with a consent of theirs for "known elsewhere",
    recorded at the organisation that holds the record, naming the asker or its type, and live
    now (started, not expired, not withdrawn). No agreement is needed: the hint tells a
    province and a year, none of the record; the consent's categories open nothing here."""
    when = now or timezone.now()
    with tenancy.widened("returning-survivor hint: the survivor's consent"):
        consents = Consent.objects.filter(
            org_id=survivor.org_id, survivor_id=survivor.pk, withdrawn_at__isnull=True
        )
        facts = [consent_facts(c) for c in consents]
    return any(tells_where_served(f, asker=asker, now=when) for f in facts)


def tells_where_served(facts: rules.ConsentFacts, *, asker: Organisation, now: dt.datetime) -> bool:
    """Whether this one consent lets a hint at `asker` say where and when (the test of
    `may_tell_where_served`; `linkage.policy.places_told` applies it to many survivors' consents
    read in one query)."""
    return (
        Purpose.KNOWN_ELSEWHERE in facts.purposes
        and facts.live(now)
        and facts.names(asker.pk, asker.type)
    )


# --- reasons to look, and links between organisations' records --------------------------------


def referral_expiry() -> dt.timedelta:
    return dt.timedelta(days=settings.HARBOUR_REFERRAL_EXPIRY_DAYS)


def referral_facts(referral: Referral) -> rules.ReferralFacts:
    return rules.ReferralFacts(
        sender=referral.org_id,
        receiver=referral.receiving_org_id,
        survivor=referral.survivor_id,
        kind=referral.kind,
        status=referral.status,
        sent_at=referral.created_at,
    )


def referral_grants(referral: Referral, now: dt.datetime | None = None) -> frozenset[str]:
    """What this one referral grants its receiver now (by its state; ADR 8's table)."""
    return referral_facts(referral).grants(now or timezone.now(), referral_expiry())


def _links_around(survivor_id: uuid.UUID) -> list[rules.LinkFacts]:
    """Every link of the person's records (live or not: the rule decides), with its referral.

    Read across organisations (ADR 40): a chain can pass through a transfer this organisation
    sent, or through a third organisation, and a referral hidden by row-level security would
    make its link look dead."""
    seen, frontier = {survivor_id}, {survivor_id}
    links: dict[uuid.UUID, rules.LinkFacts] = {}
    with tenancy.widened("sharing decision: links of a person's records"):
        while frontier:
            found = SurvivorLink.objects.filter(
                Q(survivor_a__in=frontier) | Q(survivor_b__in=frontier)
            ).select_related("referral")
            for link in found:
                links[link.pk] = rules.LinkFacts(
                    survivors=frozenset({link.survivor_a_id, link.survivor_b_id}),
                    referral=referral_facts(link.referral) if link.referral else None,
                )
            reached = {s for link in links.values() for s in link.survivors} - seen
            seen |= reached
            frontier = reached
    return list(links.values())


def live_linked(survivor_id: uuid.UUID, now: dt.datetime | None = None) -> set[uuid.UUID]:
    """Records of the same person joined by links whose referral or transfer still grants."""
    links = _links_around(survivor_id)
    return rules.live_component(survivor_id, links, now or timezone.now(), referral_expiry())


def reasons_for(
    viewer_org_id: uuid.UUID, survivor_id: uuid.UUID, now: dt.datetime | None = None
) -> frozenset[str]:
    """The purposes for which the viewer has a live reason to look at this record now."""
    links = _links_around(survivor_id)
    linked = {s for link in links for s in link.survivors}
    holders = dict(Survivor.objects.filter(pk__in=linked).values_list("pk", "org_id"))
    direct = Referral.objects.filter(survivor_id=survivor_id, receiving_org_id=viewer_org_id)
    return rules.reasons(
        viewer_org=viewer_org_id,
        survivor=survivor_id,
        holders=holders,
        referrals=[referral_facts(r) for r in direct],
        links=links,
        now=now or timezone.now(),
        expiry=referral_expiry(),
    )


# --- the shared view of a case -----------------------------------------------------------------


@dataclass
class SharedRecord:
    """What a recipient sees of one record: the visible values and the names of withheld fields."""

    record: Any
    entity_id: str
    values: dict[str, Any] = field(default_factory=dict)
    withheld: list[str] = field(default_factory=list)

    @property
    def fully_withheld(self) -> bool:
        return not self.values


def filter_values(record: Any, entity_id: str, categories: frozenset[str]) -> SharedRecord:
    entity = current().entity(entity_id)
    wants_identity = any(f.is_sealed and f.category in categories for f in entity.fields)
    values = read_values(record, with_identity=wants_identity)
    shared = SharedRecord(record, entity_id)
    for f in entity.fields:
        if f.category in categories:
            shared.values[f.id] = values.get(f.id)
        else:
            shared.withheld.append(f.id)
    return shared


@dataclass
class SharedCase:
    case: Case
    categories: frozenset[str]
    survivor: SharedRecord
    case_values: SharedRecord
    # The survivor's immigration steps at the holder, oldest first: only with the "immigration"
    # category (issue 14), so a transfer carries the timeline only when the survivor agreed.
    immigration: list[SharedRecord] = field(default_factory=list)
    immigration_standing: Any = None

    @property
    def withheld_count(self) -> int:
        return len(self.survivor.withheld) + len(self.case_values.withheld)


def shared_case_for(user: Any, case_id: Any) -> SharedCase:
    """Another organisation's case, as far as consent and agreements allow this user now, and
    only while a referral, transfer or link gives the user's organisation a reason to look.

    The decision is audited (in the owner's chain) before a refusal is raised, so refused
    attempts are in the trail too.
    """
    pk = parsed_id(case_id)
    # The decision crosses organisations by nature (ADR 40): a link can run through a transfer
    # this organisation sent, or through a third organisation, which no row-level grant follows.
    # Only whose case it is and whose survivor are read before the live rules have decided.
    with tenancy.widened("sharing decision"):
        found = Case.objects.filter(pk=pk).values_list("org_id", "survivor_id").first()
        if found is None:
            refuse_read(by=user, model=Case, record_id=pk)
        holder, survivor_id = found
        if holder == user.org_id:
            raise NotFound()
        purposes = reasons_for(user.org_id, survivor_id) if can(user, Perm.CASE_VIEW) else None
        if not purposes:
            # No reason to look: a probe, or access that has ended. Counted, not one event each.
            refuse_read(by=user, model=Case, record_id=pk)
        case = Case.objects.select_related("org", "survivor").get(pk=pk)
        with transaction.atomic():
            return _shared(user, case, purposes)


def _shared(user: Any, case: Case, purposes: frozenset[str]) -> SharedCase:
    categories = allowed_categories(
        viewer_org=user.org,
        holder_org_id=case.org_id,
        survivor_id=case.survivor_id,
        purposes=purposes,
    )
    survivor = filter_values(case.survivor, "survivor", categories)
    steps = _immigration_shared(case, categories)
    shown = [k for k, v in survivor.values.items() if v]
    shown += sorted({f"immigration_step.{k}" for r in steps for k, v in r.values.items() if v})
    _decision(user, case, categories, shown=shown)
    shared = SharedCase(case, categories, survivor, filter_values(case, "case", categories))
    if steps:
        shared.immigration = steps
        shared.immigration_standing = case_queries.immigration_standing(case.survivor)
    return shared


def _immigration_shared(case: Case, categories: frozenset[str]) -> list[SharedRecord]:
    if IMMIGRATION not in categories:
        return []
    records = case_queries.immigration_records(case.survivor)
    return [filter_values(r, "immigration_step", categories) for r in records]


IMMIGRATION = "immigration"


def _decision(
    user: Any,
    case: Case,
    categories: frozenset[str],
    *,
    shown: list[str] | None = None,
) -> None:
    """Audit a sharing decision in the owner's chain: who asked, what was allowed or refused."""
    record_event(
        by=user,
        action="sharing.case_viewed",
        org_id=case.org_id,
        target_type="case",
        target_id=case.pk,
        fields=shown or [],
        outcome=Outcome.OK if categories else Outcome.REFUSED,
        context={
            "categories": sorted(categories),
            "viewer_org": str(user.org_id),
        },
    )


# --- referrals and consents -----------------------------------------------------------------------


def referrals_for(user: Any) -> QuerySet[Referral]:
    """Referrals the user's organisation sent or received."""
    if not can(user, Perm.CASE_VIEW):
        return Referral.objects.none()
    return Referral.objects.filter(Q(org_id=user.org_id) | Q(receiving_org_id=user.org_id))


def referral_for(user: Any, referral_id: Any) -> Referral:
    found = (
        referrals_for(user)
        .select_related("org", "receiving_org", "case", "consent")
        .filter(pk=parsed_id(referral_id))
        .first()
    )
    if found is None:
        refuse_read(by=user, model=Referral, record_id=parsed_id(referral_id))
    return found


def consents_of(user: Any, survivor: Survivor) -> QuerySet[Consent]:
    """The consents a survivor gave at the user's own organisation."""
    if not can(user, Perm.CASE_VIEW) or survivor.org_id != user.org_id:
        return Consent.objects.none()
    return Consent.objects.filter(org_id=user.org_id, survivor=survivor)


def consent_for(user: Any, consent_id: Any) -> Consent:
    found = Consent.objects.filter(pk=parsed_id(consent_id), org_id=user.org_id).first()
    if found is None or not can(user, Perm.CASE_VIEW):
        raise NotFound()
    return found


RECEIPT_CODE_LENGTH = 12  # XXXX-XXXX-XXXX, without its dashes


def normalised_code(code: str) -> str:
    """The 12 characters, whatever the survivor or caseworker typed around them."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def receipt_digest(holder_org_id: uuid.UUID, code: str) -> str:
    """The stored form of a receipt code: a keyed hash under the holding organisation's
    blind-index key (which lives as long as the organisation)."""
    return blind_index(holder_org_id, "consent-receipt", normalised_code(code))


def consent_by_receipt(user: Any, code: str) -> Consent:
    """Any caseworker may find a consent by the code on the survivor's receipt, to withdraw it
    at the survivor's request. The lookup shows no identifying data. The code is hashed under
    each organisation's key in turn (one HMAC per organisation, one query)."""
    normalised = normalised_code(code)
    if not can(user, Perm.CASE_EDIT) or len(normalised) != RECEIPT_CODE_LENGTH:
        raise NotFound()
    # Holding the code is the grant: any organisation's consents are searched (ADR 40).
    with tenancy.widened("consent receipt lookup"):
        holders = Consent.objects.order_by().values_list("org_id", flat=True).distinct()
        digests = [receipt_digest(org_id, normalised) for org_id in holders]
        found = (
            Consent.objects.select_related("org", "recipient_org")
            .filter(receipt_digest__in=digests)
            .first()
        )
    if found is None:
        raise NotFound()
    return found


def agreements_for(user: Any) -> QuerySet[Agreement]:
    if can(user, Perm.ORGS_MANAGE):
        return Agreement.objects.all()
    return Agreement.objects.filter(
        Q(parties__org_id=user.org_id) | Q(is_national_protocol=True)
    ).distinct()


def agreement_for(user: Any, agreement_id: Any) -> Agreement:
    found = agreements_for(user).filter(pk=parsed_id(agreement_id)).first()
    if found is None:
        raise NotFound()
    return found
