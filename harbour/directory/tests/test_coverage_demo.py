"""Coverage and disparities on the demo directory; places; the taxonomy's completeness."""

import csv
import io
import random
import warnings

import pytest
from django.core.cache import cache
from django.core.cache.backends.base import memcache_key_warnings
from django.test import Client

from harbour.core.errors import InvalidInput
from harbour.directory import actions, coverage, demo, policy, queries
from harbour.directory.models import Confidentiality, Location, Service
from harbour.directory.pathway import pathway
from harbour.directory.places import Nearest, km_between, provinces, resolve
from harbour.directory.tests.conftest import SYSTEM
from harbour.standard.dictionary import current

compute_services = coverage.compute_services

pytestmark = pytest.mark.django_db


def test_the_demo_directory(demo_world) -> None:
    assert demo_world >= 300
    assert Service.objects.count() == demo_world
    assert {loc.province for loc in Location.objects.all()} == set(provinces())
    assert Location.objects.filter(confidentiality=Confidentiality.HIDDEN).exists()
    assert Location.objects.filter(confidentiality=Confidentiality.PARTNERS).exists()
    assert not Service.objects.filter(is_synthetic=False).exists()
    assert all(s.name.endswith("(demo)") for s in Service.objects.filter(org__isnull=True))


def test_the_demo_is_deterministic_for_a_seed() -> None:
    plan = lambda: [(p.term, p.city.name) for p in demo._plan(random.Random(3), [])]  # noqa: E731
    assert plan() == plan()
    assert plan() != [(p.term, p.city.name) for p in demo._plan(random.Random(4), [])]


def test_the_disparity_view_shows_the_north_thin(demo_world) -> None:
    data = coverage.compute(policy.system_audience())
    for territory in ("CA-YT", "CA-NT", "CA-NU"):
        assert (
            data.cell(territory, "shelter").share_far > 0
            or data.cell(territory, "health").people_far > 0
        )
        assert data.cell(territory, "housing").services <= 2
    assert (
        data.cell("CA-ON", "shelter").share_far < data.cell("CA-NU", "shelter").share_far
        or data.cell("CA-NU", "shelter").services == 0
    )
    ranking = data.ranking()
    assert ranking and ranking[0].people_far >= ranking[-1].people_far


def test_demand_is_suppressed_below_ten(world, make_case, caseworker) -> None:
    for _i in range(3):
        make_case(caseworker, case={"current_needs": ["safe_housing"]})
    data = coverage.compute(policy.PUBLIC_AUDIENCE)
    assert data.cell("CA-ON", "shelter").demand is None  # 3 cases: suppressed
    assert data.cell("CA-BC", "shelter").demand == 0


