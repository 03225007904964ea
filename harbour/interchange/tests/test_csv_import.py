"""Spreadsheet imports: every row checked first, all or nothing, no duplicates on re-import."""

import pytest
from django.utils import translation

from harbour.audit.models import AuditEvent
from harbour.cases.models import Case, Survivor
from harbour.cases.values import read_values
from harbour.core.errors import Forbidden
from harbour.interchange import actions, imports
from harbour.interchange.models import JobStatus

pytestmark = pytest.mark.django_db

GOOD = (
    "given_name,family_name,Date of birth,gender_identity,intake_date,intake_province,"
    "consent_to_record,exploitation_types,current_needs\n"
    "Nadia,Okafor,2001-05-06,Woman,2026-10-14,CA-MB,yes,forced_labour,safe_housing|legal\n"
    "Amélie,Roy,1999-01-02,woman,2026-10-15,Ontario,oui,Sexual exploitation,\n"
)


def counts() -> tuple[int, int, int]:
    return Case.objects.count(), Survivor.objects.count(), AuditEvent.objects.count()


def run(by, data: bytes, dry_run: bool = False):
    job = actions.create_import_job(by=by, data=data, dry_run=dry_run)
    return actions.run_import_job(job_id=job.pk)


def test_a_valid_file_creates_one_case_per_row_with_codes_from_labels(supervisor) -> None:
    job = run(supervisor, GOOD.encode())
    assert job.status == JobStatus.DONE and job.created_count == 2, job.problems
    case = Case.objects.get(intake_province="CA-ON")
    assert case.exploitation_types == ["sexual_exploitation"]
    assert read_values(case.survivor, with_identity=True)["given_name"] == "Amélie"
    assert Case.objects.get(intake_province="CA-MB").current_needs == ["legal", "safe_housing"]
    assert job.upload == "" and job.columns["C"] == "survivor.birth_date"
    assert AuditEvent.objects.filter(action="import_job.completed").count() == 1


def test_importing_the_same_file_again_creates_nothing(supervisor) -> None:
    run(supervisor, GOOD.encode())
    before = Case.objects.count()
    again = run(supervisor, GOOD.encode())
    assert again.status == JobStatus.DONE and again.existing_count == 2
    assert Case.objects.count() == before == 2


def test_one_bad_row_means_nothing_is_written_and_every_problem_is_listed(supervisor) -> None:
    bad = GOOD + "Zoé,Bad,2030-01-01,robot,14/10/2026,CA-ZZ,maybe,,\n"
    before = counts()
    job = run(supervisor, bad.encode())
    assert job.status == JobStatus.FAILED
    assert Case.objects.count() == before[0] and Survivor.objects.count() == before[1]
    where = {(p["row"], p["column"]) for p in job.problems}
    assert {
        (4, "C (survivor.birth_date)"),
        (4, "D (survivor.gender_identity)"),
        (4, "E (case.intake_date)"),
        (4, "F (case.intake_province)"),
        (4, "G (case.consent_to_record)"),
    } <= where
    assert "Zoé" not in str(job.problems)


def test_the_report_is_in_the_uploaders_language(supervisor) -> None:
    with translation.override("fr"):
        job = actions.create_import_job(by=supervisor, data=b"intake_date\n2026-99-01\n")
    job = actions.run_import_job(job_id=job.pk)
    assert job.language == "fr" and "date" in job.problems[0]["message"]
    assert job.problems[0]["message"] != "Enter a real date as YYYY-MM-DD."


def test_a_dry_run_writes_nothing_then_commits(supervisor) -> None:
    job = run(supervisor, GOOD.encode(), dry_run=True)
    assert job.status == JobStatus.CHECKED and job.rows_total == 2 and job.upload
    assert Case.objects.count() == 0
    actions.commit_import_job(by=supervisor, job=job)
    job = actions.run_import_job(job_id=job.pk)
    assert job.status == JobStatus.DONE and Case.objects.count() == 2


def test_a_discarded_dry_run_forgets_the_file(supervisor) -> None:
    job = run(supervisor, GOOD.encode(), dry_run=True)
    job = actions.discard_import_job(by=supervisor, job=job)
    assert job.status == JobStatus.DISCARDED and job.upload == ""


