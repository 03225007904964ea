"""The case owner (HTCDS cas_CaseOwner) in exports and imports (issue 13, ADR 21): written as
the owner's e-mail address, read back as the importing organisation's member of staff with
that address who may own cases; any other value is a warning and the importer owns the case."""

import csv
import io
import zipfile

import pytest
from django.utils import translation

from harbour.accounts import policy as account_policy
from harbour.accounts.models import User
from harbour.accounts.policy import Perm, Role
from harbour.cases import bulk
from harbour.cases.actions import reassign
from harbour.cases.models import Case
from harbour.interchange import actions, imports, policy
from harbour.interchange.models import JobStatus

pytestmark = pytest.mark.django_db

HEAD = "intake_date,intake_province,consent_to_record,cas_CaseOwner\n"


def run(by, data: bytes, dry_run: bool = False, defaults: dict | None = None):
    job = actions.create_import_job(by=by, data=data, dry_run=dry_run, defaults=defaults)
    return actions.run_import_job(job_id=job.pk)


def htcds_case_rows(data: bytes) -> list[dict[str, str]]:
    text = zipfile.ZipFile(io.BytesIO(data)).read("case.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def rows(*owners: str) -> bytes:
    lines = [f"2026-10-{n:02d},CA-ON,yes,{owner}\n" for n, owner in enumerate(owners, start=1)]
    return (HEAD + "".join(lines)).encode()


# --- export -----------------------------------------------------------------------------------


def test_the_htcds_export_writes_the_owners_address_only_when_identifying(
    supervisor, caseworker, make_case
) -> None:
    case = make_case(supervisor)
    reassign(by=supervisor, case=case, owner=caseworker)
    _n, _t, data = actions.export_cases(by=supervisor, fmt="htcds", identifying=True)
    assert [r["cas_CaseOwner"] for r in htcds_case_rows(data)] == [caseworker.email]
    # A member of staff's address is an identifier: the column stays, empty.
    _n, _t, data = actions.export_cases(by=supervisor, fmt="htcds")
    assert [r["cas_CaseOwner"] for r in htcds_case_rows(data)] == [""]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "datapackage"])
def test_the_other_exports_do_not_carry_the_owner(supervisor, make_case, fmt) -> None:
    make_case(supervisor)
    _n, _t, data = actions.export_cases(by=supervisor, fmt=fmt, identifying=True)
    if fmt != "csv":  # zipped (xlsx and the data package): look inside every member
        archive = zipfile.ZipFile(io.BytesIO(data))
        data = b"".join(archive.read(n) for n in archive.namelist())
    assert supervisor.email.encode() not in data and b"owner" not in data


@pytest.mark.parametrize("start", ["=", "+", "-"])
def test_an_address_a_spreadsheet_would_run_is_neutralised_and_read_back(
    supervisor, make_user, make_case, start
) -> None:
    colleague = make_user("caseworker", supervisor.org, email=f"{start}cmd@example.org")
    case = make_case(supervisor)
    reassign(by=supervisor, case=case, owner=colleague)
    _n, _t, data = actions.export_cases(by=supervisor, fmt="htcds", identifying=True)
    assert [r["cas_CaseOwner"] for r in htcds_case_rows(data)] == [f"'{colleague.email}"]
    # Read back into the same organisation: a new case (HTCDS has no intake date), same owner.
    job = run(supervisor, data, defaults={"intake_date": "2026-11-02", "intake_province": "CA-ON"})
    assert job.status == JobStatus.DONE and job.created_count == 1, job.problems
    assert Case.objects.exclude(pk=case.pk).get().owner == colleague


# --- import -----------------------------------------------------------------------------------


@pytest.fixture
def staff(make_user, org, other_org) -> dict[str, User]:
    inactive = make_user("caseworker", org, email="gone@example.org")
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    return {
        "colleague": make_user("caseworker", org, email="amina.diallo@example.org"),
        "admin": make_user("org_admin", org, email="director@example.org"),  # owns no cases
        "outsider": make_user("caseworker", other_org, email="elsewhere@example.org"),
        "inactive": inactive,
    }


UNMATCHED = ("nobody@example.org", "elsewhere@example.org", "director@example.org")