def test_nearest_distances_are_exact() -> None:
    """Coverage asks for the distance from every population centre to the nearest service of
    every stage: the banded search must give what comparing with every point gives."""
    rng = random.Random(5)
    for count in (0, 1, 3, 40, 800):
        points = [(rng.uniform(42, 83), rng.uniform(-141, -52)) for _i in range(count)]
        points += points[: count // 4]  # services at the same place
        nearest = Nearest(points)
        for _i in range(40):
            lat, lon = rng.uniform(42, 83), rng.uniform(-141, -52)
            want = min((km_between(lat, lon, *p) for p in points), default=None)
            got = nearest.km(lat, lon)
            assert got is None if want is None else got == pytest.approx(want, abs=1e-6)
        for lat, lon in points[:10]:
            assert nearest.km(lat, lon) == pytest.approx(0, abs=1e-6)


def test_coverage_is_cached_under_a_safe_key_until_the_data_changes(
    world, make_case, caseworker, monkeypatch
) -> None:
    make_case(caseworker)  # the data version now holds a timestamp (spaces, colons)
    key = cache.make_key(coverage.cache_key(policy.PUBLIC_AUDIENCE))
    assert list(memcache_key_warnings(key)) == []
    computed = []

    def counted(aud: policy.Audience) -> coverage.Coverage:
        computed.append(aud)
        return compute_services(aud)

    monkeypatch.setattr(coverage, "compute_services", counted)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # CacheKeyWarning included
        before = coverage.coverage(policy.PUBLIC_AUDIENCE)
        assert coverage.coverage(policy.PUBLIC_AUDIENCE) == before and len(computed) == 1
    # A caseworker's work changes demand, not distances: nothing is recomputed but the counts.
    for _i in range(10):
        make_case(caseworker, case={"current_needs": ["safe_housing"]})
    busier = coverage.coverage(policy.PUBLIC_AUDIENCE)
    assert len(computed) == 1
    assert before.cell("CA-ON", "shelter").demand is None  # one case: suppressed
    assert (busier.cell("CA-ON", "shelter").demand or 0) >= 10
    actions.update_service(by=SYSTEM, service=world.public_shelter, values={"capacity_total": 30})
    after = coverage.coverage(policy.PUBLIC_AUDIENCE)
    assert len(computed) == 2
    assert after.cell("CA-ON", "shelter").capacity == before.cell("CA-ON", "shelter").capacity + 10


def test_coverage_page_map_and_csv(world) -> None:
    client = Client()
    page = client.get("/directory/coverage/?stage=health").content.decode()
    assert page.count("<path ") == 13 and 'class="canada-map"' in page
    assert "style=" not in page.split("<main")[1]
    # Provinces without a service have no capacity (0), which is not a suppressed figure.
    assert 'class="bar suppressed"' not in page
    response = client.get("/directory/coverage/coverage.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "province" and len(rows) == 1 + 13 * len(pathway().stages)
    assert client.get("/directory/coverage/CA-NU/").status_code == 200
    assert client.get("/directory/coverage/XX/").status_code == 404


def test_csv_cells_cannot_become_formulas() -> None:
    from harbour.directory.views import safe_cell

    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and safe_cell("-3") == "'-3"
    assert safe_cell(3) == 3 and safe_cell(None) == ""


@pytest.mark.parametrize(
    "text,kind,province",
    [
        ("Toronto", "city", "CA-ON"),
        ("toronto", "city", "CA-ON"),
        ("Montreal", "city", "CA-QC"),
        ("Québec", "province", "CA-QC"),
        ("NU", "province", "CA-NU"),
        ("PEI", "province", "CA-PE"),
        ("X0A", "postal_code", "CA-NU"),
        ("m5v 3l9", "postal_code", "CA-ON"),
        ("Kingston, ON", "city", "CA-ON"),
        ("Whitehorse", "city", "CA-YT"),
    ],
)
def test_places_resolve(text, kind, province) -> None:
    found = resolve(text)
    assert (found.kind, found.province) == (kind, province)


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "Enter a city"),
        ("Atlantis", "does not know this place"),
        ("Z9Z", "does not know this place"),
        ("Y9Z", "does not know this postal code"),
        ("Toronto, XX", "After the comma"),
        ("Torontoo", "Did you mean"),
    ],
)
def test_unknown_places_are_explained(text, message) -> None:
    with pytest.raises(InvalidInput) as error:
        resolve(text)
    assert message in str(error.value.errors["place"][0])


def test_the_taxonomy_covers_the_dictionary() -> None:
    needs = {c.code for c in current().codelists["need"].codes}
    assert needs == set(pathway().needs)
    service_types = {c.code for c in current().codelists["service_type"].codes}
    assert service_types <= set(pathway().terms)
    for stage in pathway().stages:
        assert stage.label.en and stage.label.fr and set(stage.terms) <= set(pathway().terms)
    for term in pathway().terms.values():
        assert term.label.en and term.label.fr
    mapped = {n for n, mp in pathway().needs.items() if mp.stage}
    assert needs - mapped == {"other", "interpretation"}


def test_search_page_finds_by_words_place_and_type(world) -> None:
    page = Client().get("/directory/?q=clinic&place=Iqaluit&radius=25").content.decode()
    assert "Iqaluit Community Clinic" in page and "1 service found" in page
    results = queries.search(policy.PUBLIC_AUDIENCE, term="crisis_line")
    assert [m.name for m in results.matches] == ["National Trafficking Support Line"]
