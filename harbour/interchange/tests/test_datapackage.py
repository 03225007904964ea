"""The Frictionless data package of an organisation's own cases is valid under Frictionless."""

import io
import json
import zipfile

import pytest
from frictionless import validate

from harbour.interchange import actions

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("identifying", [False, True])
def test_the_data_package_validates(supervisor, make_case, tmp_path, identifying) -> None:
    make_case(supervisor, case={"needs_notes": "-call first", "recruitment_province": "CA-QC"})
    make_case(supervisor, survivor={"given_name": "Zoé"}, case={"intake_date": "2026-09-01"})
    _name, _type, data = actions.export_cases(
        by=supervisor, fmt="datapackage", identifying=identifying
    )
    zipfile.ZipFile(io.BytesIO(data)).extractall(tmp_path)
    descriptor = json.loads((tmp_path / "datapackage.json").read_text())
    assert "Human Trafficking Case Data Standard" in descriptor["sources"][0]["title"]
    names = [f["name"] for f in descriptor["resources"][0]["schema"]["fields"]]
    assert ("given_name" in names) is identifying
    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.stats["tasks"] == 1