@pytest.mark.parametrize("dry_run", [True, False])
def test_the_owner_is_the_importers_colleague_with_that_address(supervisor, staff, dry_run) -> None:
    data = rows("AMINA.Diallo@Example.ORG ", *UNMATCHED, "gone@example.org", "", supervisor.email)
    job = run(supervisor, data, dry_run=dry_run)
    assert job.status == (JobStatus.CHECKED if dry_run else JobStatus.DONE), job.problems
    # Every unmatched value gets the same warning, whoever has the address elsewhere.
    message = imports.owner_unmatched_message()
    assert [w for w in job.warnings if w["row"]] == [
        {"row": n, "column": "D (case.owner)", "message": message} for n in (3, 4, 5, 6)
    ]
    if dry_run:
        assert not Case.objects.exists()
        return
    owners = [c.owner for c in Case.objects.order_by("intake_date")]
    assert owners == [staff["colleague"], *[supervisor] * 6]


def test_the_warning_is_in_the_importers_language(supervisor, staff) -> None:
    """Needs the French catalogue compiled."""
    with translation.override("fr"):
        job = run(supervisor, rows("nobody@example.org"), dry_run=True)
    assert job.status == JobStatus.CHECKED, job.problems
    [warning] = job.warnings
    assert warning["message"].startswith("Aucun membre de votre organisme")


def test_a_spreadsheet_column_chosen_as_the_owner_is_matched_too(supervisor, staff) -> None:
    data = b"intake_date,intake_province,consent_to_record,Worker\n2026-10-01,CA-ON,yes,"
    job = run(supervisor, data + staff["colleague"].email.encode(), dry_run=True)
    assert job.status == JobStatus.FAILED  # "Worker" is not a field Harbour knows
    job = actions.choose_columns(by=supervisor, job=job, choices={"D": "case.owner"})
    job = actions.run_import_job(job_id=job.pk)
    assert job.status == JobStatus.CHECKED and not job.warnings, job.problems
    job = actions.run_import_job(job_id=actions.commit_import_job(by=supervisor, job=job).pk)
    assert job.status == JobStatus.DONE, job.problems
    assert Case.objects.get().owner == staff["colleague"]


def test_the_dictionary_label_names_the_owner_column(supervisor, staff) -> None:
    data = b"intake_date,intake_province,consent_to_record,Responsible caseworker\n"
    job = run(supervisor, data + b"2026-10-01,CA-ON,yes,amina.diallo@example.org\n")
    assert job.status == JobStatus.DONE and job.columns["D"] == "case.owner", job.problems
    assert Case.objects.get().owner == staff["colleague"]


def test_an_importer_who_may_not_reassign_owns_every_case(supervisor, staff, monkeypatch) -> None:
    perms = account_policy.ROLE_PERMISSIONS[Role.SUPERVISOR] - {Perm.CASE_REASSIGN}
    monkeypatch.setitem(account_policy.ROLE_PERMISSIONS, Role.SUPERVISOR, perms)
    assert policy.owners_for(supervisor) == {supervisor.email: supervisor.pk}
    job = run(supervisor, rows("amina.diallo@example.org", supervisor.email))
    assert job.status == JobStatus.DONE, job.problems
    assert [w["row"] for w in job.warnings] == [2]
    assert {c.owner for c in Case.objects.all()} == {supervisor}


def test_the_bulk_intake_refuses_an_owner_reassign_would_refuse(supervisor, staff) -> None:
    values = {"intake_date": "2026-10-01", "intake_province": "CA-ON", "consent_to_record": True}
    for user in (staff["outsider"], staff["admin"], staff["inactive"]):
        intake = bulk.Intake({}, dict(values), owner=user.pk)
        with pytest.raises(bulk.IntakeRejected) as caught:
            bulk.start_intakes(by=supervisor, intakes=[intake])
        assert "owner" in caught.value.errors
    assert not Case.objects.exists()
    intake = bulk.Intake({}, values, owner=staff["colleague"].pk)
    bulk.start_intakes(by=supervisor, intakes=[intake])
    assert Case.objects.get().owner == staff["colleague"]


def test_the_report_page_lists_the_warning_with_its_row(client_for, supervisor, staff) -> None:
    job = run(supervisor, rows("amina.diallo@example.org", "nobody@example.org"), dry_run=True)
    page = client_for(supervisor).get(f"/interchange/imports/{job.pk}/")
    assert page.status_code == 200 and "ready to import" in page.text
    cells = "<tr><td>3</td><td>D (case.owner)</td><td>No member of your organisation"
    assert cells in page.text and "nobody@example.org" not in page.text
