"""The audit trail an auditor can read: words in both languages, names as the auditor may see
them, filters, and a formula-safe CSV export that is itself audited."""

import csv
import io
import re

import pytest

from harbour.audit import wording
from harbour.audit.models import AuditEvent
from harbour.audit.presenting import safe_cell

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(make_user, org):
    return make_user("auditor", org, full_name="Awa Auditrice")


def test_actions_and_fields_are_words_in_english_and_french(
    client_for, auditor, case, caseworker
) -> None:
    client = client_for(auditor)
    page = client.get("/audit/").content.decode()
    assert "Case — created" in page and "<code" in page  # the code stays, beside the words
    assert caseworker.full_name in page  # own staff by name
    assert re.search(rf"Case {case.reference}", page)
    assert "Intake date" in page  # a field by its dictionary label, not intake_date
    client.cookies["django_language"] = "fr"
    french = client.get("/audit/").content.decode()
    assert "Dossier — création" in french and "Date d&#x27;accueil" in french


def test_every_action_code_the_code_writes_has_words() -> None:
    codes = [
        "case.created", "case.updated", "case.close", "case.reopen", "case.to_follow_up",
        "case.identity_viewed", "survivor.identity_viewed", "case_note.created",
        "referral.accept", "referral.decline", "referral.withdraw", "referral.complete",
        "referral.sent", "consent.recorded", "consent.withdrawn", "agreement.proposed",
        "user.signed_in", "user.sign_in_failed", "api_token.issued", "org.key.rotated",
        "audit.trail_exported", "audit.checkpoint_signed", "sharing.case_viewed",
        "directory.service.vacancy_updated", "survivor.erased", "intake_draft.saved",
    ]  # fmt: skip
    assert [c for c in codes if not wording.is_known(c)] == []


def test_filters_by_person_action_dates_and_record(
    client_for, auditor, make_case, caseworker, supervisor
) -> None:
    first = make_case(caseworker)
    second = make_case(supervisor, survivor={"given_name": "Autre"})
    client = client_for(auditor)

    def shown(**params) -> list:
        return client.get("/audit/", params).context["rows"]

    assert {r.event.actor_id for r in shown(person=str(supervisor.pk))} == {supervisor.pk}
    assert {r.event.action for r in shown(action="survivor.created")} == {"survivor.created"}
    by_record = shown(record=first.reference)
    assert by_record and {r.event.target_id for r in by_record} == {str(first.pk)}
    assert str(second.pk) not in {r.event.target_id for r in by_record}
    assert shown(since="2000-01-01", until="2000-01-02") == []
    # Bad values: a message or nothing found, never a 500.
    bad_values = (
        {"since": "yesterday"}, {"person": "x"}, {"action": "<script>"},
        {"record": "'; DROP TABLE"}, {"since": "2026-02-02", "until": "2026-01-01"},
    )  # fmt: skip
    for bad in bad_values:
        assert client.get("/audit/", bad).status_code == 200


def test_csv_export_is_formula_safe_filtered_and_audited(client_for, auditor, case) -> None:
    client = client_for(auditor)
    response = client.get("/audit/trail.csv", {"action": "case.created"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0][0] == "When" and len(table) == 2
    assert table[1][4] == "case.created" and table[1][3] == "Case — created"
    exported = AuditEvent.objects.get(action="audit.trail_exported")
    assert exported.actor_id == auditor.pk and exported.context == {
        "filters": ["action"],
        "rows": 1,
    }


def test_a_cell_that_a_spreadsheet_would_run_is_quoted() -> None:
    for formula in ('=HYPERLINK("x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(formula).startswith("'")
    assert safe_cell("Case — created") == "Case — created"


def test_the_api_gives_the_trail_in_words_and_refuses_bad_filters(api_for, org_admin, case):
    api = api_for(org_admin)  # auditors do not use the API; administrators may
    found = api.get("/api/v1/audit/events", {"action": "case.created"}).json()
    assert found["count"] == 1 and found["results"][0]["action_label"] == "Case — created"
    assert found["results"][0]["record"] == f"Case {case.reference}"
    bad = api.get("/api/v1/audit/events", {"since": "yesterday"})
    assert bad.status_code == 422 and "since" in bad.json()["error"]["fields"]


def test_the_command_exports_in_french_and_is_audited(org, case, tmp_path) -> None:
    from django.core.management import call_command

    out = tmp_path / "trail.csv"
    call_command("audit_export", org.short_name, "--out", str(out), "--language", "fr")
    text = out.read_text(encoding="utf-8-sig")
    assert "Dossier — création" in text and "case.created" in text
    assert AuditEvent.objects.filter(action="audit.trail_exported", org_id=org.pk).exists()


def test_accounts_and_automatic_actors_are_named_in_words(client_for, auditor, caseworker) -> None:
    rows = client_for(auditor).get("/audit/", {"action": "user.created"}).context["rows"]
    mine = next(r for r in rows if r.event.target_id == str(caseworker.pk))
    assert mine.record == f"Account · {caseworker.full_name}"
    assert mine.who == "Harbour (automatic)"  # created by the tests' system actor
    assert "Full name" in mine.fields and "full_name" not in mine.fields
