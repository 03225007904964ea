"""An organisation's checkpoints on the web and through the API: sign and download one, download
it again, check one it kept; refusals are specific, translated, and on the record."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from harbour.audit.actions import SystemActor, sign_checkpoint
from harbour.audit.models import AuditEvent, Checkpoint

pytestmark = pytest.mark.django_db


def _download(client) -> str:
    response = client.post("/audit/checkpoints/sign/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    return response.content.decode()


def _check(client, content: bytes, **extra) -> str:
    upload = SimpleUploadedFile("kept.txt", content, content_type="text/plain")
    return client.post("/audit/checkpoints/", {"file": upload}, **extra).content.decode()


def _alter_first_event(org) -> None:
    first = AuditEvent.objects.filter(chain=str(org.pk)).order_by("seq")[0]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'x.y' WHERE id = %s", [first.id])


def test_an_organisation_downloads_a_checkpoint_and_checks_it_later(
    client_for, org_admin, org, case
) -> None:
    web = client_for(org_admin)
    page = web.get("/audit/checkpoints/").content.decode()
    assert "Sign and download" in page and "/audit+" in page  # the verifier key is shown
    kept = _download(web)
    assert f"scope chain {org.pk}" in kept and str(case.org_id) in kept
    checkpoint = Checkpoint.objects.get(scope=str(org.pk))
    again = web.get(f"/audit/checkpoints/{checkpoint.pk}/download/")
    assert again.content.decode() == kept
    assert "The trail extends this checkpoint" in _check(web, kept.encode())
    _alter_first_event(org)
    found = _check(web, kept.encode())
    assert "does NOT extend" in found and "First bad event: #1" in found
    checks = AuditEvent.objects.filter(action="audit.checkpoint_checked", org_id=org.pk)
    assert sorted(e.context["result"] for e in checks) == ["intact", "not_intact"]
    assert (
        "nothing was signed" in web.post("/audit/checkpoints/sign/", follow=True).content.decode()
    )


def test_a_pasted_checkpoint_is_checked_too(client_for, org_admin, case) -> None:
    web = client_for(org_admin)
    kept = _download(web).replace("\n", "\r\n").strip()  # as a browser sends a text area
    page = web.post("/audit/checkpoints/", {"text": kept}).content.decode()
    assert "The trail extends this checkpoint" in page


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe not text", "This file is not text (UTF-8)."),
        (b"hello", "This is not a well-formed Harbour audit checkpoint."),
        (b"", "Choose a checkpoint file or paste its text."),
    ],
)
def test_bad_checkpoints_are_refused_with_a_clear_message(
    client_for, org_admin, case, content, message
) -> None:
    page = _check(client_for(org_admin), content)
    assert message.replace("'", "&#x27;") in page


def test_a_checkpoint_of_every_chain_is_not_checked_by_an_organisation(
    client_for, org_admin, case, other_org
) -> None:
    everything = sign_checkpoint(by=SystemActor("tests")).note
    page = _check(client_for(org_admin), everything.encode())
    assert "covers other organisations" in page
    refused = AuditEvent.objects.get(action="audit.checkpoint_checked")
    assert refused.outcome == "refused"


def test_checkpoints_are_the_organisations_own(
    client_for, org_admin, caseworker, make_user, other_org, case
) -> None:
    _download(client_for(org_admin))
    theirs = Checkpoint.objects.get()
    other_admin = make_user("org_admin", other_org)
    assert (
        client_for(other_admin).get(f"/audit/checkpoints/{theirs.pk}/download/").status_code == 404
    )
    assert client_for(other_admin).get("/audit/checkpoints/999999/download/").status_code == 404
    assert client_for(caseworker).get("/audit/checkpoints/").status_code == 404
    assert client_for(caseworker).post("/audit/checkpoints/sign/").status_code == 404


def test_an_auditor_uses_the_page_in_french(client_for, make_user, org, case) -> None:
    auditor = make_user("auditor", org)
    web = client_for(auditor)
    page = web.get("/audit/checkpoints/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Points de contrôle" in page


def test_the_api_signs_lists_and_checks_checkpoints(api_for, org_admin, org, case) -> None:
    api = api_for(org_admin)
    signed = api.post("/api/v1/audit/checkpoints")
    assert signed.status_code == 201
    kept = signed.json()["note"]
    listed = api.get("/api/v1/audit/checkpoints").json()
    assert listed["count"] == 1 and listed["results"][0]["note"] == kept
    one = api.get(f"/api/v1/audit/checkpoints/{signed.json()['id']}")
    assert one.json()["note"] == kept
    check = api.post(
        "/api/v1/audit/checkpoints/check", {"checkpoint": kept}, content_type="application/json"
    ).json()
    assert check["intact"] is True and check["first_problems"] == []
    _alter_first_event(org)
    check = api.post(
        "/api/v1/audit/checkpoints/check", {"checkpoint": kept}, content_type="application/json"
    ).json()
    assert check["intact"] is False and check["first_problems"][0]["seq"] == 1
    assert check["first_problems"][0]["kind"] == "altered"
    assert "verifier_key" in api.get("/api/v1/audit/public-key").json()


def test_the_api_refuses_bad_checkpoints_in_the_error_shape(api_for, org_admin, case) -> None:
    api = api_for(org_admin)
    refused = api.post(
        "/api/v1/audit/checkpoints/check",
        {"checkpoint": "garbage"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "invalid" and error["fields"]["checkpoint"]
    assert api.get("/api/v1/audit/checkpoints/999").status_code == 404
    assert api.get("/api/v1/audit/checkpoints?limit=0").status_code == 422


def test_the_api_hides_checkpoints_from_roles_without_the_trail(api_for, caseworker, case) -> None:
    api = api_for(caseworker)
    assert api.get("/api/v1/audit/checkpoints").status_code == 404
    assert api.post("/api/v1/audit/checkpoints").status_code == 404
