"""Stateful property test of the sharing rules, end to end.

Hypothesis generates random sequences of consents, withdrawals (also through the receipt code at
another organisation), expiries, agreements (proposed, accepted, left), referrals and transfers
across three organisations. After every step, every caseworker looks at every other
organisation's cases through the API and through the web, and must see exactly what the pure rule
(harbour.sharing.rules) applied to the test's own record of events allows — no more, no less.

The default run checks 25 sequences; CI (HARBOUR_SLOW=1) checks 1,000 on SQLite and 200 on
PostgreSQL, split into four tests so that pytest-xdist spreads them over the cores.
"""

import datetime as dt
import os
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from harbour.accounts.actions import issue_token
from harbour.cases.models import Case
from harbour.core.errors import DomainError
from harbour.sharing import actions
from harbour.sharing.models import Consent
from harbour.sharing.rules import AgreementFacts, ConsentFacts, allowed_categories

pytestmark = pytest.mark.django_db

CATEGORIES = [
    "identity_contact",
    "case_summary",
    "needs",
    "screening",
    "trafficking_details",
    "services_history",
    "notes",
]
CARE = ["referral", "continuity_of_care"]


PARTS = 4


def _examples() -> int:
    """Sequences per test: the slow variant's four parts add up to 1,000 (SQLite) or 200."""
    if os.environ.get("HARBOUR_SLOW") != "1":
        return 25
    return (1000 if connection.vendor == "sqlite" else 200) // PARTS


@dataclass
class Model:
    """The test's own record of what happened (the oracle's input)."""

    consents: dict[uuid.UUID, ConsentFacts] = field(default_factory=dict)
    agreements: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    referred: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)  # (survivor, org)
    links: set[frozenset[uuid.UUID]] = field(default_factory=set)
    open_referrals: dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID, str]] = field(default_factory=dict)
    # Accepted and not yet completed: still open, so they block a second referral.
    accepted: dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID, str]] = field(default_factory=dict)
    cases: dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID]] = field(
        default_factory=dict
    )  # holder, survivor

    def agreement_facts(self) -> list[AgreementFacts]:
        return [
            AgreementFacts(
                parties=frozenset(a["accepted"]),
                categories=a["categories"],
                purposes=a["purposes"],
                valid_from=a["valid_from"],
                valid_until=None,
                terminated_at=None,
            )
            for a in self.agreements.values()
        ]

    def connected(self, org: uuid.UUID, survivor: uuid.UUID) -> bool:
        if (survivor, org) in self.referred:
            return True
        component = self._component(survivor)
        return any(
            holder == org
            for holder, surv in self.cases.values()
            if surv in component and surv != survivor
        )

    def _component(self, survivor: uuid.UUID) -> set[uuid.UUID]:
        seen, frontier = {survivor}, {survivor}
        while frontier:
            found = {s for link in self.links if link & frontier for s in link} - seen
            seen |= found
            frontier = found
        return seen


class World:
    """Organisations, people and cases created once per test; each sequence rolls back to it."""

    def __init__(self, make_org: Any, make_user: Any, make_case: Any) -> None:
        self.orgs = [
            make_org(province=p, type=t)
            for p, t in (("CA-ON", "ngo"), ("CA-BC", "shelter"), ("CA-NU", "indigenous_led"))
        ]
        self.workers = [make_user("caseworker", o) for o in self.orgs]
        self.admins = [make_user("org_admin", o) for o in self.orgs]
        self.cases = [
            make_case(self.workers[0], survivor={"given_name": "Aurore"}),
            make_case(self.workers[1], survivor={"given_name": "Birgit"}),
        ]
        self.api = [
            Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(by=w, name='t')[1]}")
            for w in self.workers
        ]
        self.web = []
        for worker in self.workers:
            client = Client()
            client.force_login(worker)
            self.web.append(client)


