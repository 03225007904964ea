"""The scripted scenario of the sharing issue, over the API, with three organisations.

A records a survivor and their consent to share some categories with B. B sees exactly those
categories; C sees nothing. The consent is withdrawn at a third organisation with the receipt
code; B then sees nothing. The audit trail holds every step and every sharing decision.
"""

import json
from typing import Any

import pytest
from django.core import mail

from harbour.audit.models import AuditEvent
from harbour.cases.models import Case

pytestmark = pytest.mark.django_db


def call(client, method: str, url: str, body: Any = None, **headers):
    kwargs = {"content_type": "application/json"} if body is not None else {}
    data = json.dumps(body) if body is not None else None
    response = (
        getattr(client, method)(url, data, **kwargs, **headers)
        if data
        else getattr(client, method)(url, **headers)
    )
    return response


@pytest.fixture
def world(make_org, make_user, api_for):
    a, b, c = (make_org(province=p) for p in ("CA-ON", "CA-MB", "CA-QC"))
    users = {
        name: {role: make_user(role, org) for role in ("caseworker", "org_admin")}
        for name, org in (("a", a), ("b", b), ("c", c))
    }
    apis = {name: {role: api_for(u) for role, u in roles.items()} for name, roles in users.items()}
    return {"orgs": {"a": a, "b": b, "c": c}, "users": users, "api": apis}


