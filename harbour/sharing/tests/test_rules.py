"""The sharing rule (pure): consent AND agreement, both live, intersected by category."""

import datetime as dt
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harbour.sharing.rules import AgreementFacts, ConsentFacts, allowed_categories

H, V, X = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)
S = uuid.UUID(int=10)
NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
CATS = [
    "identity_contact",
    "case_summary",
    "needs",
    "screening",
    "trafficking_details",
    "services_history",
    "notes",
]
PURPOSES = ["referral", "continuity_of_care", "statistics", "research"]


def consent(**kw) -> ConsentFacts:
    base: dict[str, Any] = {
        "holder_org": H,
        "survivor": S,
        "recipient_kind": "organisation",
        "recipient_org": V,
        "recipient_org_type": None,
        "categories": frozenset({"needs", "case_summary"}),
        "purposes": frozenset({"referral"}),
        "starts_on": dt.date(2026, 1, 1),
        "expires_on": dt.date(2027, 1, 1),
        "withdrawn_at": None,
    }
    return ConsentFacts(**(base | kw))


def agreement(**kw) -> AgreementFacts:
    base: dict[str, Any] = {
        "parties": frozenset({H, V}),
        "categories": frozenset({"needs", "notes"}),
        "purposes": frozenset({"referral"}),
        "valid_from": dt.date(2025, 1, 1),
        "valid_until": None,
        "terminated_at": None,
    }
    return AgreementFacts(**(base | kw))


def allowed(consents, agreements, viewer=V, viewer_type="ngo", now=NOW):
    return allowed_categories(
        holder_org=H,
        viewer_org=viewer,
        viewer_org_type=viewer_type,
        survivor=S,
        consents=consents,
        agreements=agreements,
        now=now,
    )


def test_both_consent_and_agreement_are_needed_and_intersected() -> None:
    assert allowed([consent()], [agreement()]) == {"needs"}
    assert allowed([consent()], []) == frozenset()
    assert allowed([], [agreement()]) == frozenset()


def test_another_organisation_gets_nothing() -> None:
    assert allowed([consent()], [agreement(parties=frozenset({H, V, X}))], viewer=X) == frozenset()


def test_withdrawal_expiry_and_termination_each_stop_sharing() -> None:
    assert allowed([consent(withdrawn_at=NOW)], [agreement()]) == frozenset()
    assert allowed([consent(expires_on=NOW.date())], [agreement()]) == frozenset()
    assert allowed([consent(starts_on=NOW.date() + dt.timedelta(1))], [agreement()]) == frozenset()
    assert allowed([consent()], [agreement(terminated_at=NOW)]) == frozenset()
    assert allowed([consent()], [agreement(valid_until=dt.date(2026, 5, 31))]) == frozenset()


def test_purposes_must_meet() -> None:
    assert allowed([consent(purposes=frozenset({"research"}))], [agreement()]) == frozenset()
    assert allowed([consent()], [agreement(purposes=frozenset({"continuity_of_care"}))]) == set()


def test_a_consent_to_a_type_of_organisation() -> None:
    typed = consent(
        recipient_kind="organisation_type", recipient_org=None, recipient_org_type="shelter"
    )
    assert allowed([typed], [agreement()], viewer_type="shelter") == {"needs"}
    assert allowed([typed], [agreement()], viewer_type="ngo") == frozenset()


def test_own_data_is_not_a_sharing_question() -> None:
    with pytest.raises(ValueError):
        allowed([consent()], [agreement()], viewer=H)


categories = st.frozensets(st.sampled_from(CATS))
purposes = st.frozensets(st.sampled_from(PURPOSES), min_size=1)
days = st.integers(-400, 400).map(lambda d: NOW.date() + dt.timedelta(days=d))
consents = st.builds(
    consent,
    categories=categories,
    purposes=purposes,
    starts_on=days,
    expires_on=days,
    withdrawn_at=st.one_of(st.none(), st.just(NOW)),
    recipient_org=st.sampled_from([V, X]),
)
agreements = st.builds(
    agreement,
    categories=categories,
    purposes=purposes,
    valid_from=days,
    valid_until=st.one_of(st.none(), days),
    parties=st.sampled_from([frozenset({H, V}), frozenset({H, X}), frozenset({H, V, X})]),
)


@given(st.lists(consents, max_size=4), st.lists(agreements, max_size=4))
def test_result_is_within_every_live_consent_and_agreement_union(cs, ags) -> None:
    result = allowed(cs, ags)
    consented = {c for x in cs if x.live(NOW) and x.names(V, "ngo") for c in x.categories}
    agreed = {c for a in ags if a.live(NOW) and a.binds(H, V) for c in a.categories}
    assert result <= consented & agreed


