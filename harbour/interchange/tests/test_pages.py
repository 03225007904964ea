"""The import and export pages: upload, report, confirm, discard, download; who may."""

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.translation import gettext

from harbour.audit.models import AuditEvent
from harbour.cases.models import Case
from harbour.interchange import actions, reading
from harbour.interchange.models import ImportJob, JobStatus
from harbour.interchange.tests.test_csv_import import GOOD

pytestmark = pytest.mark.django_db


def upload(client, data: bytes, dry_run: bool = True, name: str = "intakes.csv"):
    post: dict[str, Any] = {"file": SimpleUploadedFile(name, data, content_type="text/csv")}
    if dry_run:
        post["dry_run"] = "on"
    return client.post("/interchange/imports/", post)


def test_supervisor_uploads_checks_and_confirms(client_for, supervisor) -> None:
    client = client_for(supervisor)
    page = client.get("/interchange/")
    assert page.status_code == 200 and "Import intakes from a file" in page.text
    response = upload(client, GOOD.encode())
    assert response.status_code == 302
    job = ImportJob.objects.get()
    report = client.get(response["Location"])
    assert report.status_code == 200 and "ready to import" in report.text
    assert Case.objects.count() == 0
    confirmed = client.post(f"/interchange/imports/{job.pk}/commit/")
    assert confirmed.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and Case.objects.count() == 2
    assert "Imported: 2 new cases" in client.get(f"/interchange/imports/{job.pk}/").text
    assert "intakes" not in str(ImportJob.objects.values_list("problems", "columns"))


def test_the_report_lists_rows_and_columns_in_french(client_for, supervisor) -> None:
    client = client_for(supervisor)
    client.cookies["django_language"] = "fr"
    response = upload(client, b"intake_date,intake_province,consent_to_record\n2026-02-30,ON,x\n")
    page = client.get(response["Location"])
    with translation.override("fr"):
        expected = gettext("Enter a real date as YYYY-MM-DD.")
    assert expected != "Enter a real date as YYYY-MM-DD."
    assert expected.replace("'", "&#x27;") in page.text and "A (case.intake_date)" in page.text


def test_a_discarded_dry_run(client_for, supervisor) -> None:
    client = client_for(supervisor)
    upload(client, GOOD.encode())
    job = ImportJob.objects.get()
    assert client.post(f"/interchange/imports/{job.pk}/discard/").status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.DISCARDED and not job.upload


def test_oversized_uploads_are_refused_before_reading(client_for, supervisor, monkeypatch) -> None:
    monkeypatch.setattr(reading, "MAX_BYTES", 100)
    response = upload(upload_client := client_for(supervisor), b"intake_date\n" + b"x" * 200)
    assert response.status_code == 200 and "larger than" in response.text
    assert upload_client and not ImportJob.objects.exists()


def test_caseworkers_and_other_organisations_get_404(client_for, caseworker, supervisor, outsider):
    upload(client_for(supervisor), GOOD.encode())
    job = ImportJob.objects.get()
    assert client_for(caseworker).get("/interchange/").status_code == 404
    assert client_for(outsider).get(f"/interchange/imports/{job.pk}/").status_code == 404
    assert client_for(caseworker).post("/interchange/export/", {"format": "csv"}).status_code == 404


