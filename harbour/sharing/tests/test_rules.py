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