def test_consent_agreement_referral_withdrawal_over_the_api(
    world, django_capture_on_commit_callbacks
) -> None:
    a_api, b_api, c_api = (world["api"][k]["caseworker"] for k in "abc")
    orgs = world["orgs"]
    # A records an intake.
    created = call(
        a_api,
        "post",
        "/api/v1/cases",
        {
            "survivor": {
                "given_name": "Maëlle",
                "family_name": "Fontaine",
                "gender_identity": "woman",
            },
            "case": {
                "intake_date": "2026-10-01",
                "intake_province": "CA-ON",
                "consent_to_record": True,
                "current_needs": ["safe_housing", "legal"],
                "exploitation_types": ["forced_labour"],
            },
        },
    ).json()
    case_id, survivor_id = created["id"], created["survivor_id"]

    # Without consent nor agreement, the referral is refused, with a reason, and audited.
    refused = call(
        a_api,
        "post",
        f"/api/v1/cases/{case_id}/referrals",
        {"receiving_org_id": str(orgs["b"].pk), "referral_date": "2026-10-02"},
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "no_consent"
    assert AuditEvent.objects.filter(action="referral.refused", outcome="refused").count() == 1

    # The survivor consents to share identity and needs with B, for a referral.
    consent = call(
        a_api,
        "post",
        f"/api/v1/survivors/{survivor_id}/consents",
        {
            "recipient_kind": "organisation",
            "recipient_org_id": str(orgs["b"].pk),
            "categories": ["identity_contact", "needs"],
            "purposes": ["referral"],
            "method": "verbal",
        },
    )
    assert consent.status_code == 201, consent.content
    code = consent.json()["receipt_code"]
    no_agreement = call(
        a_api,
        "post",
        f"/api/v1/cases/{case_id}/referrals",
        {"receiving_org_id": str(orgs["b"].pk), "referral_date": "2026-10-02"},
    )
    assert no_agreement.json()["error"]["code"] == "no_agreement"

    # A and B sign an agreement covering identity, needs and case summary.
    proposed = call(
        world["api"]["a"]["org_admin"],
        "post",
        "/api/v1/agreements",
        {
            "title": "Ontario–Manitoba protocol",
            "partner_org_ids": [str(orgs["b"].pk)],
            "categories": ["identity_contact", "needs", "case_summary"],
            "purposes": ["referral"],
            "valid_from": "2026-01-01",
        },
    ).json()
    accepted = call(
        world["api"]["b"]["org_admin"], "post", f"/api/v1/agreements/{proposed['id']}/accept", {}
    )
    assert accepted.status_code == 200

    # The referral now goes; B is notified (by e-mail too, with no details in it).
    with django_capture_on_commit_callbacks(execute=True):
        sent = call(
            a_api,
            "post",
            f"/api/v1/cases/{case_id}/referrals",
            {
                "receiving_org_id": str(orgs["b"].pk),
                "referral_date": "2026-10-02",
                "reason": "additional_services",
                "urgency": "urgent",
                "needs": ["safe_housing"],
            },
        )
    assert sent.status_code == 201, sent.content
    referral_id = sent.json()["id"]
    assert any("Maëlle" not in m.body and "referral" in m.subject for m in mail.outbox)
    twice = call(
        a_api,
        "post",
        f"/api/v1/cases/{case_id}/referrals",
        {"receiving_org_id": str(orgs["b"].pk), "referral_date": "2026-10-02"},
    )
    assert twice.status_code == 409

    # B sees exactly identity and needs (the intersection), nothing of the case summary.
    shared = call(b_api, "get", f"/api/v1/shared/cases/{case_id}").json()
    assert shared["categories"] == ["identity_contact", "needs"]
    assert shared["survivor"]["given_name"] == "Maëlle"
    assert shared["case"]["current_needs"] == ["legal", "safe_housing"]
    assert "gender_identity" not in shared["survivor"]
    assert "exploitation_types" not in shared["case"] and "exploitation_types" in shared["withheld"]
    assert call(b_api, "get", f"/api/v1/referrals/{referral_id}").json()["status"] == "sent"
    assert call(b_api, "post", f"/api/v1/referrals/{referral_id}/accept", {}).status_code == 200

    # C sees nothing at all.
    assert call(c_api, "get", f"/api/v1/shared/cases/{case_id}").status_code == 404
    assert call(c_api, "get", f"/api/v1/referrals/{referral_id}").status_code == 404
    assert call(c_api, "get", f"/api/v1/cases/{case_id}").status_code == 404

    # The survivor asks C to stop the sharing; C withdraws with the receipt code.
    found = call(c_api, "post", "/api/v1/consent-receipts/find", {"code": code}).json()
    assert (
        found["status"] == "active" and found["survivor_id"] == "" and found["receipt_code"] is None
    )
    withdrawn = call(c_api, "post", "/api/v1/consent-receipts/withdraw", {"code": code})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    again = call(c_api, "post", "/api/v1/consent-receipts/withdraw", {"code": code})
    assert again.status_code == 409

    # B now sees nothing (the referral itself stays B's to close), and is refused in the audit.
    after = call(b_api, "get", f"/api/v1/shared/cases/{case_id}").json()
    assert after["categories"] == [] and after["survivor"] == {} and after["case"] == {}
    assert call(b_api, "get", f"/api/v1/referrals/{referral_id}").json()["shared"]["survivor"] == {}

    # The audit trail of A holds every step, every decision, and never a value.
    trail = AuditEvent.objects.filter(org_id=orgs["a"].pk)
    actions = set(trail.values_list("action", flat=True))
    assert {
        "case.created",
        "consent.recorded",
        "referral.refused",
        "referral.sent",
        "referral.accept",
        "consent.withdrawn",
        "sharing.case_viewed",
    } <= actions
    decisions = trail.filter(action="sharing.case_viewed")
    assert decisions.filter(outcome="ok").exists() and decisions.filter(outcome="refused").exists()
    assert "Maëlle" not in json.dumps(list(trail.values("fields", "context")))
    withdrawal = trail.get(action="consent.withdrawn")
    assert withdrawal.actor_org_id == orgs["c"].pk
    assert Case.objects.filter(org=orgs["b"]).count() == 0  # nothing was copied to B


def test_a_transfer_opens_a_case_with_only_consented_data(world, make_case) -> None:
    from harbour.sharing import actions

    orgs, users = world["orgs"], world["users"]
    a_worker, b_worker = users["a"]["caseworker"], users["b"]["caseworker"]
    case = make_case(
        a_worker,
        survivor={"given_name": "Noor"},
        case={"exploitation_types": ["forced_labour"], "current_needs": ["legal"]},
    )
    actions.record_consent(
        by=a_worker,
        survivor=case.survivor,
        recipient_kind="organisation",
        recipient_org=orgs["b"],
        categories=["identity_contact", "needs"],
        purposes=["continuity_of_care"],
        method="written",
    )
    agreement = actions.propose_agreement(
        by=users["a"]["org_admin"],
        title="Transfers",
        partners=[orgs["b"]],
        categories=["identity_contact", "needs", "trafficking_details"],
        purposes=["continuity_of_care"],
        valid_from=case.intake_date,
    )
    actions.accept_agreement(by=users["b"]["org_admin"], agreement=agreement)
    referral = actions.send_referral(
        by=a_worker,
        case=case,
        receiving_org=orgs["b"],
        kind="transfer",
        values={"referral_date": "2026-11-03"},
    )
    actions.accept_referral(by=b_worker, referral=referral)
    case.refresh_from_db()
    assert case.status == "closed_referred"
    new = Case.objects.get(org=orgs["b"])
    assert new.previous_case_id == case.pk
    assert new.current_needs == ["legal"]
    assert new.exploitation_types == []  # trafficking details were not consented
    from harbour.cases.values import read_values

    assert read_values(new.survivor, with_identity=True)["given_name"] == "Noor"
    assert read_values(new.survivor, with_identity=True)["gender_identity"] == ""
