"""API v1: tokens, scoping, pagination, error codes, idempotency, the committed OpenAPI."""

import json
from pathlib import Path

import pytest
from django.conf import settings

from harbour.api.management.commands.api_openapi import openapi_text
from harbour.cases.models import Case, Survivor

pytestmark = pytest.mark.django_db

INTAKE = {
    "survivor": {"given_name": "Amara", "gender_identity": "woman", "birth_date": "1999-09-09"},
    "case": {
        "intake_date": "2026-09-01",
        "intake_province": "CA-AB",
        "consent_to_record": True,
        "exploitation_types": ["sexual_exploitation"],
    },
}


def post(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def test_requests_without_a_valid_token_are_refused(client) -> None:
    assert client.get("/api/v1/cases").status_code == 401
    bad = client.get("/api/v1/cases", HTTP_AUTHORIZATION="Bearer hbr_nope")
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "unauthenticated"


def test_the_standard_is_public(client) -> None:
    body = client.get("/api/v1/standard").json()
    assert body["latest_version"] == "1.1" and len(body["entities"]) >= 10
    schema = client.get("/api/v1/standard/entities/case/json-schema").json()
    assert "intake_date" in schema["properties"]
    codes = client.get("/api/v1/standard/codelists/province").json()
    assert len(codes["codes"]) == 13
    assert client.get("/api/v1/standard/codelists/nope").status_code == 404


def test_create_read_list_and_patch_a_case(api_for, caseworker) -> None:
    api = api_for(caseworker)
    created = post(api, "/api/v1/cases", INTAKE, HTTP_IDEMPOTENCY_KEY="one")
    assert created.status_code == 201, created.content
    case = created.json()
    assert case["intake_province"] == "CA-AB" and case["status"] == "active"
    again = post(api, "/api/v1/cases", INTAKE, HTTP_IDEMPOTENCY_KEY="one")
    assert again.status_code == 200 and again.json()["id"] == case["id"]
    listing = api.get("/api/v1/cases?page_size=10").json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == case["id"]
    patched = api.patch(
        f"/api/v1/cases/{case['id']}",
        json.dumps({"current_needs": ["legal"]}),
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["current_needs"] == ["legal"]
    survivor = api.get(f"/api/v1/survivors/{case['survivor_id']}").json()
    assert survivor["given_name"] == "Amara" and survivor["identity_included"] is True


def test_a_retried_request_without_a_key_is_not_recorded_twice(api_for, caseworker) -> None:
    api = api_for(caseworker)
    assert post(api, "/api/v1/cases", INTAKE).status_code == 201
    assert post(api, "/api/v1/cases", INTAKE).status_code == 200
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "code", "status"),
    [
        (
            {
                "case": {
                    "intake_date": "2026-13-01",
                    "intake_province": "CA-AB",
                    "consent_to_record": True,
                }
            },
            "invalid",
            422,
        ),
        ({"case": {"intake_province": "CA-AB", "consent_to_record": "yes please"}}, "invalid", 422),
        (
            {
                "case": {
                    "intake_date": "2026-09-01",
                    "intake_province": "CA-AB",
                    "consent_to_record": True,
                    "favourite_colour": "blue",
                }
            },
            "invalid",
            422,
        ),
        ({"case": "not an object"}, "invalid", 422),
        ({"survivor": {"given_name": ["a", "list"]}, "case": INTAKE["case"]}, "invalid", 422),
    ],
)
def test_bad_bodies_get_specific_errors_and_change_nothing(
    api_for, caseworker, body, code, status
) -> None:
    response = post(api_for(caseworker), "/api/v1/cases", body)
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert Case.objects.count() == 0 and Survivor.objects.count() == 0


