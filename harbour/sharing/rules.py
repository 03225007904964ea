"""The sharing rule, as pure functions: no Django, so it can be read, reviewed and property-tested
on its own, and used as the oracle of the stateful tests.

Data of a survivor held by organisation H reaches organisation V only for the categories that
are covered, at this moment, by BOTH
  - a consent of that survivor, recorded at H, that names V (or V's type) as recipient, is for a
    purpose of care (referral or continuity of care), has started, has not expired and has not
    been withdrawn; and
  - an information-sharing agreement (or the national protocol) to which H and V are both active
    parties, valid now, covering that category and purpose.
The result is the union over all such pairs of the intersection of their categories.

And V needs a *reason* to look at all, live now (`reasons` below, ADR 8): a referral or transfer
of this survivor's record to V in a state that grants access, or a record of the same person that
V holds, linked through referrals and transfers that still grant it. The reason decides the
purposes the consent and agreement are checked against (a referral: "referral"; a transfer:
"continuity_of_care").
"""

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

CARE_PURPOSES = frozenset({"referral", "continuity_of_care"})

# What a referral or transfer grants the other side, by (kind, status). Anything not listed grants
# nothing. A referral that was declined, withdrawn or completed grants nothing: the receiver keeps
# what it recorded itself (its own case, the outcome), never the sender's data. A transfer moves
# the survivor's care: once accepted (and after its outcome is recorded) it keeps granting
# continuity of care, for as long as the survivor's consent and the agreement last.
GRANTS: dict[tuple[str, str], frozenset[str]] = {
    ("referral", "sent"): frozenset({"referral"}),
    ("referral", "accepted"): frozenset({"referral"}),
    ("transfer", "sent"): frozenset({"continuity_of_care"}),
    ("transfer", "accepted"): frozenset({"continuity_of_care"}),
    ("transfer", "completed"): frozenset({"continuity_of_care"}),
}


@dataclass(frozen=True)
class ConsentFacts:
    holder_org: uuid.UUID
    survivor: uuid.UUID
    recipient_kind: str  # organisation | organisation_type | national_statistics | research
    recipient_org: uuid.UUID | None
    recipient_org_type: str | None
    categories: frozenset[str]
    purposes: frozenset[str]
    starts_on: dt.date
    expires_on: dt.date
    withdrawn_at: dt.datetime | None

    def live(self, now: dt.datetime) -> bool:
        today = now.date()
        return self.withdrawn_at is None and self.starts_on <= today < self.expires_on

    def names(self, org: uuid.UUID, org_type: str) -> bool:
        if self.recipient_kind == "organisation":
            return self.recipient_org == org
        return self.recipient_kind == "organisation_type" and self.recipient_org_type == org_type


@dataclass(frozen=True)
class AgreementFacts:
    parties: frozenset[uuid.UUID]
    categories: frozenset[str]
    purposes: frozenset[str]
    valid_from: dt.date
    valid_until: dt.date | None
    terminated_at: dt.datetime | None

    def live(self, now: dt.datetime) -> bool:
        today = now.date()
        ended = self.valid_until is not None and today > self.valid_until
        return self.terminated_at is None and self.valid_from <= today and not ended

    def binds(self, a: uuid.UUID, b: uuid.UUID) -> bool:
        return a in self.parties and b in self.parties


@dataclass(frozen=True)
class ReferralFacts:
    """A referral or transfer of `survivor`'s record at `sender` to `receiver`."""

    sender: uuid.UUID
    receiver: uuid.UUID
    survivor: uuid.UUID
    kind: str  # referral | transfer
    status: str  # sent | accepted | declined | withdrawn | completed
    sent_at: dt.datetime

    def expired(self, now: dt.datetime, expiry: dt.timedelta) -> bool:
        """Unanswered for too long: it no longer opens anything (and can no longer be accepted)."""
        return self.status == "sent" and now - self.sent_at > expiry

    def grants(self, now: dt.datetime, expiry: dt.timedelta) -> frozenset[str]:
        if self.expired(now, expiry):
            return frozenset()
        return GRANTS.get((self.kind, self.status), frozenset())


