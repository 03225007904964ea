"""Hidden locations' coarse service regions (docs/adr/0044): found near their region, not far
from it, counted in coverage inside it only, and never narrower than the region anywhere."""

import math
import re
from typing import Any

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from harbour.directory import coverage, index, policy, queries, regions
from harbour.directory.models import HiddenRegion, Location, SearchEntry
from harbour.directory.places import km_between, resolve
from harbour.directory.tests.conftest import HIDDEN_LAT, HIDDEN_LON, HIDDEN_POSTAL, SYSTEM
from harbour.directory.tests.test_confidentiality import HIDDEN_SECRETS, _assert_no, _text, _urls

pytestmark = pytest.mark.django_db
latitudes = st.floats(min_value=41.6, max_value=83.2, allow_nan=False)
longitudes = st.floats(min_value=-141.0, max_value=-52.6, allow_nan=False)
reaches = st.sampled_from(regions.REACHES_KM)


@given(latitudes, longitudes, reaches)
def test_the_region_always_holds_the_true_position(lat: float, lon: float, reach: int) -> None:
    centre = regions.cell_centre(lat, lon, reach)
    assert km_between(lat, lon, *centre) <= reach


@given(latitudes, longitudes, latitudes, longitudes, reaches)
def test_the_region_depends_on_the_cell_alone(
    lat: float, lon: float, lat2: float, lon2: float, reach: int
) -> None:
    """Two positions in one cell give the same centre: the region tells nothing finer."""
    scale = reach / 100
    same_cell = math.floor(lat / scale) == math.floor(lat2 / scale) and math.floor(
        lon / (1.5 * scale)
    ) == math.floor(lon2 / (1.5 * scale))
    if same_cell:
        assert regions.cell_centre(lat, lon, reach) == regions.cell_centre(lat2, lon2, reach)
    else:
        assert regions.cell_centre(lat, lon, reach) != regions.cell_centre(lat2, lon2, reach)


def test_a_region_reach_outside_the_choices_is_refused() -> None:
    from harbour.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        regions.region_for(HIDDEN_LAT, HIDDEN_LON, 7)
    assert "region_km" in caught.value.errors


def _region(world: Any) -> HiddenRegion:
    return HiddenRegion.objects.get(location=world.hidden_location)


def test_a_hidden_location_gets_a_coarse_region_and_its_index_rows_carry_only_that(world) -> None:
    region = _region(world)
    assert (region.latitude, region.longitude, region.km) == (43.5, -78.75, 100)
    assert "Toronto" not in region.label  # named from the cell, not from the house
    rows = SearchEntry.objects.filter(service=world.safe_house)
    assert rows and all(r.latitude is None and r.longitude is None for r in rows)
    assert {(r.region_latitude, r.region_longitude, r.region_km) for r in rows} == {
        (43.5, -78.75, 100)
    }


def _found(world: Any, where: str) -> bool:
    cmap = queries.care_map(
        policy.PUBLIC_AUDIENCE, resolve(where), ["safe_housing"], queries.Profile(gender="woman")
    )
    matches = [m for s in cmap.stages for m in s.matches + s.alternatives]
    return any(m.service_id == world.safe_house.pk for m in matches)


def test_the_care_map_finds_the_safe_house_near_its_region_and_not_far_from_it(world) -> None:
    assert _found(world, "Oshawa")  # ~45 km from the region's centre
    assert _found(world, "Toronto")
    assert not _found(world, "Ottawa")  # same province, ~300 km away: before, it matched
    assert not _found(world, "Thunder Bay")


def test_directory_search_and_the_hsds_api_follow_the_region(world) -> None:
    near = queries.search(policy.PUBLIC_AUDIENCE, text="safe house", place=resolve("Oshawa"))
    far = queries.search(policy.PUBLIC_AUDIENCE, text="safe house", place=resolve("Ottawa"))
    assert [m.service_id for m in near.matches] == [world.safe_house.pk]
    assert far.matches == []
    client = Client()
    names = lambda url: [s["name"] for s in client.get(url).json()["contents"]]  # noqa: E731
    assert "Lighthouse Safe House" in names("/hsds/services?postcode=L1H&proximity=1000")
    assert "Lighthouse Safe House" not in names("/hsds/services?postcode=K1A&proximity=1000")


def test_a_region_widened_by_its_provider_reaches_further(world) -> None:
    from harbour.directory import actions

    assert not _found(world, "London, ON")  # ~210 km from the 100 km region's centre
    actions.save_location(
        by=SYSTEM,
        service=world.safe_house,
        location=world.hidden_location,
        values={"confidentiality": "hidden", "region_km": 400, "location_type": "physical"},
        address={"city": "Toronto", "state_province": "CA-ON"},
    )
    assert _region(world).km == 400
    assert _found(world, "London, ON")  # the 400 km grid's cell is centred at 42° N, 81° W


