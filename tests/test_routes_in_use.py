"""Routes and API operations that no other test used for what they are for (found by the route
coverage plugin, harbour/route_coverage.py): each is used here once, as its user would, and its
effect checked."""

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from harbour.accounts.actions import issue_token
from harbour.accounts.models import ApiToken, User
from harbour.audit.actions import SystemActor
from harbour.audit.models import AuditEvent
from harbour.cases import actions as case_actions
from harbour.cases.models import Case, CaseNote, IntakeDraft, Survivor
from harbour.orgs.models import Organisation
from harbour.route_coverage import ANY, all_routes, missing, normalise
from harbour.sharing import actions as sharing
from harbour.sharing.models import Consent, Referral

pytestmark = pytest.mark.django_db
SYSTEM = SystemActor("tests")


@pytest.fixture
def partner(make_org) -> Organisation:
    return make_org(province="CA-NS", type="shelter")


@pytest.fixture
def agreement(org_admin, make_user, partner, case) -> Any:
    proposed = sharing.propose_agreement(
        by=org_admin,
        title="Protocol",
        partners=[partner],
        categories=["identity_contact", "needs", "case_summary"],
        purposes=["referral"],
        valid_from=case.intake_date,
    )
    return proposed


def _consent(caseworker, case, partner) -> Consent:
    return sharing.record_consent(
        by=caseworker,
        survivor=case.survivor,
        recipient_kind="organisation",
        recipient_org=partner,
        categories=["identity_contact", "needs"],
        purposes=["referral"],
        method="verbal",
    )


# --- the plugin itself --------------------------------------------------------------------------


def test_every_route_and_api_operation_is_listed() -> None:
    routes = all_routes()
    assert ("cases/{case_id}/", ANY) in routes
    # One path, two operations: each is its own entry.
    assert {("api/v1/survivors/{survivor_id}", m) for m in ("GET", "PATCH")} <= routes
    assert not any(r.startswith("reference-admin/") for r, _m in routes)
    assert normalise("x/<uuid:a>/<b>") == "x/{a}/{b}"


def test_missing_means_no_successful_answer() -> None:
    routes = all_routes()
    assert ("cases/", ANY) in missing(set())
    assert missing(routes) == []
    assert ("cases/", ANY) not in missing({("cases/", "GET")})


# --- accounts -----------------------------------------------------------------------------------


def test_an_admin_edits_a_member_requires_a_new_password_and_a_user_revokes_a_token(
    client_for, org_admin, caseworker
) -> None:
    web = client_for(org_admin)
    assert web.get(f"/accounts/staff/{caseworker.pk}/").status_code == 200
    edited = web.post(
        f"/accounts/staff/{caseworker.pk}/",
        {"full_name": "Renamed Worker", "role": "caseworker"},
    )
    assert edited.status_code == 302
    assert User.objects.get(pk=caseworker.pk).full_name == "Renamed Worker"
    reset = web.post(f"/accounts/staff/{caseworker.pk}/require-reset/")
    assert reset.status_code == 302
    assert not User.objects.get(pk=caseworker.pk).has_usable_password()
    assert web.post(f"/accounts/staff/{caseworker.pk}/active/", {"active": "0"}).status_code == 302
    assert not User.objects.get(pk=caseworker.pk).is_active
    token, _plain = issue_token(by=org_admin, name="laptop")
    assert web.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


# --- cases --------------------------------------------------------------------------------------


def test_a_caseworker_discards_a_draft_and_a_supervisor_reassigns_and_closes(
    client_for, caseworker, supervisor, make_user, org, case
) -> None:
    draft = case_actions.save_draft(by=caseworker, data={"given_name": "Zed"})
    assert client_for(caseworker).post(f"/cases/drafts/{draft.pk}/discard/").status_code == 302
    assert not IntakeDraft.objects.filter(pk=draft.pk).exists()
    other = make_user("caseworker", org)
    web = client_for(supervisor)
    assert web.post(f"/cases/{case.pk}/reassign/", {"owner": other.pk}).status_code == 302
    assert Case.objects.get(pk=case.pk).owner_id == other.pk
    closed = web.post(
        f"/cases/{case.pk}/status/", {"transition": "close", "closure_reason": "goals_met"}
    )
    assert closed.status_code == 302
    assert Case.objects.get(pk=case.pk).status == "closed"