@dataclass(frozen=True)
class LinkFacts:
    """Two organisations' records of one person, joined by the referral that linked them."""

    survivors: frozenset[uuid.UUID]
    referral: ReferralFacts | None


def reasons(
    *,
    viewer_org: uuid.UUID,
    survivor: uuid.UUID,
    holders: dict[uuid.UUID, uuid.UUID],
    referrals: Iterable[ReferralFacts],
    links: Iterable[LinkFacts],
    now: dt.datetime,
    expiry: dt.timedelta,
) -> frozenset[str]:
    """The purposes for which `viewer_org` has a live reason to look at `survivor`'s record.

    `holders` maps survivor records to the organisation that holds them (for the linked ones).
    Direct: referrals of this record to the viewer that grant something now. Linked: the viewer
    holds a record of the same person, reachable through links whose referral still grants.
    """
    found: set[str] = set()
    for referral in referrals:
        if referral.survivor == survivor and referral.receiver == viewer_org:
            found |= referral.grants(now, expiry)
    component, purposes = _live_component(survivor, links, now, expiry)
    if any(holders.get(s) == viewer_org for s in component - {survivor}):
        found |= purposes
    return frozenset(found)


def _live_component(
    survivor: uuid.UUID, links: Iterable[LinkFacts], now: dt.datetime, expiry: dt.timedelta
) -> tuple[set[uuid.UUID], set[str]]:
    """Records reachable from `survivor` through links that still grant, and what they grant."""
    live = [
        (link.survivors, link.referral.grants(now, expiry))
        for link in links
        if link.referral is not None
    ]
    live = [(pair, granted) for pair, granted in live if granted]
    seen, frontier = {survivor}, {survivor}
    purposes: set[str] = set()
    while frontier:
        reached = [(pair, granted) for pair, granted in live if pair & frontier]
        for _pair, granted in reached:
            purposes |= granted
        found = {s for pair, _granted in reached for s in pair} - seen
        seen |= found
        frontier = found
    return seen, purposes


def live_component(
    survivor: uuid.UUID, links: Iterable[LinkFacts], now: dt.datetime, expiry: dt.timedelta
) -> set[uuid.UUID]:
    return _live_component(survivor, links, now, expiry)[0]


def allowed_categories(
    *,
    holder_org: uuid.UUID,
    viewer_org: uuid.UUID,
    viewer_org_type: str,
    survivor: uuid.UUID,
    consents: Iterable[ConsentFacts],
    agreements: Iterable[AgreementFacts],
    now: dt.datetime,
    purposes: frozenset[str] = CARE_PURPOSES,
) -> frozenset[str]:
    """Categories of the survivor's data at `holder_org` that `viewer_org` may see now."""
    if holder_org == viewer_org:
        raise ValueError("an organisation's own data is not shared with itself")
    live_agreements = [a for a in agreements if a.live(now) and a.binds(holder_org, viewer_org)]
    allowed: set[str] = set()
    for consent in consents:
        if not _consent_applies(consent, holder_org, viewer_org, viewer_org_type, survivor, now):
            continue
        for agreement in live_agreements:
            shared_purposes = consent.purposes & agreement.purposes & purposes
            if shared_purposes:
                allowed |= consent.categories & agreement.categories
    return frozenset(allowed)


def _consent_applies(
    consent: ConsentFacts,
    holder: uuid.UUID,
    viewer: uuid.UUID,
    viewer_type: str,
    survivor: uuid.UUID,
    now: dt.datetime,
) -> bool:
    return (
        consent.holder_org == holder
        and consent.survivor == survivor
        and consent.live(now)
        and consent.names(viewer, viewer_type)
    )
