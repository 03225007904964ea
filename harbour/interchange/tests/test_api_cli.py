"""The API (asynchronous jobs, exports, XLSForm) and the commands `harbour interchange import`
and `harbour interchange export`."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from harbour.audit.models import AuditEvent
from harbour.cases.models import Case
from harbour.interchange.models import ImportJob
from harbour.interchange.tests.test_csv_import import GOOD

pytestmark = pytest.mark.django_db
API = "/api/v1/interchange"


def post_file(client, data: bytes, **fields):
    upload = io.BytesIO(data)
    upload.name = "intakes.csv"
    return client.post(f"{API}/imports", {"file": upload, **fields})


def test_api_dry_run_then_commit(api_for, supervisor) -> None:
    client = api_for(supervisor)
    response = post_file(client, GOOD.encode())
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["status"] == "checked" and job["rows_total"] == 2 and job["percent"] == 100
    assert client.get(f"{API}/imports").json()[0]["id"] == job["id"]
    assert client.get(f"{API}/imports/{job['id']}").status_code == 200
    done = client.post(f"{API}/imports/{job['id']}/commit")
    assert done.status_code == 202 and done.json()["status"] == "done"
    assert Case.objects.count() == 2
    again = client.post(f"{API}/imports/{job['id']}/commit")
    assert again.status_code == 409


def test_api_reports_problems_and_discards(api_for, supervisor) -> None:
    client = api_for(supervisor)
    bad = post_file(client, b"intake_date\n2026-13-01\n", dry_run="false").json()
    assert bad["status"] == "failed" and bad["problems"][0]["row"] == 2
    checked = post_file(client, GOOD.encode()).json()
    assert client.post(f"{API}/imports/{checked['id']}/discard").json()["status"] == "discarded"


def test_api_refuses_oversized_and_empty_files(api_for, supervisor, monkeypatch) -> None:
    from harbour.interchange import reading

    client = api_for(supervisor)
    assert post_file(client, b"").status_code == 422
    monkeypatch.setattr(reading, "MAX_BYTES", 10)
    assert post_file(client, GOOD.encode()).status_code == 422
    assert not ImportJob.objects.exists()


def test_api_exports_and_xlsform(api_for, supervisor, caseworker, make_case) -> None:
    make_case(supervisor)
    client = api_for(supervisor)
    response = client.get(f"{API}/exports/csv")
    assert response.status_code == 200 and b"case_reference" in response.content
    assert client.get(f"{API}/exports/pdf").status_code == 422
    assert client.get(f"{API}/xlsform", {"language": "fr"}).status_code == 200
    assert api_for(caseworker).get(f"{API}/exports/csv").status_code == 404
    assert api_for(caseworker).get(f"{API}/imports").status_code == 404
    assert AuditEvent.objects.filter(action="cases.exported").count() == 1


def test_api_jobs_of_another_organisation_are_not_found(api_for, supervisor, make_user, other_org):
    job = post_file(api_for(supervisor), GOOD.encode()).json()
    stranger = make_user("supervisor", other_org)
    assert api_for(stranger).get(f"{API}/imports/{job['id']}").status_code == 404
    assert api_for(stranger).get(f"{API}/imports/not-an-id").status_code in (404, 422)


def test_cli_import_and_export(supervisor, tmp_path) -> None:
    source = tmp_path / "intakes.csv"
    source.write_text(GOOD, encoding="utf-8")
    out = io.StringIO()
    call_command("interchange_import", str(source), "--user", supervisor.email, stdout=out)
    assert Case.objects.count() == 2 and "2" in out.getvalue()
    target = tmp_path / "cases.xlsx"
    call_command(
        "interchange_export", str(target), "--user", supervisor.email, "--format", "xlsx",
        stdout=io.StringIO(),
    )  # fmt: skip
    assert target.read_bytes()[:2] == b"PK"


def test_cli_dry_run_and_errors(supervisor, caseworker, tmp_path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("intake_date\n2026-13-01\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Row 2"):
        call_command("interchange_import", str(source), "--user", supervisor.email)
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    call_command("interchange_import", str(good), "--user", supervisor.email, "--dry-run")
    assert Case.objects.count() == 0
    with pytest.raises(CommandError):
        call_command("interchange_import", str(good), "--user", caseworker.email)
    with pytest.raises(CommandError):
        call_command("interchange_import", str(tmp_path / "missing.csv"), "--user", "x@y.z")


def test_cli_xlsform(tmp_path) -> None:
    target = tmp_path / "intake.xlsx"
    call_command("interchange_xlsform", str(target), "--language", "fr", stdout=io.StringIO())
    assert target.read_bytes()[:2] == b"PK"


def test_a_worker_task_imports_under_row_level_security(supervisor) -> None:
    """A task worker's connection starts with no organisation (PostgreSQL, ADR 40): the task
    scopes itself to the uploader's organisation and leaves the scope as it found it."""
    from django.db import connection

    from harbour.core import tenancy
    from harbour.core.testing import application_role
    from harbour.interchange import actions, tasks

    job = actions.create_import_job(by=supervisor, data=GOOD.encode(), dry_run=False)
    if connection.vendor != "postgresql":
        tasks.run_import.call(str(job.pk))
        assert Case.objects.count() == 2
        return
    with application_role():
        tenancy._set("", "")  # a worker: sees nothing until told whose work this is
        tasks.run_import.call(str(job.pk))
        assert tenancy._current() == ("", "")
        assert Case.objects.count() == 0  # still nothing visible from here
        tenancy._set("", tenancy.ALL)
        assert Case.objects.filter(org=supervisor.org).count() == 2