def test_a_record_opens_for_editing(client_for, caseworker, case) -> None:
    note = case_actions.add_record(
        by=caseworker, case=case, model=CaseNote, values={"body": "Called back."}
    )
    page = client_for(caseworker).get(f"/cases/{case.pk}/records/case_note/{note.pk}/")
    assert page.status_code == 200


def test_the_api_changes_status_screens_and_patches(api_for, caseworker, case) -> None:
    api = api_for(caseworker)
    screened = api.post(
        f"/api/v1/cases/{case.pk}/screenings",
        {"indicator_set": "adult-labour", "indicators": []},
        content_type="application/json",
    )
    assert screened.status_code == 201
    assert len(api.get(f"/api/v1/cases/{case.pk}/screenings").json()) == 1
    patched = api.patch(
        f"/api/v1/survivors/{case.survivor_id}",
        {"preferred_name": "Lo"},
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["preferred_name"] == "Lo"
    moved = api.post(
        f"/api/v1/cases/{case.pk}/status",
        {"transition": "to_follow_up"},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["status"] == "follow_up"


# --- sharing ------------------------------------------------------------------------------------


def test_consents_through_the_api_and_the_web(
    api_for, client_for, caseworker, case, partner, agreement
) -> None:
    api = api_for(caseworker)
    consent = _consent(caseworker, case, partner)
    listed = api.get(f"/api/v1/survivors/{case.survivor_id}/consents").json()
    assert [c["id"] for c in listed] == [str(consent.pk)]
    withdrawn = api.post(f"/api/v1/consents/{consent.pk}/withdraw")
    assert withdrawn.status_code == 200
    again = _consent(caseworker, case, partner)
    assert client_for(caseworker).post(f"/sharing/consents/{again.pk}/withdraw/").status_code == 302
    assert Consent.objects.get(pk=again.pk).withdrawn_at is not None


def test_the_survivors_continuum_and_export_through_the_api(api_for, caseworker, case) -> None:
    api = api_for(caseworker)
    continuum = api.get(f"/api/v1/survivors/{case.survivor_id}/continuum")
    assert continuum.status_code == 200 and continuum.json()
    export = api.get(f"/api/v1/survivors/{case.survivor_id}/export")
    assert export.status_code == 200
    assert export.json()["survivor"]["values"]["given_name"] == "Élodie"


def test_a_partner_accepts_an_agreement_and_opens_a_case_for_a_referral(
    client_for, caseworker, make_user, case, partner, agreement
) -> None:
    partner_admin = make_user("org_admin", partner)
    accepted = client_for(partner_admin).post(f"/sharing/agreements/{agreement.pk}/accept/")
    assert accepted.status_code == 302
    _consent(caseworker, case, partner)
    referral = sharing.send_referral(
        by=caseworker,
        case=case,
        receiving_org=partner,
        values={"referral_date": case.intake_date, "reason": "other"},
    )
    partner_worker = make_user("caseworker", partner)
    sharing.accept_referral(by=partner_worker, referral=referral)
    web = client_for(partner_worker)
    assert web.get(f"/sharing/referrals/{referral.pk}/open-case/").status_code == 200
    opened = web.post(
        f"/sharing/referrals/{referral.pk}/open-case/",
        {
            "case__intake_date": dt.date.today().isoformat(),
            "case__intake_province": "CA-NS",
            "case__consent_to_record": "true",
        },
    )
    assert opened.status_code == 302
    assert Referral.objects.get(pk=referral.pk).receiving_case_id is not None


def test_a_supervisor_sets_a_legal_hold_and_erases_on_the_web_and_the_api(
    client_for, api_for, supervisor, caseworker, make_case
) -> None:
    first, second = make_case(caseworker), make_case(caseworker)
    web = client_for(supervisor)
    held = web.post(f"/sharing/survivors/{first.survivor_id}/legal-hold/", {"hold": "1"})
    assert held.status_code == 302 and Survivor.objects.get(pk=first.survivor_id).legal_hold
    web.post(f"/sharing/survivors/{first.survivor_id}/legal-hold/", {"hold": "0"})
    reference = first.survivor.reference
    erased = web.post(f"/sharing/survivors/{first.survivor_id}/erase/", {"confirm": reference})
    assert erased.status_code == 302 and not Survivor.objects.filter(pk=first.survivor_id).exists()
    api = api_for(supervisor)
    assert api.post(f"/api/v1/survivors/{second.survivor_id}/erase").status_code == 200
    assert not Survivor.objects.filter(pk=second.survivor_id).exists()
    assert AuditEvent.objects.filter(action="survivor.erased").count() == 2


# --- directory, organisations, the standard ----------------------------------------------------


def test_a_provider_edits_its_service_and_its_closures(
    client_for, supervisor, org, make_hidden_safe_house
) -> None:
    from harbour.directory.models import Closure

    service, _location = make_hidden_safe_house(
        org, name="Maple", street="1 Main St", postal="M5V 1A1", at=(43.65, -79.38)
    )
    web = client_for(supervisor)
    assert web.get(f"/directory/manage/{service.pk}/").status_code == 200
    start = dt.date.today() + dt.timedelta(days=3)
    added = web.post(
        f"/directory/manage/{service.pk}/closures/",
        {"starts_on": start, "ends_on": start + dt.timedelta(days=2), "reason": "Renovation"},
    )
    assert added.status_code == 302
    closure = Closure.objects.get(service=service)
    removed = web.post(f"/directory/manage/{service.pk}/closures/{closure.pk}/delete/")
    assert removed.status_code == 302 and not Closure.objects.filter(pk=closure.pk).exists()


def test_the_hsds_api_serves_one_taxonomy(db) -> None:
    from harbour.directory import actions as directory

    directory.ensure_taxonomy(by=SYSTEM)
    client = Client()
    first = client.get("/hsds/taxonomies").json()["contents"][0]
    one = client.get(f"/hsds/taxonomies/{first['id']}")
    assert one.status_code == 200 and one.json()["id"] == first["id"]


def test_a_system_admin_opens_the_organisation_forms(client_for, make_user, org) -> None:
    admin = make_user("system_admin", org)
    web = client_for(admin)
    assert web.get("/organisations/new/").status_code == 200
    page = web.get(f"/organisations/{org.pk}/")
    assert page.status_code == 200 and org.name_en in page.content.decode()


def test_table_schemas_of_the_standard(client_for, caseworker, api_for) -> None:
    web = Client()
    schema = web.get("/standard/schemas/case.tableschema.json").json()
    assert any(f["name"] == "intake_date" for f in schema["fields"])
    api = api_for(caseworker)
    assert api.get("/api/v1/standard/entities/case/table-schema").status_code == 200


def test_a_lost_receipt_gets_a_new_code_on_the_web(client_for, caseworker, case, partner) -> None:
    consent = _consent(caseworker, case, partner)
    old = Consent.objects.get(pk=consent.pk).receipt_digest
    answer = client_for(caseworker).post(f"/sharing/consents/{consent.pk}/new-code/")
    assert answer.status_code in (200, 302)
    assert Consent.objects.get(pk=consent.pk).receipt_digest != old


def test_an_admin_withdraws_an_invitation_on_the_web(client_for, org_admin, org) -> None:
    from harbour.accounts.actions import invite

    invitation = invite(
        by=org_admin, org=org, email="later@example.org", full_name="Later", role="auditor"
    )
    answer = client_for(org_admin).post(f"/accounts/staff/invitations/{invitation.pk}/revoke/")
    assert answer.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