def test_coverage_counts_the_safe_house_inside_its_region_only(world) -> None:
    def distances() -> dict[str, float | None]:
        cell = coverage.compute(policy.PUBLIC_AUDIENCE).cell("CA-ON", "shelter")
        return {town.name: km for town, km in cell.centres}

    with_region = distances()
    HiddenRegion.objects.all().delete()
    index.refresh([world.safe_house.pk])
    without = distances()
    # Cobourg: 69 km from the region's centre, 103 km from the public shelter in Toronto
    assert with_region["Cobourg"] is not None and without["Cobourg"] is not None
    assert with_region["Cobourg"] < 75 < 100 < without["Cobourg"]
    # Ottawa is outside the region: the safe house changes nothing there
    assert with_region["Ottawa"] == without["Ottawa"]


@pytest.mark.parametrize("who", ["public", "other_org_staff"])
def test_every_page_api_and_export_shows_at_most_the_region(
    who, world, make_user, other_org, client_for
) -> None:
    client = Client() if who == "public" else client_for(make_user("supervisor", other_org))
    region = str(regions.Region(43.5, -78.75, 100, _region(world).label))
    shown = False
    for url in [*_urls(world), "/directory/care-map/?place=Oshawa&needs=safe_housing"]:
        response = client.get(url)
        assert response.status_code in {200, 404}, url
        # a random CSRF token may spell "M4Y" by chance; it is no secret
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", _text(response))
        secrets = [x for x in HIDDEN_SECRETS if x.lower() not in url.lower()]
        _assert_no(secrets, text, f"{who} {url}")
        shown = shown or region in text
    assert shown
    page = client.get(f"/directory/services/{world.safe_house.pk}/").content.decode()
    assert region in page


def test_the_provider_chooses_the_region_in_the_location_form(
    world, supervisor, client_for
) -> None:
    client = client_for(supervisor)
    url = f"/directory/manage/{world.safe_house.pk}/locations/{world.hidden_location.pk}/"
    form = client.get(url).content.decode()
    assert 'name="region_km"' in form
    data = {
        "name": "Lighthouse Safe House",
        "location_type": "physical",
        "confidentiality": "hidden",
        "address_1": "1313 Mockingbird Lane",
        "city": "Toronto",
        "state_province": "CA-ON",
        "postal_code": HIDDEN_POSTAL,
        "latitude": HIDDEN_LAT,
        "longitude": HIDDEN_LON,
        "region_km": "200",
    }
    assert client.post(url, data).status_code == 302
    assert _region(world).km == 200
    refused = client.post(url, dict(data, region_km="7"))
    assert refused.status_code == 200 and _region(world).km == 200
    client.cookies["django_language"] = "fr"
    french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Région de service" in french


def test_a_location_made_public_loses_its_region(world) -> None:
    from harbour.directory import actions

    actions.save_location(
        by=SYSTEM,
        service=world.safe_house,
        location=Location.objects.get(pk=world.hidden_location.pk),
        values={"confidentiality": "public", "location_type": "physical"},
        address={"address_1": "1 Open Street", "city": "Toronto", "state_province": "CA-ON"},
    )
    assert not HiddenRegion.objects.exists()
    assert not SearchEntry.objects.filter(region_km__isnull=False).exists()


def test_the_demo_safe_houses_have_regions(demo_world) -> None:
    hidden = Location.objects.filter(confidentiality="hidden")
    assert hidden.exists()
    assert HiddenRegion.objects.filter(location__in=hidden).count() == hidden.count()
    rows = SearchEntry.objects.filter(confidentiality="hidden")
    assert rows.exists() and not rows.filter(region_km__isnull=True).exists()


def test_the_regions_command_fills_hidden_locations_without_one(world) -> None:
    from django.core.management import call_command

    from harbour.audit.models import AuditEvent

    HiddenRegion.objects.all().delete()
    index.refresh([world.safe_house.pk])
    assert _found(world, "Ottawa")  # without a region: matched anywhere in its province
    call_command("directory_regions")
    assert _region(world).km == regions.DEFAULT_REACH_KM
    assert not _found(world, "Ottawa") and _found(world, "Oshawa")
    assert AuditEvent.objects.filter(action="directory.location.region_filled").count() == 1
    call_command("directory_regions")  # nothing left to do
    assert AuditEvent.objects.filter(action="directory.location.region_filled").count() == 1


def test_a_place_looks_for_a_region_once_and_only_for_a_hidden_location(world) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def region_queries(location: Location) -> int:
        with CaptureQueriesContext(connection) as seen:
            policy.shown_place(policy.PUBLIC_AUDIENCE, location)
        return sum("directory_hiddenregion" in q["sql"] for q in seen.captured_queries)

    public = Location.objects.filter(confidentiality="public").first()
    assert public is not None and region_queries(public) == 0
    assert region_queries(world.hidden_location) == 1
