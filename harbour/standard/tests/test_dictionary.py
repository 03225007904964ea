"""The data dictionary: complete against HTCDS 2.0, bilingual, strictly loaded, versioned."""

import shutil
from pathlib import Path

import pytest
import yaml

from harbour.core.sensitivity import Sensitivity
from harbour.standard.dictionary import DATA_DIR, DictionaryError, Version, load_dictionary
from harbour.standard.exports import htcds_fields, htcds_mapping

D = load_dictionary()


def test_it_loads_with_entities_codelists_and_categories() -> None:
    assert {"survivor", "case", "trafficking_event", "screening", "referral"} <= set(D.entities)
    assert len(D.categories) == 8
    assert str(D.latest) == "1.1"


def test_every_htcds_core_field_is_mapped() -> None:
    unmapped = [r.field for r in htcds_mapping(D) if r.core and not r.mapped_by]
    assert unmapped == []
    assert sum(1 for r in htcds_mapping(D) if r.core) >= 40


def test_every_htcds_picklist_value_of_a_mapped_field_has_a_code() -> None:
    """Each HTCDS value name reaches one of our codes, so exports can be mapped back."""
    missing = []
    for row in htcds_fields():
        if "Picklist" not in row["type"] or " " in row["value_names"] or not row["value_names"]:
            continue
        mapped = [f for f in D.all_fields() if f.htcds and f.htcds.field == row["field"]]
        if not mapped and row["core"] != "core":
            continue  # a non-core HTCDS field Harbour does not adopt (e.g. perpetrators)
        ours = {c.htcds for f in mapped if f.codelist for c in f.codelist.codes}
        missing += [f"{row['field']}={v}" for v in row["value_names"].split("|") if v not in ours]
    assert missing == []


def test_canadian_needs_are_covered() -> None:
    provinces = D.codelists["province"]
    assert len(provinces.codes) == 13 and provinces.get("CA-NU") is not None
    quebec = provinces.get("CA-QC")
    assert quebec is not None and quebec.label.fr == "Québec"
    assert {"first_nations", "metis", "inuit"} <= {
        c.code for c in D.codelists["indigenous_identity"].codes
    }
    assert D.codelists["exploitation_type"].get("forced_criminality") is not None
    assert D.codelists["language"].get("iku") is not None  # Inuktitut
    assert D.codelists["language"].get("mic") is not None  # Mi'kmaq
    canada = D.codelists["country"].get("CA")
    assert canada is not None and canada.label.fr == "Canada"
    assert any("trp" in f.id for f in D.entity("survivor").fields)


def test_identifiers_and_free_text_are_classified_as_identifiers() -> None:
    survivor = D.entity("survivor")
    for field_id in ("given_name", "family_name", "birth_date", "email", "mobile_phone"):
        assert survivor.field(field_id).sensitivity == Sensitivity.IDENTIFIER
    assert all(
        f.sensitivity == Sensitivity.IDENTIFIER for f in D.all_fields() if f.type == "long_text"
    )


def test_every_field_belongs_to_a_consent_category() -> None:
    ids = {c.id for c in D.categories}
    assert all(f.category in ids for f in D.all_fields())


# --- strict loading -----------------------------------------------------------------------------


@pytest.fixture
def copy_of_dictionary(tmp_path: Path) -> Path:
    target = tmp_path / "dictionary"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        ("entities/case.yaml", lambda d: d["fields"][0]["label"].update(fr=""), "French"),
        ("entities/case.yaml", lambda d: d["fields"][0].update(colour="red"), "unknown keys"),
        ("entities/case.yaml", lambda d: d["fields"][0].update(type="money"), "unknown type"),
        ("entities/case.yaml", lambda d: d["fields"][0].update(sensitivity="low"), "sensitivity"),
        ("entities/case.yaml", lambda d: d["fields"][0].update(category="x"), "category"),
        (
            "entities/survivor.yaml",
            lambda d: d["fields"].append(dict(d["fields"][0])),
            "duplicate field",
        ),
        (
            "codelists/province.yaml",
            lambda d: d["codes"].append(dict(d["codes"][0])),
            "duplicate code",
        ),
        ("codelists/province.yaml", lambda d: d["codes"][0].update(code=True), "quoted"),
    ],
)
def test_a_broken_file_stops_loading_with_a_message_naming_it(
    copy_of_dictionary: Path, file: str, change, message: str
) -> None:
    _edit(copy_of_dictionary / file, change)
    with pytest.raises(DictionaryError) as info:
        load_dictionary.__wrapped__(copy_of_dictionary)
    assert message.lower() in str(info.value).lower()
    assert Path(file).name.split(".")[0] in str(info.value) or "dictionary" in str(info.value)


# --- versions -----------------------------------------------------------------------------------


def _add_version_1_1(directory: Path) -> None:
    """Version 1.1 retires a field and a code and adds a field."""

    def versions(d: dict) -> None:
        d["versions"].append(
            {
                "version": "1.1",
                "date": "2027-06-01",
                "notes": {"en": "Test release", "fr": "Version d'essai"},
            }
        )

    def case(d: dict) -> None:
        for f in d["fields"]:
            if f["id"] == "intake_method":
                f["deprecated"] = "1.1"
        d["fields"].append(
            {
                "id": "first_contact_channel",
                "label": {"en": "First contact", "fr": "Premier contact"},
                "type": "text",
                "sensitivity": "none",
                "category": "case_summary",
                "since": "1.1",
            }
        )

    def provinces(d: dict) -> None:
        d["codes"][0]["deprecated"] = "1.1"

    _edit(directory / "dictionary.yaml", versions)
    _edit(directory / "entities/case.yaml", case)
    _edit(directory / "codelists/province.yaml", provinces)


def test_a_new_version_adds_and_retires_without_breaking_old_records(
    copy_of_dictionary: Path,
) -> None:
    from harbour.core.errors import InvalidInput
    from harbour.standard.validation import validate

    _add_version_1_1(copy_of_dictionary)
    d = load_dictionary.__wrapped__(copy_of_dictionary)
    case = d.entity("case")
    v10, v11 = Version.parse("1.0"), Version.parse("1.1")
    retired_province = d.codelists["province"].codes[0].code
    assert "first_contact_channel" not in {f.id for f in case.offered_fields(v10)}
    assert "intake_method" not in {f.id for f in case.offered_fields(v11)}
    old = {"intake_method": "walk_in", "intake_province": retired_province}
    # An old record keeps its retired field and code...
    kept = validate(case, old, version=v11, existing=old, partial=True)
    assert kept["intake_province"] == retired_province
    # ...but new data cannot use them,
    with pytest.raises(InvalidInput) as info:
        validate(
            case,
            {"intake_province": retired_province, "intake_method": "walk_in"},
            version=v11,
            partial=True,
        )
    assert set(info.value.errors) == {"intake_province", "intake_method"}
    # and version 1.0 data cannot use the new field.
    with pytest.raises(InvalidInput):
        validate(case, {"first_contact_channel": "phone"}, version=v10, partial=True)
    assert validate(case, {"first_contact_channel": "phone"}, version=v11, partial=True)


def test_unknown_versions_are_refused() -> None:
    with pytest.raises(DictionaryError):
        D.version("9.9")
