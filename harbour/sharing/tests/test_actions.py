"""Consent, referral and rights actions: every refusal is specific, translated, changes nothing."""

import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from harbour.audit.models import AuditEvent
from harbour.cases.models import Case, Survivor
from harbour.core.errors import Conflict, InvalidInput, NotFound
from harbour.sharing import actions, queries, states
from harbour.sharing.models import Consent, Notification, Referral
from harbour.sharing.policy import receipt_digest

pytestmark = pytest.mark.django_db


def consent_to(caseworker, case, partner, **kwargs):
    values = {
        "recipient_kind": "organisation",
        "recipient_org": partner,
        "categories": ["identity_contact", "needs"],
        "purposes": ["referral"],
        "method": "verbal",
    } | kwargs
    return actions.record_consent(by=caseworker, survivor=case.survivor, **values)


def refer(caseworker, case, partner, **kwargs):
    return actions.send_referral(
        by=caseworker,
        case=case,
        receiving_org=partner,
        values={"referral_date": case.intake_date, "reason": "other"},
        **kwargs,
    )


def _state() -> tuple[int, int, int]:
    return (
        Referral.objects.count(),
        Consent.objects.filter(withdrawn_at__isnull=True).count(),
        Case.objects.count(),
    )


@pytest.mark.parametrize(
    "situation",
    ["no_consent", "no_agreement", "expired", "self", "twice", "withdrawn", "wrong_purpose"],
)
def test_referrals_that_must_be_refused(
    situation: str, caseworker, case, partner, org, make_user, org_admin
) -> None:
    if situation != "no_agreement":
        proposed = actions.propose_agreement(
            by=org_admin,
            title="P",
            partners=[partner],
            categories=["needs"],
            purposes=["referral"],
            valid_from=case.intake_date,
        )
        actions.accept_agreement(by=make_user("org_admin", partner), agreement=proposed)
    if situation not in {"no_consent"}:
        purposes = ["research"] if situation == "wrong_purpose" else ["referral"]
        consent = consent_to(caseworker, case, partner, purposes=purposes)
        if situation == "expired":
            Consent.objects.filter(pk=consent.pk).update(
                starts_on=case.intake_date - dt.timedelta(days=400), expires_on=timezone.localdate()
            )
        if situation == "withdrawn":
            actions.withdraw_consent(by=caseworker, consent=consent)
    if situation == "twice":
        refer(caseworker, case, partner)
    before = _state()
    target = org if situation == "self" else partner
    with translation.override("fr"), pytest.raises((InvalidInput, Conflict)) as info:
        refer(caseworker, case, target)
    assert str(info.value.message)  # a specific, translated message
    assert _state() == before
    if situation != "self":
        assert AuditEvent.objects.filter(action="referral.refused").exists()


def test_answers_follow_the_table(caseworker, case, partner, partner_worker, agreement) -> None:
    consent_to(caseworker, case, partner)
    referral = refer(caseworker, case, partner)
    with pytest.raises(NotFound):
        actions.accept_referral(by=caseworker, referral=referral)  # the sender cannot accept
    actions.decline_referral(by=partner_worker, referral=referral, reason="no_capacity")
    with pytest.raises(Conflict):
        actions.accept_referral(by=partner_worker, referral=referral)  # already declined
    referral.refresh_from_db()
    assert referral.status == "declined" and referral.decline_reason == "no_capacity"
    with pytest.raises(InvalidInput):
        actions.decline_referral(
            by=partner_worker, referral=refer(caseworker, case, partner), reason="because"
        )


def test_the_referral_table_is_complete() -> None:
    for status in states.ReferralStatus.values:
        moves = [t for t in states.TRANSITIONS if t.source == status]
        assert bool(moves) == (status not in states.TERMINAL), status
    keys = [(t.source, t.name) for t in states.TRANSITIONS]
    assert len(keys) == len(set(keys))


def test_closing_the_loop_notifies_the_sender(
    caseworker, case, partner, partner_worker, agreement
) -> None:
    consent_to(caseworker, case, partner)
    referral = refer(caseworker, case, partner)
    assert Notification.objects.filter(user=partner_worker, kind="referral_received").exists()
    actions.accept_referral(by=partner_worker, referral=referral)
    actions.complete_referral(by=partner_worker, referral=referral, outcome="served")
    kinds = list(Notification.objects.filter(user=caseworker).values_list("kind", flat=True))
    assert kinds.count("referral_answered") == 2


def test_unanswered_referrals_and_expiring_consents_are_flagged(
    caseworker, case, partner, agreement
) -> None:
    consent = consent_to(caseworker, case, partner)
    referral = refer(caseworker, case, partner)
    Referral.objects.filter(pk=referral.pk).update(created_at=timezone.now() - dt.timedelta(days=9))
    Consent.objects.filter(pk=consent.pk).update(expires_on=timezone.localdate() + dt.timedelta(3))
    assert queries.is_overdue(Referral.objects.get(pk=referral.pk))
    call_command("sharing_remind")
    assert Notification.objects.filter(user=caseworker, kind="referral_overdue").count() == 1
    assert Notification.objects.filter(user=caseworker, kind="consent_expiring").count() == 1
    call_command("sharing_remind")  # not twice
    assert Notification.objects.filter(user=caseworker).count() == 2


