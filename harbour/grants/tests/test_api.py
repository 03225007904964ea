"""The grants API: reading as anyone with a token, writing as the right role, bad input refused."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from harbour.grants import actions
from harbour.grants.models import Committee, Program
from harbour.grants.tests.conftest import PROGRAM, SYSTEM

pytestmark = pytest.mark.django_db
BASE = "/api/v1/grants"


def _json(client: Client, method: str, url: str, body: Any = None, **headers: Any) -> Any:
    response = getattr(client, method)(
        url,
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
        **headers,
    )
    return response.status_code, response.json()


def test_reading(
    api_for: Callable[[Any], Client], caseworker: Any, program: Program, org: Any, analyst: Any
) -> None:
    actions.save_profile(by=SYSTEM, org=org, values_in={"group": "ngos", "regions": ["CA-ON"]})
    actions.save_award(
        by=SYSTEM,
        org=org,
        program=program,
        values_in={
            "amount": 1000,
            "starts_on": "2026-04-01",
            "ends_on": "2027-03-31",
            "province": "CA-ON",
            "pillars": ["protection"],
            "purpose_en": "Outreach",
        },
    )
    committee = actions.save_committee(
        by=analyst, values_in={"code": "tech", "name_en": "Technology", "name_fr": "Technologie"}
    )
    actions.set_members(by=analyst, committee=committee, orgs=[org])
    client = api_for(caseworker)
    status, body = _json(client, "get", f"{BASE}/programs?province=CA-MB&population=youth")
    assert status == 200 and [p["code"] for p in body] == ["safe-futures"]
    status, body = _json(client, "get", f"{BASE}/programs?province=CA-BC")
    assert status == 200 and body == []
    assert _json(client, "get", f"{BASE}/programs/eligible")[0] == 200
    assert _json(client, "get", f"{BASE}/programs/{program.pk}")[1]["funder"] == "wage-fund"
    assert _json(client, "get", f"{BASE}/programs/not-an-id")[0] == 404
    assert _json(client, "get", f"{BASE}/funders")[1][0]["short_name"] == "wage-fund"
    status, body = _json(client, "get", f"{BASE}/awards?year=2026&province=CA-ON")
    assert status == 200 and body[0]["amount"] == 1000
    assert _json(client, "get", f"{BASE}/awards?year=99999")[0] == 422
    status, body = _json(client, "get", f"{BASE}/partners/{org.pk}")
    assert body["profile"]["group"] == "ngos" and body["referrals"]["received"] == 0
    assert _json(client, "get", f"{BASE}/partners")[0] == 200
    status, body = _json(client, "get", f"{BASE}/committees")
    assert body[0]["missing_groups"] == ["frontline_systems", "at_risk_communities", "survivors"]
    status, body = _json(client, "get", f"{BASE}/funding?year=2026")
    assert body["by_province"]["CA-ON"] == 1000 and body["by_pillar"]["protection"] == 1000
    assert body["by_province_and_pillar"]["CA-ON"]["protection"] == 1000
    assert "CA-ON" in body["gaps"]
    assert _json(client, "get", f"{BASE}/network")[0] == 200


def test_curating_through_the_api(
    api_for: Callable[[Any], Client], analyst: Any, caseworker: Any, funder: Any, org: Any
) -> None:
    body = PROGRAM | {"funder": "wage-fund"}
    assert _json(api_for(caseworker), "post", f"{BASE}/programs", body)[0] == 404
    client = api_for(analyst)
    status, created = _json(client, "post", f"{BASE}/programs", body)
    assert status == 201 and created["next_deadline"]
    status, error = _json(client, "post", f"{BASE}/programs", body, HTTP_ACCEPT_LANGUAGE="en")
    assert status == 422 and "code" in error["error"]["fields"]
    status, error = _json(
        client, "post", f"{BASE}/programs", body | {"code": "x-2", "deadline": "2026-01-01"}
    )
    assert status == 422 and "deadline" in error["error"]["fields"]
    status, error = _json(
        client,
        "post",
        f"{BASE}/programs",
        body | {"code": "x-3", "pillars": ["nope"], "surprise": 1},
    )
    assert status == 422
    status, updated = _json(
        client, "put", f"{BASE}/programs/{created['id']}", body | {"amount_max": 200000}
    )
    assert status == 200 and updated["amount_max"] == 200000
    status, _f = _json(
        client,
        "post",
        f"{BASE}/funders",
        {"short_name": "city-fund", "name_en": "City", "name_fr": "Ville", "kind": "municipal"},
    )
    assert status == 201
    status, committee = _json(
        client,
        "post",
        f"{BASE}/committees",
        {
            "code": "council",
            "name_en": "Council",
            "name_fr": "Conseil",
            "members": [str(org.pk)],
            "chairs": [str(org.pk)],
        },
    )
    assert status == 201 and committee["members"][0]["is_chair"] is True
    assert Committee.objects.filter(code="council").exists()
    change = {
        "code": "council",
        "name_en": "Council of Funders",
        "name_fr": "Conseil",
        "members": [],
    }
    status, committee = _json(client, "put", f"{BASE}/committees/{committee['id']}", change)
    assert status == 200 and committee["members"] == [] and len(committee["missing_groups"]) == 4
    status, error = _json(
        client, "put", f"{BASE}/committees/{committee['id']}", change | {"chairs": [str(org.pk)]}
    )
    assert status == 422 and "chairs" in error["error"]["fields"]
    status, renamed = _json(
        client,
        "put",
        f"{BASE}/funders/{funder.pk}",
        {"short_name": "wage-fund", "name_en": "Renamed", "name_fr": "Renommé", "kind": "federal"},
    )
    assert status == 200 and renamed["name_en"] == "Renamed"
    assert Program.objects.count() == 1


def test_an_org_admin_keeps_their_entry_and_awards(
    api_for: Callable[[Any], Client], org_admin: Any, other_org: Any, org: Any, program: Program
) -> None:
    client = api_for(org_admin)
    status, body = _json(
        client,
        "put",
        f"{BASE}/partners/mine",
        {"group": "survivors", "languages": ["eng"], "contact_name": "Amina"},
    )
    assert status == 200 and body["profile"]["contact_name"] == "Amina"
    status, error = _json(client, "put", f"{BASE}/partners/mine", {"group": "aliens"})
    assert status == 422 and "group" in error["error"]["fields"]
    award = {
        "org_id": str(org.pk),
        "program_code": program.code,
        "amount": 500,
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "province": "CA-ON",
        "purpose_en": "Beds",
    }
    status, created = _json(client, "post", f"{BASE}/awards", award)
    assert status == 201
    assert _json(client, "post", f"{BASE}/awards", award)[0] == 422  # a repeated submission
    assert _json(client, "post", f"{BASE}/awards", award | {"org_id": str(other_org.pk)})[0] == 404
    assert (
        _json(client, "post", f"{BASE}/awards", award | {"amount": -5, "purpose_en": "x"})[0] == 422
    )

    status, updated = _json(
        client, "put", f"{BASE}/awards/{created['id']}", award | {"amount": 900}
    )
    assert status == 200 and updated["amount"] == 900
    assert client.delete(f"{BASE}/awards/{created['id']}").status_code == 204
    assert client.delete(f"{BASE}/awards/{created['id']}").status_code == 404