def test_malformed_json_and_bad_utf8(api_for, caseworker) -> None:
    api = api_for(caseworker)
    for raw in (b"{not json", b'{"case": "\xff\xfe"}'):
        response = api.post("/api/v1/cases", raw, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "malformed"
    assert Case.objects.count() == 0


def test_errors_come_in_french_when_asked(api_for, caseworker) -> None:
    response = post(api_for(caseworker), "/api/v1/cases", {"case": {}}, HTTP_ACCEPT_LANGUAGE="fr")
    fields = response.json()["error"]["fields"]
    assert fields["intake_date"] == ["Ce champ est obligatoire."]


def test_pagination_limits(api_for, caseworker, make_case) -> None:
    for _ in range(3):
        make_case(caseworker)
    api = api_for(caseworker)
    page = api.get("/api/v1/cases?page_size=2&page=2").json()
    assert page["count"] == 3 and len(page["results"]) == 1 and page["next_page"] is None
    assert api.get("/api/v1/cases?page_size=5000").status_code == 422
    assert api.get("/api/v1/cases?status=lost").status_code == 422


def test_another_organisation_sees_nothing(api_for, caseworker, outsider, case) -> None:
    api = api_for(outsider)
    assert api.get("/api/v1/cases").json()["count"] == 0
    assert api.get("/api/v1/survivors").json()["count"] == 0
    for url in (
        f"/api/v1/cases/{case.pk}",
        f"/api/v1/survivors/{case.survivor_id}",
        f"/api/v1/cases/{case.pk}/screenings",
        f"/api/v1/cases/{case.pk}/records/case_note",
    ):
        response = api.get(url)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_roles_without_case_access_get_nothing(api_for, make_user, org, case) -> None:
    analyst = make_user("national_analyst", org)
    api = api_for(analyst)
    assert api.get("/api/v1/cases").json()["count"] == 0
    assert api.get(f"/api/v1/cases/{case.pk}").status_code == 404
    assert post(api, "/api/v1/cases", INTAKE).status_code == 404


def test_the_committed_openapi_document_matches_the_code() -> None:
    committed = Path(settings.BASE_DIR) / "docs" / "reference" / "openapi.json"
    assert committed.read_text(encoding="utf-8") == openapi_text(), (
        "The API changed: run `harbour api openapi` and commit docs/reference/openapi.json"
    )


def test_an_oversized_body_is_refused_with_a_reason(api_for, caseworker, client_for) -> None:
    huge = json.dumps({"case": {"needs_notes": "x" * 3_000_000}})
    response = api_for(caseworker).post("/api/v1/cases", huge, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "too_large"
    page = client_for(caseworker).post(
        "/cases/intake/", {"case__needs_notes": "x" * 3_000_000}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert page.status_code == 400
    assert '<html lang="fr">' in page.content.decode() and "2,5" in page.content.decode()
    assert Case.objects.count() == 0


def test_every_answer_with_identifying_values_is_an_audited_read(api_for, caseworker) -> None:
    from harbour.audit.models import AuditEvent

    api = api_for(caseworker)
    intake = json.loads(json.dumps(INTAKE))
    intake["case"]["needs_notes"] = "Needs a quiet room"
    case = post(api, "/api/v1/cases", intake).json()
    note = post(api, f"/api/v1/cases/{case['id']}/records/case_note", {"body": "Met at the clinic"})
    assert note.status_code == 201, note.content

    def reads(action: str) -> list[list[str]]:
        events = AuditEvent.objects.filter(action=action, context__purpose="api")
        return [e.fields for e in events.order_by("id")]

    assert api.get(f"/api/v1/cases/{case['id']}").json()["needs_notes"] == "Needs a quiet room"
    assert api.get(f"/api/v1/cases/{case['id']}/records/case_note").json()[0]["body"]
    api.get(f"/api/v1/survivors/{case['survivor_id']}")
    assert reads("case.identity_viewed") == [["needs_notes"], ["case_note.body"]]
    assert reads("survivor.identity_viewed") == [["birth_date", "given_name"]]
    for event in AuditEvent.objects.filter(action__endswith="identity_viewed"):
        assert "quiet room" not in json.dumps(event.context) and "Amara" not in str(event.fields)
