"""The care map: pathway stages, ranking, eligibility, gaps, from a case, and the handout."""

import datetime as dt
import html

import pytest
from django.test import Client

from harbour.audit.actions import SystemActor
from harbour.directory import actions, index, nearby, policy, queries
from harbour.directory.models import SearchEntry
from harbour.directory.pathway import pathway
from harbour.directory.places import resolve
from harbour.directory.tests.conftest import make_service, place

pytestmark = pytest.mark.django_db
PUBLIC = policy.PUBLIC_AUDIENCE


def _stage(cmap: queries.CareMap, code: str) -> queries.StageResult:
    return next(s for s in cmap.stages if s.stage.code == code)


def test_every_stage_is_listed_in_order_and_needed_ones_are_marked(world) -> None:
    cmap = queries.care_map(
        PUBLIC, resolve("Toronto"), ["safe_housing", "trauma_care"], queries.Profile()
    )
    assert [s.stage.code for s in cmap.stages] == pathway().stage_codes()
    assert {s.stage.code for s in cmap.stages if s.needed} == {"shelter", "trauma"}
    assert _stage(cmap, "trauma").is_gap  # nothing offers trauma therapy in this world


def test_eligibility_excludes_only_explicit_refusals(world) -> None:
    toronto = resolve("Toronto")
    using = queries.care_map(
        PUBLIC, toronto, ["emergency_shelter"], queries.Profile(addiction=True, gender="woman")
    )
    names = {m.name for m in _stage(using, "shelter").matches}
    assert "Lighthouse Emergency Shelter" not in names  # says no to people using substances
    assert "Lighthouse Safe House" in names
    man = queries.care_map(PUBLIC, toronto, ["emergency_shelter"], queries.Profile(gender="man"))
    names = {m.name for m in _stage(man, "shelter").matches}
    assert names == {"Lighthouse Emergency Shelter"}  # the safe house serves women only


def test_ranking_prefers_fit_vacancy_and_language(world) -> None:
    provider = world.provider
    near_full = make_service(
        provider,
        "Full Shelter Next Door",
        ["emergency_shelter"],
        capacity_unit="beds",
        capacity_total=10,
        capacity_available=0,
    )
    place(
        near_full,
        city="Toronto",
        province="CA-ON",
        street="1 King St",
        postal="M5H 1A1",
        lat=43.6487,
        lon=-79.3817,
    )
    cmap = queries.care_map(
        PUBLIC, resolve("M5V"), ["emergency_shelter"], queries.Profile(language="spa")
    )
    ranked = [m.name for m in _stage(cmap, "shelter").matches]
    assert ranked.index("Lighthouse Emergency Shelter") < ranked.index("Full Shelter Next Door")
    top = _stage(cmap, "shelter").matches[0]
    assert {"vacancy", "language", "meets_need"} <= set(top.reasons)


def test_a_closed_service_is_left_out(world) -> None:
    today = dt.date(2026, 10, 1)
    actions.add_closure(
        by=SystemActor("t"),
        service=world.public_shelter,
        starts_on=dt.date(2026, 9, 15),
        ends_on=dt.date(2026, 11, 30),
        reason="Finding winter shelter",
    )
    cmap = queries.care_map(PUBLIC, resolve("Toronto"), [], queries.Profile(), today=today)
    names = {m.name for m in _stage(cmap, "shelter").matches}
    assert "Lighthouse Emergency Shelter" not in names
    later = queries.care_map(
        PUBLIC, resolve("Toronto"), [], queries.Profile(), today=dt.date(2026, 12, 5)
    )
    assert "Lighthouse Emergency Shelter" in {m.name for m in _stage(later, "shelter").matches}


