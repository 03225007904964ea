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
"""

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

CARE_PURPOSES = frozenset({"referral", "continuity_of_care"})


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
