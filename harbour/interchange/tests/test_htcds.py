"""HTCDS 2.0: the standard's own Excel template (unedited, and filled in as an NGO would) and
Harbour's HTCDS export, which a round trip reads back without losing an HTCDS field."""

import io
import zipfile
from pathlib import Path

import pytest

from harbour.accounts import policy
from harbour.accounts.models import User
from harbour.accounts.policy import Perm, Role
from harbour.cases.actions import change_status, reassign
from harbour.cases.models import Case
from harbour.cases.values import read_values
from harbour.interchange import actions, imports, mapping, reading
from harbour.interchange.models import JobStatus

pytestmark = pytest.mark.django_db
TEMPLATE = Path(__file__).parent / "data" / "htcds-2.0-template.xlsx"


def fill_template(cells: dict[str, str]) -> bytes:
    """The template with some cells of its first data row (row 3) typed in."""
    source = zipfile.ZipFile(TEMPLATE)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for ref, value in cells.items():
                    empty = f'<c r="{ref}" s="4"/>'
                    assert empty in text, ref
                    typed = f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
                    text = text.replace(empty, typed)
                data = text.encode()
            target.writestr(info, data)
    return out.getvalue()


def test_the_unedited_template_is_understood_column_by_column(org) -> None:
    plan = imports.plan(TEMPLATE.read_bytes(), org_id=org.pk)
    assert [p.message for p in plan.problems] == [
        "The file has column names but no rows to import."
    ]
    assert plan.columns["D"] == "survivor.given_name"
    assert plan.columns["T"] == "case.status_decided_by"  # the template's own spelling
    assert plan.columns["X"] == "case.exploitation_types"


def test_a_filled_template_imports_with_htcds_values(supervisor) -> None:
    data = fill_template(
        {
            "D3": "Nadia",
            "E3": "Okafor",
            "F3": "true",
            "H3": "Feminine",
            "X3": "Sexual Exploitation",
            "AA3": "Winnipeg",
        }
    )
    job = actions.create_import_job(
        by=supervisor,
        data=data,
        dry_run=False,
        defaults={"intake_date": "2026-10-01", "intake_province": "CA-MB"},
    )
    job = actions.run_import_job(job_id=job.pk)
    assert job.status == JobStatus.DONE, job.problems
    case = Case.objects.get()
    assert case.exploitation_city == "Winnipeg" and case.intake_province == "CA-MB"
    assert read_values(case.survivor, with_identity=True)["given_name"] == "Nadia"
    assert case.exploitation_types and case.survivor.gender_identity


def test_htcds_export_round_trip_loses_no_htcds_field(supervisor, make_case, make_user, other_org):
    # The case owner travels as an e-mail address (cas_CaseOwner): a colleague owns one case.
    colleague = make_user("caseworker", supervisor.org, email="Amina.Diallo@Example.org")
    first = make_case(
        supervisor,
        case={
            "recruitment_methods": ["at_work", "online_social_network"],
            "control_methods": ["physical_threats", "threats_to_family"],
            "exploitation_city": "Hamilton",
            "incoming_referral_date": "2026-10-01",
        },
    )
    # Status and closure travel too (cas_Status, cas_ReasonForCaseClosure).
    change_status(
        by=supervisor,
        case=first,
        transition="close",
        closure_reason="moved_away",
        closure_details="Moved: to Halifax, 2026",
    )
    second = make_case(supervisor, survivor={"family_name": "Roy"})
    change_status(by=supervisor, case=second, transition="to_follow_up")
    reassign(by=supervisor, case=second, owner=colleague)
    make_case(supervisor, survivor={"family_name": "Tran"}, case={"intake_province": "CA-QC"})
    _name, _type, data = actions.export_cases(by=supervisor, fmt="htcds", identifying=True)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert "ATTRIBUTION.txt" in archive.namelist() and "LICENSE-HTCDS.md" in archive.namelist()
    assert "prs_FirstName" in archive.read("person.csv").decode("utf-8-sig")
    owners = {supervisor.email, colleague.email}
    # The file goes to another Harbour where the same people work: an address is unique in one
    # database, so the exporting organisation's staff take other addresses here first.
    for user in (supervisor, colleague):
        User.objects.filter(pk=user.pk).update(email=f"left-{user.email}")
    elsewhere = make_user("supervisor", other_org)
    for email in owners:
        make_user("caseworker", other_org, email=email)
    job = actions.create_import_job(
        by=elsewhere,
        data=data,
        dry_run=False,
        defaults={"intake_date": "2026-11-02", "intake_province": "CA-ON"},
    )
    job = actions.run_import_job(job_id=job.pk)
    assert job.status == JobStatus.DONE and job.created_count == 3, job.problems
    assert not [w for w in job.warnings if w["row"]], job.warnings
    htcds = [t.field.id for t in mapping.htcds_targets().values() if t.entity == "case"]
    assert {"status", "closure_details", "owner"} <= set(htcds)
    statuses = set()
    for original in Case.objects.filter(org=supervisor.org):
        family = read_values(original.survivor, with_identity=True)["family_name"]
        copy = next(
            c
            for c in Case.objects.filter(org=other_org)
            if read_values(c.survivor, with_identity=True)["family_name"] == family
        )
        for target in [
            *mapping.htcds_targets().values(),
            mapping.target_by_key("case.closure_reason"),
        ]:
            assert target is not None
            if target.key == "case.owner":  # a member of each organisation's own staff
                assert copy.owner is not None and original.owner is not None
                assert copy.owner.org_id == other_org.pk
                assert copy.owner.email.casefold() == original.owner.email.casefold()[5:]
                continue
            record = {"survivor": lambda c: c.survivor, "case": lambda c: c}[target.entity]
            a = read_values(record(original), with_identity=True).get(target.field.id)
            b = read_values(record(copy), with_identity=True).get(target.field.id)
            assert a == b, target.key
        statuses.add((copy.status, copy.closure_reason, copy.closed_at is not None))
    copies = Case.objects.filter(org=other_org).select_related("owner")
    assert {c.owner.email for c in copies if c.owner} == owners
    assert statuses == {
        ("closed", "moved_away", True),
        ("follow_up", "", False),
        ("active", "", False),
    }


