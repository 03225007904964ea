"""The XLSForm for offline collection, and submissions from KoBoToolbox and ODK coming back
through the same validation (group prefixes, multi-select columns, submission ids)."""

import io
import json
import zipfile
from xml.etree import ElementTree as ET

import pytest

from harbour.cases.models import Case
from harbour.cases.values import read_values
from harbour.interchange import actions, mapping, xlsform, xlsx
from harbour.interchange.models import JobStatus

pytestmark = pytest.mark.django_db

KOBO_CSV = (
    "start,end,case/intake_date,case/intake_province,case/consent_to_record,"
    "case/exploitation_types,case/exploitation_types/forced_labour,"
    "case/exploitation_types/sexual_exploitation,survivor/given_name,survivor/gender_identity,"
    "_id,_uuid,_submission_time,_validation_status,_index\n"
    "2026-10-14T09:00:00.000-05:00,2026-10-14T09:20:00.000-05:00,2026-10-14,CA-NT,yes,"
    "forced_labour sexual_exploitation,1,1,Nadia,woman,101,0b7e-uuid-1,2026-10-15T10:00:00,,1\n"
)


def sheet(data: bytes, name: str) -> list[list]:
    """One worksheet of a workbook Harbour wrote (sheets: survey, choices, settings)."""
    index = {"survey": 1, "choices": 2, "settings": 3}[name]
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert f'name="{name}" sheetId="{index}"' in archive.read("xl/workbook.xml").decode()
    root = ET.fromstring(archive.read(f"xl/worksheets/sheet{index}.xml"))  # noqa: S314
    return [
        [xlsx._cell_value(c, [], set()) for c in row.findall(f"{xlsx.NS}c")]
        for row in root.iter(f"{xlsx.NS}row")
    ]


def test_the_xlsform_has_every_intake_question_with_both_languages() -> None:
    _name, data = xlsform.workbook(language="fr")
    survey = sheet(data, "survey")
    header = survey[0]
    assert header[:4] == ["type", "name", "label::English (en)", "label::Français (fr)"]
    names = [row[1] for row in survey[1:] if row[0] not in ("begin_group", "end_group")]
    assert "intake_date" in names and "given_name" in names and "status" not in names
    for row in survey[1:]:
        if row[0] not in ("begin_group", "end_group"):
            assert mapping.target_of(f"survivor/{row[1]}") is not None, row[1]
            assert row[2] and row[3], row[1]  # English and French labels
    by_name = {row[1]: dict(zip(header, row, strict=False)) for row in survey[1:]}
    assert by_name["given_name"]["relevant"] == "${consent_to_record} = 'yes'"
    assert by_name["intake_date"]["required"] == "yes"
    assert "today()" in by_name["intake_date"]["constraint"]
    assert by_name["exploitation_types"]["type"] == "select_multiple exploitation_type"


def test_every_select_list_has_its_choices() -> None:
    _name, data = xlsform.workbook()
    survey, choices = sheet(data, "survey"), sheet(data, "choices")
    lists = {row[0] for row in choices[1:]}
    for row in survey[1:]:
        if str(row[0]).startswith("select_"):
            assert row[0].split()[1] in lists
    settings = sheet(data, "settings")
    assert settings[1][1] == "harbour_intake" and settings[1][3] == "English (en)"


def test_kobo_csv_submissions_import_and_are_not_imported_twice(supervisor) -> None:
    job = actions.create_import_job(by=supervisor, data=KOBO_CSV.encode(), dry_run=False)
    job = actions.run_import_job(job_id=job.pk)
    assert job.status == JobStatus.DONE, job.problems
    case = Case.objects.get()
    assert case.exploitation_types == ["forced_labour", "sexual_exploitation"]
    assert case.consent_to_record is True and case.intake_province == "CA-NT"
    assert read_values(case.survivor, with_identity=True)["given_name"] == "Nadia"
    # The same submission again, exported later with another timestamp: still one case.
    later = KOBO_CSV.replace("2026-10-15T10:00:00", "2026-10-16T11:00:00")
    again = actions.run_import_job(
        job_id=actions.create_import_job(by=supervisor, data=later.encode(), dry_run=False).pk
    )
    assert again.status == JobStatus.DONE and again.existing_count == 1
    assert Case.objects.count() == 1