def test_the_continuum_shows_other_episodes_as_withheld_without_consent(
    caseworker, case, partner, partner_worker, agreement, client_for
) -> None:
    consent = consent_to(caseworker, case, partner)
    referral = refer(caseworker, case, partner)
    actions.accept_referral(by=partner_worker, referral=referral)
    theirs = actions.open_case_for_referral(
        by=partner_worker,
        referral=referral,
        submission_key=None,
        case_values={
            "intake_date": timezone.localdate(),
            "intake_province": "CA-NS",
            "consent_to_record": True,
        },
    )
    items = queries.continuum(partner_worker, theirs.survivor)
    elsewhere = [i for i in items if not i.own]
    assert elsewhere and all(i.org == case.org for i in elsewhere)
    # The consent covers identity and needs only: the episode itself (case summary) is withheld.
    assert elsewhere and all(i.withheld for i in elsewhere if i.kind == "intake")
    actions.withdraw_consent(by=caseworker, consent=consent)
    items = queries.continuum(partner_worker, theirs.survivor)
    assert all(i.withheld for i in items if not i.own)
    page = client_for(partner_worker).get(f"/sharing/survivors/{theirs.survivor_id}/continuum/")
    assert page.status_code == 200 and "withheld" in page.content.decode()


def test_erasure_leaves_a_trace_without_the_data(
    caseworker, supervisor, case, partner, agreement
) -> None:
    consent_to(caseworker, case, partner)
    actions.set_legal_hold(by=supervisor, survivor=case.survivor, hold=True)
    with pytest.raises(Conflict):
        actions.erase_survivor(by=supervisor, survivor=case.survivor)
    actions.set_legal_hold(by=supervisor, survivor=case.survivor, hold=False)
    counts = actions.erase_survivor(
        by=supervisor, survivor=Survivor.objects.get(pk=case.survivor_id)
    )
    assert counts["cases"] == 1 and counts["consents"] == 1
    assert not Survivor.objects.filter(pk=case.survivor_id).exists()
    event = AuditEvent.objects.get(action="survivor.erased")
    assert event.target_id == str(case.survivor_id) and "Élodie" not in str(event.context)
    assert AuditEvent.objects.filter(target_id=str(case.pk), action="case.created").exists()


def test_export_contains_everything_held(caseworker, case, partner, agreement, client_for) -> None:
    consent_to(caseworker, case, partner)
    refer(caseworker, case, partner)
    data = queries.survivor_export(case.survivor)
    assert data["survivor"]["values"]["given_name"] == "Élodie"
    assert data["cases"][0]["reference"] == case.reference and data["consents"]
    page = client_for(caseworker).get(f"/sharing/survivors/{case.survivor_id}/rights/?format=print")
    text = page.content.decode()
    assert page.status_code == 200 and "Élodie" in text
    # statuses in words, not codes: the copy is for the survivor to read
    assert ">active<" in text and "(Referral, Sent, waiting for an answer)" in text
    assert AuditEvent.objects.filter(action="survivor.exported").exists()


def test_web_pages_of_the_sharing_flow(
    caseworker, case, partner, partner_worker, agreement, client_for
) -> None:
    web = client_for(caseworker)
    page = web.post(
        f"/sharing/survivors/{case.survivor_id}/consents/",
        {
            "recipient_kind": "organisation",
            "recipient_org": str(partner.pk),
            "categories": ["identity_contact", "needs"],
            "purposes": ["referral"],
            "method": "written",
        },
    )
    assert page.status_code == 302
    receipt = web.get(page["Location"])
    text = receipt.content.decode()
    assert "Your consent receipt" in text and "Votre reçu de consentement" in text
    consent = Consent.objects.get()
    shown = re.search(r'class="receipt-code">([A-Z0-9-]{14})<', text)
    assert shown is not None
    code = shown.group(1)
    assert receipt_digest(consent.org_id, code) == consent.receipt_digest
    assert code not in web.get(page["Location"]).content.decode()  # shown once
    preview = web.post(
        f"/sharing/cases/{case.pk}/refer/",
        {
            "receiving_org": str(partner.pk),
            "kind": "referral",
            "preview": "1",
            "referral__referral_date": case.intake_date.isoformat(),
            "referral__reason": "other",
        },
    )
    assert preview.status_code == 200 and "will be able to see" in preview.content.decode()
    assert Referral.objects.count() == 0
    sent = web.post(
        f"/sharing/cases/{case.pk}/refer/",
        {
            "receiving_org": str(partner.pk),
            "kind": "referral",
            "confirm": "1",
            "referral__referral_date": case.intake_date.isoformat(),
            "referral__reason": "other",
        },
    )
    assert sent.status_code == 302
    referral = Referral.objects.get()
    theirs = client_for(partner_worker)
    assert "Élodie" in theirs.get(f"/sharing/referrals/{referral.pk}/").content.decode()
    assert theirs.post(f"/sharing/referrals/{referral.pk}/accept/").status_code == 302
    lookup = theirs.post("/sharing/consents/lookup/", {"code": code})
    assert "Consent found" in lookup.content.decode()
    theirs.post("/sharing/consents/lookup/", {"code": code, "withdraw": "1"})
    assert Consent.objects.get().withdrawn_at is not None
    after = theirs.get(f"/sharing/referrals/{referral.pk}/").content.decode()
    assert "Élodie" not in after and "Nothing is shared" in after