@given(st.lists(consents, max_size=4), st.lists(agreements, max_size=4), consents)
def test_more_consent_never_means_less_sharing(cs, ags, extra) -> None:
    assert allowed(cs, ags) <= allowed([*cs, extra], ags)


@given(st.lists(consents, max_size=4), st.lists(agreements, max_size=4))
def test_withdrawing_everything_shares_nothing(cs, ags) -> None:
    withdrawn = [ConsentFacts(**(c.__dict__ | {"withdrawn_at": NOW})) for c in cs]
    assert allowed(withdrawn, ags) == frozenset()


# --- reasons to look (ADR 8's table) ------------------------------------------------------------

from harbour.sharing.rules import GRANTS, LinkFacts, ReferralFacts, reasons  # noqa: E402

KINDS = ["referral", "transfer"]
STATUSES = ["sent", "accepted", "declined", "withdrawn", "completed"]
EXPIRY = dt.timedelta(days=30)
S2, S3 = uuid.UUID(int=11), uuid.UUID(int=12)


def referral(status: str, kind: str = "referral", age_days: int = 1, **kw) -> ReferralFacts:
    base: dict[str, Any] = {
        "sender": H,
        "receiver": V,
        "survivor": S,
        "kind": kind,
        "status": status,
        "sent_at": NOW - dt.timedelta(days=age_days),
    }
    return ReferralFacts(**(base | kw))


def why(referrals=(), links=(), holders=None, viewer=V, survivor=S):
    return reasons(
        viewer_org=viewer,
        survivor=survivor,
        holders=holders or {S: H, S2: V, S3: X},
        referrals=referrals,
        links=links,
        now=NOW,
        expiry=EXPIRY,
    )


def test_every_kind_and_status_is_decided_and_only_care_purposes_are_granted() -> None:
    from harbour.sharing.models import ReferralKind
    from harbour.sharing.states import ReferralStatus

    assert set(KINDS) == set(ReferralKind.values) and set(STATUSES) == set(ReferralStatus.values)
    assert set(GRANTS) <= {(k, s) for k in KINDS for s in STATUSES}
    assert all(purposes <= {"referral", "continuity_of_care"} for purposes in GRANTS.values())


@pytest.mark.parametrize("status", ["declined", "withdrawn", "completed"])
def test_a_referral_that_ended_opens_nothing(status: str) -> None:
    assert why([referral(status)]) == frozenset()


def test_an_unanswered_referral_expires() -> None:
    assert why([referral("sent", age_days=29)]) == {"referral"}
    assert why([referral("sent", age_days=31)]) == frozenset()
    assert why([referral("accepted", age_days=400)]) == {"referral"}


def test_a_transfer_keeps_opening_for_continuity_until_it_is_undone() -> None:
    assert why([referral("completed", kind="transfer")]) == {"continuity_of_care"}
    assert why([referral("withdrawn", kind="transfer")]) == frozenset()


def test_a_referral_to_someone_else_or_about_another_record_is_no_reason() -> None:
    assert why([referral("accepted", receiver=X)]) == frozenset()
    assert why([referral("accepted", survivor=S3)]) == frozenset()


def test_links_open_only_while_their_referral_grants() -> None:
    accepted = LinkFacts(frozenset({S, S2}), referral("accepted"))
    completed = LinkFacts(frozenset({S, S2}), referral("completed"))
    assert why(links=[accepted]) == {"referral"}
    assert why(links=[completed]) == frozenset()
    assert why(links=[LinkFacts(frozenset({S, S2}), None)]) == frozenset()


def test_a_chain_breaks_at_its_first_dead_link() -> None:
    """X holds S3, linked to S2 (V's), linked to S (H's): X reaches S only through both links."""
    live = LinkFacts(frozenset({S2, S3}), referral("accepted", kind="transfer"))
    assert why(links=[live, LinkFacts(frozenset({S, S2}), referral("accepted"))], viewer=X)
    assert not why(links=[live, LinkFacts(frozenset({S, S2}), referral("declined"))], viewer=X)


@given(
    st.lists(
        st.tuples(st.sampled_from(KINDS), st.sampled_from(STATUSES), st.integers(0, 60)),
        max_size=6,
    )
)
def test_reasons_are_exactly_the_union_of_what_each_referral_grants(rows) -> None:
    facts = [referral(status, kind, age) for kind, status, age in rows]
    expected: set[str] = set()
    for kind, status, age in rows:
        if not (status == "sent" and age > 30):
            expected |= GRANTS.get((kind, status), frozenset())
    assert why(facts) == expected
