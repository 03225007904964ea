"""The statistics API: figures only from published releases; analysts define and review;
researchers request; bad input is a clear refusal with nothing changed."""

import pytest

from harbour.stats.models import Release

pytestmark = pytest.mark.django_db
API = "/api/v1/statistics"


def test_analysts_define_review_and_publish_over_the_api(
    counted_cases, analyst, reviewer, api_for, budget
) -> None:
    author, second = api_for(analyst), api_for(reviewer)
    assert len(author.get(f"{API}/catalogue").json()) >= 10
    made = author.post(
        f"{API}/releases",
        {"title": "By year", "row_variable": "year", "method": "dp", "epsilon": "0.5"},
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["table"] is None
    release_id = made.json()["id"]
    assert author.post(f"{API}/releases/{release_id}/publish").status_code == 403
    published = second.post(f"{API}/releases/{release_id}/publish")
    assert published.status_code == 200
    body = published.json()
    assert body["metadata"]["epsilon"] == "0.500" and body["metadata"]["error_95"] >= 1
    assert author.get(f"{API}/budget").json()["epsilon_spent"] == "0.500"
    assert author.get(f"{API}/releases/{release_id}").status_code == 200
    draft = author.post(
        f"{API}/releases",
        {"title": "Draft", "row_variable": "gender", "method": "suppression"},
        content_type="application/json",
    ).json()
    assert second.post(f"{API}/releases/{draft['id']}/reject").json()["status"] == "rejected"


def test_bad_definitions_and_forbidden_variables_are_refused(analyst, api_for) -> None:
    client = api_for(analyst)
    for payload in (
        {"title": "x", "row_variable": "family_name", "method": "suppression"},
        {"title": "x", "row_variable": "year", "method": "dp", "epsilon": "1e9"},
        {"title": "x", "row_variable": "year", "method": "dp"},
        {"title": "x", "row_variable": "year", "method": "suppression", "first_year": "soon"},
    ):
        answer = client.post(f"{API}/releases", payload, content_type="application/json")
        assert answer.status_code in {400, 422}, payload
        assert "error" in answer.json()
    assert Release.objects.count() == 0


def test_others_see_published_releases_only(counted_cases, analyst, caseworker, api_for) -> None:
    made = api_for(analyst).post(
        f"{API}/releases",
        {"title": "Draft", "row_variable": "gender", "method": "suppression"},
        content_type="application/json",
    )
    client = api_for(caseworker)
    assert client.get(f"{API}/releases").json() == []
    assert client.get(f"{API}/releases/{made.json()['id']}").status_code == 404
    assert client.get(f"{API}/budget").status_code == 404
    assert client.post(f"{API}/releases", {}, content_type="application/json").status_code in {
        404,
        422,
    }


def test_researchers_request_and_analysts_decide(researcher, analyst, api_for) -> None:
    purpose = {"purpose": "Recruitment pathways study, ethics approval REB-2026-114."}
    made = api_for(researcher).post(f"{API}/extracts", purpose, content_type="application/json")
    assert made.status_code == 201
    assert len(api_for(researcher).get(f"{API}/extracts").json()) == 1
    decided = api_for(analyst).post(
        f"{API}/extracts/{made.json()['id']}/decision",
        {"approve": False},
        content_type="application/json",
    )
    assert decided.status_code == 200 and decided.json()["status"] == "refused"
    short = api_for(researcher).post(
        f"{API}/extracts", {"purpose": "x"}, content_type="application/json"
    )
    assert short.status_code == 422


def test_data_quality_for_analysts_only(counted_cases, analyst, caseworker, api_for) -> None:
    answer = api_for(analyst).get(f"{API}/quality")
    assert answer.status_code == 200
    body = answer.json()
    assert body["contributors"][0]["cases"] == 28 and "CA-ON" in body["silent_provinces"]
    assert api_for(caseworker).get(f"{API}/quality").status_code == 404


HOSTILE = ["a\x00b", "\u202eevil", "x" * 5000, "line\nbreak", "", " ", "951473832028663808"]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_refused_cleanly(analyst, researcher, api_for, text) -> None:
    release = api_for(analyst).post(
        f"{API}/releases",
        {"title": text, "title_fr": text, "row_variable": "year", "method": "suppression"},
        content_type="application/json",
    )
    assert release.status_code in {201, 400, 422}
    extract = api_for(researcher).post(
        f"{API}/extracts",
        {"purpose": text * 3, "first_year": 951473832028663808},
        content_type="application/json",
    )
    assert extract.status_code in {400, 422}


@pytest.mark.parametrize("epsilon", ["sNaN", "Infinity", "-0", "1e-400", "0.0001", "10.001", "١"])
def test_odd_epsilons_are_refused(analyst, api_for, epsilon) -> None:
    answer = api_for(analyst).post(
        f"{API}/releases",
        {"title": "T", "row_variable": "year", "method": "dp", "epsilon": epsilon},
        content_type="application/json",
    )
    assert answer.status_code == 422