def test_kobo_json_and_odk_central_csv(supervisor) -> None:
    kobo_json = {
        "count": 1,
        "results": [
            {
                "case/intake_date": "2026-10-14",
                "case/intake_province": "CA-YT",
                "case/consent_to_record": "no",
                "case/current_needs": "safe_housing legal",
                "_uuid": "a1",
                "_attachments": [],
                "meta/instanceID": "uuid:a1",
            }
        ],
    }
    job = actions.run_import_job(
        job_id=actions.create_import_job(
            by=supervisor, data=json.dumps(kobo_json).encode(), dry_run=False
        ).pk
    )
    assert job.status == JobStatus.DONE, job.problems
    odk = (
        "SubmissionDate,case-intake_date,case-intake_province,case-consent_to_record,"
        "meta-instanceID,KEY,SubmitterID,SubmitterName,AttachmentsPresent,AttachmentsExpected,"
        "Status,ReviewState,DeviceID,Edits,FormVersion\n"
        "2026-10-15T10:00:00.000Z,2026-10-12,CA-NU,yes,uuid:b2,uuid:b2,5,collector,0,0,,,,0,1.0\n"
    )
    job = actions.run_import_job(
        job_id=actions.create_import_job(by=supervisor, data=odk.encode(), dry_run=False).pk
    )
    assert job.status == JobStatus.DONE, job.problems
    assert set(Case.objects.values_list("intake_province", flat=True)) == {"CA-YT", "CA-NU"}


def test_a_submission_with_bad_values_is_reported_by_column(supervisor) -> None:
    bad = KOBO_CSV.replace(",CA-NT,", ",CA-XX,").replace(",woman,", ",martian,")
    job = actions.run_import_job(
        job_id=actions.create_import_job(by=supervisor, data=bad.encode(), dry_run=False).pk
    )
    columns = {p["column"] for p in job.problems}
    assert job.status == JobStatus.FAILED
    assert {"D (case.intake_province)", "J (survivor.gender_identity)"} <= columns


@pytest.mark.parametrize("language", ["en", "fr"])
def test_pyxform_converts_the_xlsform_without_errors_or_warnings(tmp_path, language) -> None:
    from pyxform.xls2xform import convert

    _name, data = xlsform.workbook(language=language)
    path = tmp_path / "intake.xlsx"
    path.write_bytes(data)
    result = convert(xlsform=str(path), validate=False)
    assert result.warnings == []
    xform = result.xform
    assert '<translation lang="Français (fr)"' in xform
    assert 'nodeset="/data/case/intake_date"' in xform and "today()" in xform
    assert 'nodeset="/data/survivor/given_name"' in xform
    assert "${consent_to_record}" not in xform  # resolved to a path by pyxform
    assert "/data/case/consent_to_record" in xform


def test_a_kobo_xlsx_export_written_by_another_tool_imports(supervisor, tmp_path) -> None:
    """A workbook as KoBoToolbox exports it (written here with openpyxl: shared strings, real
    date cells with a date format, numbers), with group prefixes and multi-select columns."""
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        ["start", "case/intake_date", "case/intake_province", "case/consent_to_record",
         "case/age_when_trafficked", "case/exploitation_types",
         "case/exploitation_types/forced_labour", "survivor/mobile_phone", "_uuid"]
    )  # fmt: skip
    sheet.append(
        [dt.datetime(2026, 10, 14, 9, 0), dt.date(2026, 10, 14), "CA-BC", "yes", 17,
         "forced_labour", 1, 4165550199, "kobo-xlsx-1"]
    )  # fmt: skip
    sheet["B2"].number_format = "yyyy-mm-dd"
    path = tmp_path / "kobo.xlsx"
    book.save(path)
    job = actions.run_import_job(
        job_id=actions.create_import_job(by=supervisor, data=path.read_bytes(), dry_run=False).pk
    )
    assert job.status == JobStatus.DONE, job.problems
    case = Case.objects.get()
    assert str(case.intake_date) == "2026-10-14" and case.age_when_trafficked == 17
    assert read_values(case.survivor, with_identity=True)["mobile_phone"] == "+14165550199"