def test_an_imported_status_is_checked_like_a_closing(supervisor) -> None:
    head = "intake_date,intake_province,consent_to_record,cas_Status,closure_reason\n"
    rows = "2026-10-01,CA-ON,yes,Closed,\n2026-10-02,CA-ON,yes,Active,lost_contact\n"
    rows += "2026-10-03,CA-ON,yes,Paused,\n"
    job = actions.create_import_job(by=supervisor, data=(head + rows).encode(), dry_run=False)
    job = actions.run_import_job(job_id=job.pk)
    assert job.status == JobStatus.FAILED and not Case.objects.exists()
    assert [(p["row"], p["column"][:1]) for p in job.problems] == [(2, "c"), (3, "E"), (4, "D")]


STATUSES = (
    b"intake_date,intake_province,consent_to_record,cas_Status,closure_reason\n"
    b"2026-10-01,CA-ON,yes,Active,\n2026-10-02,CA-ON,yes,Follow-up,\n"
    b"2026-10-03,CA-ON,yes,Closed,moved_away\n2026-10-04,CA-ON,yes,Closed,moved_away\n"
)


@pytest.fixture
def without_case_edit(monkeypatch):
    """An importer who may not move a case on or close it (no role is like that yet)."""

    def revoke() -> None:
        perms = policy.ROLE_PERMISSIONS[Role.SUPERVISOR] - {Perm.CASE_EDIT}
        monkeypatch.setitem(policy.ROLE_PERMISSIONS, Role.SUPERVISOR, perms)

    return revoke


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_status_other_than_active_needs_case_edit_once_for_the_file(
    supervisor, without_case_edit, dry_run
) -> None:
    without_case_edit()
    job = actions.create_import_job(by=supervisor, data=STATUSES, dry_run=dry_run)
    job = actions.run_import_job(job_id=job.pk)
    assert job.status == JobStatus.FAILED and not Case.objects.exists()
    assert [(p["row"], p["column"], p["message"]) for p in job.problems] == [
        (None, "", imports.status_refused_message())
    ]
    assert "permission to edit cases" in job.problems[0]["message"]


def test_a_permission_lost_while_writing_is_reported_without_a_row(
    supervisor, without_case_edit
) -> None:
    job = actions.create_import_job(by=supervisor, data=STATUSES, dry_run=False)
    settings = actions._settings_of(job)  # checked with the permission
    without_case_edit()  # then lost before the write: the bulk intake refuses
    job = actions._write(job, reading.read_table(STATUSES), settings)
    assert job.status == JobStatus.FAILED and not Case.objects.exists()
    assert [p["row"] for p in job.problems] == [None]


def test_the_htcds_reason_for_closure_gives_the_coded_reason_and_the_details(supervisor) -> None:
    head = "intake_date,intake_province,consent_to_record,cas_Status,cas_ReasonForCaseClosure\n"
    data = (head + "2026-10-01,CA-ON,yes,Closed,Lost contact: no answer since May\n").encode()
    job = actions.create_import_job(by=supervisor, data=data, dry_run=False)
    job = actions.run_import_job(job_id=job.pk)
    assert job.status == JobStatus.DONE, job.problems
    case = Case.objects.get()
    assert (case.status, case.closure_reason) == ("closed", "lost_contact")
    assert read_values(case, with_identity=True)["closure_details"] == "no answer since May"


def test_htcds_codes_are_written_as_htcds_values(supervisor, make_case) -> None:
    make_case(supervisor)
    _name, _type, data = actions.export_cases(by=supervisor, fmt="htcds")
    text = zipfile.ZipFile(io.BytesIO(data)).read("person-victim-context.csv").decode("utf-8-sig")
    field = mapping.htcds_targets()["vic_TypeOfExploitation"].field
    code = field.codelist.get("sexual_exploitation") if field.codelist else None
    assert code is not None and code.htcds and code.htcds in text