def test_closures_and_seasons_are_kept_in_the_index(world) -> None:
    june = (dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    dates = index.dates_text([june], [(dt.date(2026, 5, 1), None)])
    assert dates == "c:2026-06-01/2026-06-30 s:2026-05-01/"
    assert index.open_on(dates, dt.date(2026, 7, 1)) and index.open_on("", dt.date(2026, 7, 1))
    assert not index.open_on(dates, dt.date(2026, 6, 15))  # closed
    assert not index.open_on(dates, dt.date(2026, 4, 30))  # out of season
    closure = actions.add_closure(
        by=SystemActor("t"), service=world.public_shelter, starts_on=june[0], ends_on=june[1]
    )
    rows = SearchEntry.objects.filter(service=world.public_shelter)
    assert {r.dates for r in rows} == {"c:2026-06-01/2026-06-30"}
    actions.remove_closure(by=SystemActor("t"), closure=closure)
    assert {r.dates for r in rows.all()} == {""}


def test_growing_boxes_find_what_one_wide_box_finds(demo_world) -> None:
    """The care map's rounds (a 10 km box first, then as wide as the density seen suggests)
    return exactly the rows one query over each stage's whole reasonable distance returns."""
    radii = {s.code: s.radius_km for s in pathway().stages}

    def found(rows: dict) -> dict:
        return {
            c: sorted((r["distance_km"], str(r["service_id"])) for r in v) for c, v in rows.items()
        }

    for where in ("Toronto", "Kamloops", "Moncton", "Yellowknife", "Iqaluit"):
        place = resolve(where)
        for profile in (queries.Profile(), queries.Profile(age=19, gender="woman", addiction=True)):
            base = queries._base(PUBLIC, profile)
            for limit in (2, 6, queries.NEAR_CANDIDATES):
                grown, _area = nearby.near_rows(base, place, radii, limit)
                wide, _area = nearby.near_rows(base, place, radii, limit, start=radii)
                assert found(grown) == found(wide), (where, profile, limit)


def test_south_and_north(world) -> None:
    south = queries.care_map(PUBLIC, resolve("Toronto"), ["emergency_shelter"], queries.Profile())
    assert not _stage(south, "shelter").is_gap
    north = queries.care_map(
        PUBLIC, resolve("Iqaluit"), ["emergency_shelter", "physical_health"], queries.Profile()
    )
    shelter = _stage(north, "shelter")
    assert shelter.is_gap and shelter.alternatives
    assert all(m.distance_km and m.distance_km > 1500 for m in shelter.alternatives)
    assert _stage(north, "health").matches[0].name == "Iqaluit Community Clinic"
    crisis = _stage(north, "crisis")
    assert crisis.matches[0].name == "National Trafficking Support Line"


def test_pages_handle_unknown_places_and_contradictions(world) -> None:
    client = Client()
    page = client.get("/directory/care-map/?place=Atlantis").content.decode()
    assert "Harbour does not know this place" in page
    page = client.get("/directory/care-map/?place=Z9Z").content.decode()
    assert "Harbour does not know this" in page
    page = client.get("/directory/care-map/?place=Toronto&interpreter=on").content.decode()
    assert "Choose the language to interpret into" in page
    page = client.get("/directory/?radius=50").content.decode()
    assert "Choose a place to search within a distance" in page
    page = client.get("/directory/care-map/?place=Toronto&age=300").content.decode()
    assert "error-summary" in page


def test_the_handout_is_bilingual(world) -> None:
    raw = (
        Client()
        .get("/directory/care-map/handout/?place=Toronto&needs=emergency_shelter")
        .content.decode()
    )
    page = html.unescape(raw)
    assert "Shelter or safe housing" in page and "Hébergement d'urgence ou sécuritaire" in page
    assert "Your care map" in page and "Votre parcours de soins" in page
    # French typography, and phone numbers that do not break across lines when printed
    assert "Téléphone\u00a0: +1\u00a0" in page and "Phone: +1\u00a0" in page
    assert "style=" not in raw and "<script>" not in raw


def test_from_a_case(world, make_case, caseworker, client_for, outsider) -> None:
    case = make_case(
        caseworker,
        survivor={"estimated_age": 29, "primary_language": "spa"},
        case={"current_needs": ["emergency_shelter", "legal"], "intake_city": "Toronto"},
    )
    page = client_for(caseworker).get(f"/directory/care-map/case/{case.pk}/").content.decode()
    assert "Lighthouse Emergency Shelter" in page and case.reference in page
    assert 'value="Toronto, ON"' in page
    assert client_for(outsider).get(f"/directory/care-map/case/{case.pk}/").status_code == 404
    assert Client().get(f"/directory/care-map/case/{case.pk}/").status_code == 302