def machine_for(world: World) -> type[RuleBasedStateMachine]:
    orgs = st.integers(0, 2)
    cats = st.frozensets(st.sampled_from(CATEGORIES), min_size=1)
    purposes = st.frozensets(st.sampled_from(CARE), min_size=1)

    class Sharing(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.model = Model(cases={c.pk: (c.org_id, c.survivor_id) for c in world.cases})
            self.today = timezone.localdate()

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        # --- steps ------------------------------------------------------------------------

        @rule(
            case=st.integers(0, 1),
            recipient=orgs,
            categories=cats,
            purposes=purposes,
            by_type=st.booleans(),
        )
        def record_consent(
            self,
            case: int,
            recipient: int,
            categories: frozenset[str],
            purposes: frozenset[str],
            by_type: bool,
        ) -> None:
            holder = world.cases[case].org_id
            target = world.orgs[recipient]
            if target.pk == holder:
                return
            consent = actions.record_consent(
                by=world.workers[case],
                survivor=world.cases[case].survivor,
                recipient_kind="organisation_type" if by_type else "organisation",
                recipient_org=None if by_type else target,
                recipient_org_type=target.type if by_type else "",
                categories=sorted(categories),
                purposes=sorted(purposes),
                method="verbal",
            )
            self.model.consents[consent.pk] = ConsentFacts(
                holder_org=holder,
                survivor=world.cases[case].survivor_id,
                recipient_kind=consent.recipient_kind,
                recipient_org=None if by_type else target.pk,
                recipient_org_type=target.type if by_type else None,
                categories=categories,
                purposes=purposes,
                starts_on=self.today,
                expires_on=consent.expires_on,
                withdrawn_at=None,
            )

        @rule(data=st.data(), by=orgs, with_code=st.booleans())
        def withdraw(self, data: st.DataObject, by: int, with_code: bool) -> None:
            live = [k for k, c in self.model.consents.items() if c.withdrawn_at is None]
            if not live:
                return
            consent_id = data.draw(st.sampled_from(sorted(live)))
            consent = Consent.objects.get(pk=consent_id)
            if with_code:  # the survivor asks any organisation, showing her receipt
                worker = world.workers[by]
                consent = actions.find_consent_by_receipt(by=worker, code=consent.receipt_code)
            else:
                worker = _worker_of(consent.org_id)
            actions.withdraw_consent(by=worker, consent=consent)
            facts = self.model.consents[consent_id]
            self.model.consents[consent_id] = _replace(facts, withdrawn_at=timezone.now())

        @rule(data=st.data())
        def expire(self, data: st.DataObject) -> None:
            if not self.model.consents:
                return
            consent_id = data.draw(st.sampled_from(sorted(self.model.consents)))
            Consent.objects.filter(pk=consent_id).update(
                starts_on=self.today - dt.timedelta(days=400), expires_on=self.today
            )
            facts = self.model.consents[consent_id]
            self.model.consents[consent_id] = _replace(
                facts, starts_on=self.today - dt.timedelta(days=400), expires_on=self.today
            )

        @rule(a=orgs, b=orgs, categories=cats, purposes=purposes, accept=st.booleans())
        def agree(
            self, a: int, b: int, categories: frozenset[str], purposes: frozenset[str], accept: bool
        ) -> None:
            if a == b:
                return
            agreement = actions.propose_agreement(
                by=world.admins[a],
                title="p",
                partners=[world.orgs[b]],
                categories=sorted(categories),
                purposes=sorted(purposes),
                valid_from=self.today,
            )
            accepted = {world.orgs[a].pk}
            if accept:
                actions.accept_agreement(by=world.admins[b], agreement=agreement)
                accepted.add(world.orgs[b].pk)
            self.model.agreements[agreement.pk] = {
                "accepted": accepted,
                "categories": categories,
                "purposes": purposes,
                "valid_from": self.today,
            }

        @rule(data=st.data(), org=orgs)
        def leave(self, data: st.DataObject, org: int) -> None:
            mine = [
                k for k, a in self.model.agreements.items() if world.orgs[org].pk in a["accepted"]
            ]
            if not mine:
                return
            agreement_id = data.draw(st.sampled_from(sorted(mine)))
            from harbour.sharing.models import Agreement

            actions.leave_agreement(
                by=world.admins[org], agreement=Agreement.objects.get(pk=agreement_id)
            )
            self.model.agreements[agreement_id]["accepted"].discard(world.orgs[org].pk)

        @rule(case=st.integers(0, 1), to=orgs, categories=cats, transfer=st.booleans())
        def consent_agree_and_refer(
            self, case: int, to: int, categories: frozenset[str], transfer: bool
        ) -> None:
            """The everyday path in one step, so that deep states (a live referral, then a
            withdrawal or a departure) are reached often."""
            holder = world.orgs.index(
                next(o for o in world.orgs if o.pk == world.cases[case].org_id)
            )
            if to == holder:
                return
            purpose = frozenset({"continuity_of_care" if transfer else "referral"})
            self.record_consent(case, to, categories, purpose, by_type=False)
            self.agree(holder, to, categories, purpose, accept=True)
            self.refer(case, to, transfer)

        @rule(case=st.integers(0, 1), to=orgs, transfer=st.booleans())
        def refer(self, case: int, to: int, transfer: bool) -> None:
            source = Case.objects.get(pk=world.cases[case].pk)
            receiver = world.orgs[to]
            kind = "transfer" if transfer else "referral"
            expected = self._may_refer(source, receiver, kind)
            try:
                referral = actions.send_referral(
                    by=_worker_of(source.org_id),
                    case=source,
                    receiving_org=receiver,
                    kind=kind,
                    values={"referral_date": self.today},
                )
            except DomainError:
                assert not expected, f"refused a referral the rules allow ({kind})"
                return
            assert expected, f"sent a referral the rules forbid ({kind})"
            self.model.referred.add((source.survivor_id, receiver.pk))
            self.model.open_referrals[referral.pk] = (source.pk, receiver.pk, kind)

        def _may_refer(self, case: Case, receiver: Any, kind: str) -> bool:
            purpose = "continuity_of_care" if kind == "transfer" else "referral"
            if receiver.pk == case.org_id or not case.is_open:
                return False
            still_open = [*self.model.open_referrals.values(), *self.model.accepted.values()]
            if any(c == case.pk and r == receiver.pk for c, r, _k in still_open):
                return False
            consented = any(
                c.live(timezone.now())
                and c.names(receiver.pk, receiver.type)
                and purpose in c.purposes
                and c.survivor == case.survivor_id
                for c in self.model.consents.values()
            )
            return consented and bool(self._allowed(receiver, case, frozenset({purpose})))

        @rule(data=st.data(), accept=st.booleans())
        def answer(self, data: st.DataObject, accept: bool) -> None:
            if not self.model.open_referrals:
                return
            referral_id = data.draw(st.sampled_from(sorted(self.model.open_referrals)))
            case_id, receiver_id, kind = self.model.open_referrals.pop(referral_id)
            from harbour.sharing.models import Referral

            referral = Referral.objects.get(pk=referral_id)
            worker = _worker_of(receiver_id)
            if not accept:
                actions.decline_referral(by=worker, referral=referral, reason="no_capacity")
                return
            actions.accept_referral(by=worker, referral=referral)
            self.model.accepted[referral_id] = (case_id, receiver_id, kind)
            if kind == "transfer":
                new = Case.objects.get(previous_case_id=case_id, org_id=receiver_id)
                self.model.cases[new.pk] = (receiver_id, new.survivor_id)
                self.model.links.add(frozenset({self.model.cases[case_id][1], new.survivor_id}))
                # The sender's case is now closed: its other open referrals stay as they are.

        @rule(data=st.data())
        def complete(self, data: st.DataObject) -> None:
            if not self.model.accepted:
                return
            referral_id = data.draw(st.sampled_from(sorted(self.model.accepted)))
            _case, receiver_id, _kind = self.model.accepted.pop(referral_id)
            from harbour.sharing.models import Referral

            actions.complete_referral(
                by=_worker_of(receiver_id),
                referral=Referral.objects.get(pk=referral_id),
                outcome="served",
            )

        # --- what everyone sees -------------------------------------------------------------

        def _allowed(
            self, viewer: Any, case: Any, purposes: frozenset[str] | None = None
        ) -> frozenset[str]:
            holder, survivor = self.model.cases[case.pk]
            kwargs = {"purposes": purposes} if purposes else {}
            return allowed_categories(
                holder_org=holder,
                viewer_org=viewer.pk,
                viewer_org_type=viewer.type,
                survivor=survivor,
                consents=self.model.consents.values(),
                agreements=self.model.agreement_facts(),
                now=timezone.now(),
                **kwargs,
            )

        @invariant()
        def everyone_sees_exactly_what_the_rules_allow(self) -> None:
            for case_id, (holder, survivor) in self.model.cases.items():
                case = Case(pk=case_id)
                for index, viewer in enumerate(world.orgs):
                    if viewer.pk == holder:
                        continue
                    connected = self.model.connected(viewer.pk, survivor)
                    expected = self._allowed(viewer, case) if connected else None
                    _check_api(world.api[index], case_id, expected)
                    _check_web(world.web[index], case_id, expected)

    return Sharing


def _check_api(client: Client, case_id: uuid.UUID, expected: frozenset[str] | None) -> None:
    response = client.get(f"/api/v1/shared/cases/{case_id}")
    if expected is None:
        assert response.status_code == 404, response.content
        return
    body = response.json()
    assert response.status_code == 200, body
    assert set(body["categories"]) == expected
    shown = set(body["survivor"]) | set(body["case"])
    from harbour.standard.dictionary import current

    for entity in ("survivor", "case"):
        for f in current().entity(entity).fields:
            if f.id in body[entity]:
                assert f.category in expected, f"{f.id} shown without consent"
    if "identity_contact" not in expected:
        assert "given_name" not in shown


def _check_web(client: Client, case_id: uuid.UUID, expected: frozenset[str] | None) -> None:
    response = client.get(f"/sharing/shared/cases/{case_id}/")
    if expected is None:
        assert response.status_code == 404
        return
    text = response.content.decode()
    assert response.status_code == 200
    names_visible = "Aurore" in text or "Birgit" in text
    assert names_visible == ("identity_contact" in expected)
    assert ("Withheld:" in text) == (not expected)


def _worker_of(org_id: uuid.UUID) -> Any:
    from harbour.accounts.models import User

    return User.objects.filter(org_id=org_id, role="caseworker").first()


def _replace(facts: ConsentFacts, **changes: Any) -> ConsentFacts:
    return ConsentFacts(**(facts.__dict__ | changes))


@pytest.mark.slow
@pytest.mark.parametrize("part", range(PARTS))
def test_sharing_state_machine_many_sequences(part, make_org, make_user, make_case) -> None:
    _run(make_org, make_user, make_case, _examples())


def test_sharing_state_machine(make_org, make_user, make_case) -> None:
    if os.environ.get("HARBOUR_SLOW") == "1":
        pytest.skip("the slow variant runs the many sequences")
    _run(make_org, make_user, make_case, _examples())


def _run(make_org: Any, make_user: Any, make_case: Any, examples: int) -> None:
    world = World(make_org, make_user, make_case)
    run_state_machine_as_test(
        machine_for(world),
        settings=settings(
            max_examples=examples,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=False,
        ),
    )