def test_export_csv_neutralises_formulas_and_leaves_identity_out(
    client_for, supervisor, make_case
) -> None:
    make_case(supervisor, case={"intake_city": "Toronto", "needs_notes": "-1+2 =cmd|' /C calc'!A0"})
    response = client_for(supervisor).post("/interchange/export/", {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert "Élodie" not in text and "needs_notes" not in text and "Toronto" in text
    event = AuditEvent.objects.get(action="cases.exported")
    assert event.context["identifying"] is False and event.context["rows"] == 1


def test_identifying_export_is_audited_per_survivor(client_for, supervisor, make_case) -> None:
    make_case(supervisor, case={"needs_notes": "+SUM(1;2)"})
    response = client_for(supervisor).post(
        "/interchange/export/", {"format": "csv", "identifying": "on"}
    )
    text = response.content.decode("utf-8-sig")
    assert "Élodie" in text and "'+SUM(1;2)" in text
    assert AuditEvent.objects.filter(action="survivor.identity_viewed").count() == 1


def test_export_xlsx_reads_back(client_for, supervisor, make_case) -> None:
    from harbour.interchange import xlsx

    make_case(supervisor)
    response = client_for(supervisor).post("/interchange/export/", {"format": "xlsx"})
    rows = list(xlsx.read_rows(response.content))
    assert rows[0][:2] == ["case_reference", "survivor_reference"] and len(rows) == 2


def test_xlsform_download(client_for, supervisor) -> None:
    response = client_for(supervisor).get("/interchange/xlsform/", {"language": "fr"})
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "xl/worksheets/sheet3.xml" in names


def test_demo_imports(make_user, make_org) -> None:
    from harbour.interchange import demo

    org = make_org(short_name=demo.IMPORTER_ORG)
    make_user("supervisor", org)
    lines: list[str] = []
    demo.load_demo(orgs=[org], report=lines.append)
    statuses = sorted(ImportJob.objects.values_list("status", flat=True))
    assert statuses == ["checked", "done", "done"] or "failed" in statuses
    assert Case.objects.filter(org=org).count() == 5 and "5 cases" in lines[0]


NGO_SHEET = (
    "Client first name,Date seen,Prov,Consent given,Worker notes\n"
    "Nadia,2026-10-14,CA-ON,yes,call before noon\n"
)


def test_unknown_columns_are_chosen_on_the_page_and_remembered(client_for, supervisor) -> None:
    from harbour.interchange.models import ColumnChoice

    client = client_for(supervisor)
    first = ImportJob.objects.get(pk=upload(client, NGO_SHEET.encode())["Location"].split("/")[-2])
    assert first.status == JobStatus.FAILED and first.columns == {
        "A": "", "B": "", "C": "", "D": "", "E": "",
    }  # fmt: skip
    page = client.get(f"/interchange/imports/{first.pk}/")
    assert "Choose what each column holds" in page.text and "Nadia" not in page.text
    choices = {"A": "survivor.given_name", "B": "case.intake_date",
               "C": "case.intake_province", "D": "case.consent_to_record", "E": "-"}  # fmt: skip
    response = client.post(f"/interchange/imports/{first.pk}/columns/", choices)
    assert response.status_code == 302
    second = ImportJob.objects.exclude(pk=first.pk).get()
    assert second.status == JobStatus.CHECKED, second.problems
    first.refresh_from_db()
    assert first.status == JobStatus.DISCARDED and not first.upload
    assert ColumnChoice.objects.filter(org=supervisor.org).count() == 5
    assert "Client" not in str(ColumnChoice.objects.values_list("header_token", flat=True))
    # The organisation's next file with the same columns is read the same way.
    upload(client, NGO_SHEET.replace("Nadia", "Zoé").encode())
    third = ImportJob.objects.order_by("-created_at").first()
    assert third is not None
    assert third.status == JobStatus.CHECKED, third.problems


def test_a_wrong_column_choice_is_refused(client_for, supervisor, outsider) -> None:
    client = client_for(supervisor)
    job = ImportJob.objects.get(pk=upload(client, NGO_SHEET.encode())["Location"].split("/")[-2])
    response = client.post(f"/interchange/imports/{job.pk}/columns/", {"A": "case.nonsense"})
    assert response.status_code == 200 and ImportJob.objects.count() == 1
    assert client_for(outsider).post(f"/interchange/imports/{job.pk}/columns/").status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_harbours_own_export_imports_back_unchanged(
    supervisor, make_case, make_user, other_org, fmt
):
    from harbour.cases.values import read_values
    from harbour.interchange import actions, exports

    make_case(
        supervisor,
        case={"needs_notes": "-call first; + bring ID", "recruitment_methods": ["at_work"]},
    )
    _name, _type, data = actions.export_cases(by=supervisor, fmt=fmt, identifying=True)
    elsewhere = make_user("supervisor", other_org)
    job = actions.run_import_job(
        job_id=actions.create_import_job(by=elsewhere, data=data, dry_run=False).pk
    )
    assert job.status == JobStatus.DONE, job.problems
    original, copy = Case.objects.get(org=supervisor.org), Case.objects.get(org=other_org)
    for column in exports.columns(identifying=True):
        if column.field.id in ("status", "closure_reason", "closure_details"):
            continue  # set by Harbour's own actions, listed as "not imported"
        of = (lambda c: c.survivor) if column.entity == "survivor" else (lambda c: c)
        a = read_values(of(original), with_identity=True).get(column.field.id)
        b = read_values(of(copy), with_identity=True).get(column.field.id)
        assert a == b, column.field.id


LEGACY_VALUES = (
    "intake_date,intake_province,consent_to_record,exploitation_types\n"
    "2026-10-14,CA-ON,yes,Sex trafficking\n"
    "2026-10-15,CA-ON,yes,Sex trafficking|Forced labour\n"
)


def test_unknown_values_are_given_their_code_and_remembered(client_for, supervisor) -> None:
    from harbour.interchange.models import ValueChoice

    client = client_for(supervisor)
    first = ImportJob.objects.get(
        pk=upload(client, LEGACY_VALUES.encode())["Location"].split("/")[-2]
    )
    assert first.status == JobStatus.FAILED and "Sex trafficking" not in first.unknown_values
    page = client.get(f"/interchange/imports/{first.pk}/")
    assert "Choose what these values mean" in page.text and "Sex trafficking" in page.text
    response = client.post(
        f"/interchange/imports/{first.pk}/values/", {"value_0": "sexual_exploitation"}
    )
    assert response.status_code == 302
    second = ImportJob.objects.exclude(pk=first.pk).get()
    assert second.status == JobStatus.CHECKED, second.problems
    assert ValueChoice.objects.filter(org=supervisor.org, code="sexual_exploitation").exists()
    actions.commit_import_job(by=supervisor, job=second)
    actions.run_import_job(job_id=second.pk)
    assert sorted(Case.objects.values_list("exploitation_types", flat=True)) == [
        ["forced_labour", "sexual_exploitation"], ["sexual_exploitation"],
    ]  # fmt: skip


def test_a_value_choice_outside_the_list_is_refused(client_for, supervisor) -> None:
    client = client_for(supervisor)
    job = ImportJob.objects.get(
        pk=upload(client, LEGACY_VALUES.encode())["Location"].split("/")[-2]
    )
    response = client.post(f"/interchange/imports/{job.pk}/values/", {"value_0": "not_a_code"})
    assert response.status_code == 200 and ImportJob.objects.count() == 1


def test_the_pages_in_french(client_for, supervisor) -> None:
    client = client_for(supervisor)
    client.cookies["django_language"] = "fr"
    page = client.get("/interchange/")
    assert page.status_code == 200 and "Importer des accueils" in page.text
    job_url = upload(client, GOOD.encode())["Location"]
    assert "Importer maintenant" in client.get(job_url).text