def test_caseworkers_may_not_import(caseworker) -> None:
    with pytest.raises(Forbidden):
        actions.create_import_job(by=caseworker, data=GOOD.encode())


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        ("given_name\nÉlodie\n".encode("latin-1"), "UTF-8"),
        (b"\xef\xbb\xbf", "no rows"),
        (b"given_name,given_name\nA,B\n", "same field"),
        (b"given_name,nonsense\nA,B\n", "does not recognise"),
        (b"given_name\n", "no rows"),
        (b'given_name\n"unclosed\n', "malformed"),
        (b"given_name\nA,B,C\n", "more cells"),
        (b"PK\x03\x04garbage", "damaged"),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "password"),
        (b"[1, 2]", "list of submissions"),
        (b"{bad json", "JSON"),
    ],
)
def test_malformed_files_get_a_clear_error_and_change_nothing(supervisor, data, fragment) -> None:
    before = Case.objects.count(), Survivor.objects.count()
    try:
        job = run(supervisor, data)
    except Exception as exc:  # refused at upload (empty file)
        assert fragment in str(getattr(exc, "errors", exc))
        return
    assert job.status == JobStatus.FAILED
    assert any(fragment in p["message"] for p in job.problems), job.problems
    assert (Case.objects.count(), Survivor.objects.count()) == before


def test_duplicate_rows_inside_a_file_are_refused(supervisor) -> None:
    row = "2026-10-14,CA-MB,yes\n"
    job = run(supervisor, ("intake_date,intake_province,consent_to_record\n" + row * 2).encode())
    assert job.status == JobStatus.FAILED and "repeats row 2" in job.problems[0]["message"]


def test_semicolon_separated_files_from_french_excel(supervisor) -> None:
    data = (
        "Date d'accueil;Province ou territoire de l'accueil;consent_to_record\n"
        "2026-10-14;Québec;oui\n"
    )
    job = run(supervisor, data.encode("utf-8-sig"))
    assert job.status == JobStatus.DONE, job.problems


def test_plan_collects_problems_without_writing(supervisor) -> None:
    plan = imports.plan(
        b"intake_date,intake_province\n2026-10-14,CA-MB\n", org_id=supervisor.org_id
    )
    assert not plan.ok and plan.problems[0].row == 2
    assert Case.objects.count() == 0


WORDED = {
    "2024-03-05": "2024-03-05",
    "2024/03/05": "2024-03-05",
    "2024-3-5": "2024-03-05",
    "2024/3/5": "2024-03-05",
    "2024.3.5": "2024-03-05",
    "20240305": "2024-03-05",
    "5 March 2024": "2024-03-05",
    "March 5 2024": "2024-03-05",
    "5 mars 2024": "2024-03-05",
    "1er février 2024": "2024-02-01",
    "31 août 2024": "2024-08-31",
}


@pytest.mark.parametrize("text", sorted(WORDED))
def test_unambiguous_date_forms_are_read(supervisor, text) -> None:
    job = run(
        supervisor, f"intake_date,intake_province,consent_to_record\n{text},CA-ON,yes\n".encode()
    )
    assert job.status == JobStatus.DONE, job.problems
    assert Case.objects.get().intake_date.isoformat() == WORDED[text]


@pytest.mark.parametrize("text", ["04/06/2023", "3.5.2024", "14-10-2024"])
def test_a_date_with_day_and_month_as_numbers_is_refused_with_the_iso_form(
    supervisor, text
) -> None:
    data = f"intake_date,intake_province,consent_to_record\n{text},CA-ON,yes\n".encode()
    job = run(supervisor, data)
    assert job.status == JobStatus.FAILED and Case.objects.count() == 0
    assert [(p["row"], p["column"]) for p in job.problems] == [(2, "A (case.intake_date)")]
    assert "YYYY-MM-DD" in job.problems[0]["message"] and text not in job.problems[0]["message"]
    with translation.override("fr"):
        job = run(supervisor, data)
    assert "AAAA-MM-JJ" in job.problems[0]["message"]


@pytest.mark.parametrize(("order", "expected"), [("dmy", "2024-05-03"), ("mdy", "2024-03-05")])
def test_a_date_order_chosen_for_the_column_reads_day_and_month_numbers(
    supervisor, order, expected
) -> None:
    data = b"intake_date,intake_province,consent_to_record\n03/05/2024,CA-ON,yes\n"
    job = run(supervisor, data, dry_run=True)
    assert job.status == JobStatus.FAILED
    job = actions.choose_columns(by=supervisor, job=job, choices={"A": f"case.intake_date@{order}"})
    job = actions.run_import_job(job_id=job.pk)
    assert job.status == JobStatus.CHECKED, job.problems
    actions.commit_import_job(by=supervisor, job=job)
    job = actions.run_import_job(job_id=job.pk)
    assert job.status == JobStatus.DONE and Case.objects.get().intake_date.isoformat() == expected
