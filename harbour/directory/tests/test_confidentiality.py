"""Confidential locations, searched for through every interface (docs/adr/0010).

A hidden safe house's address and coordinates never appear for anyone outside its organisation;
a partners-only location is seen by signed-in Harbour staff only; the public sees public only.
"""

import io
import json
import re
import zipfile
from dataclasses import replace
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from harbour.directory import export, policy, queries
from harbour.directory.models import Address, Location, SearchEntry, ServiceAtLocation
from harbour.directory.places import resolve
from harbour.directory.tests.conftest import (
    HIDDEN_LAT,
    HIDDEN_LON,
    HIDDEN_POSTAL,
    HIDDEN_STREET,
    PARTNER_STREET,
)

pytestmark = pytest.mark.django_db
HIDDEN_SECRETS = [
    HIDDEN_STREET,
    "Mockingbird",
    HIDDEN_POSTAL,
    "M4Y",
    str(HIDDEN_LAT),
    str(HIDDEN_LON),
    "43.6687",
    "-79.3857",
]


def _text(response: Any) -> str:
    if response.get("Content-Type", "").startswith("application/zip"):
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        return "\n".join(archive.read(n).decode() for n in archive.namelist())
    return response.content.decode()


# Random per-response tokens (CSRF, CSP nonces) can hold "M4Y" by chance: not a leak.
_RANDOM = re.compile(r'(?:name="csrfmiddlewaretoken" value|nonce|content)="[A-Za-z0-9+/=_-]{16,}"')


def _assert_no(secrets: list[str], text: str, where: str) -> None:
    text = _RANDOM.sub("", text)
    for secret in secrets:
        assert secret not in text, f"{where} shows {secret!r}"


def _urls(world: Any) -> list[str]:
    hidden_sal = world.safe_house.at_locations.get().pk
    return [
        "/directory/",
        "/directory/?q=lighthouse",
        "/directory/?q=mockingbird",
        f"/directory/?place={HIDDEN_POSTAL}&radius=25",
        f"/directory/services/{world.safe_house.pk}/",
        "/directory/care-map/?place=Toronto&needs=safe_housing&gender=woman",
        f"/directory/care-map/?place={HIDDEN_POSTAL}&needs=safe_housing",
        "/directory/care-map/handout/?place=Toronto&needs=safe_housing",
        "/directory/coverage/?stage=shelter",
        "/directory/coverage/coverage.csv",
        "/directory/coverage/CA-ON/",
        "/directory/download/json/",
        "/directory/download/tabular/",
        "/hsds/services?full=true",
        f"/hsds/services/{world.safe_house.pk}",
        "/hsds/services?search=mockingbird",
        f"/hsds/services?postcode={HIDDEN_POSTAL}&proximity=500",
        "/hsds/service_at_locations?full=true",
        f"/hsds/service_at_locations/{hidden_sal}",
        f"/hsds/organizations/{world.provider.pk}?full_service=true",
        "/hsds/organizations?full=true&full_service=true",
    ]


def test_the_hidden_address_is_sealed_not_stored_in_any_column(world) -> None:
    loc = Location.objects.get(pk=world.hidden_location.pk)
    assert loc.latitude is None and loc.longitude is None
    assert loc.hidden_address.org_id == loc.org_id and loc.hidden_address.sealed
    assert not Address.objects.filter(location=loc).exists()
    assert HIDDEN_STREET not in loc.hidden_address.sealed
    entries = SearchEntry.objects.filter(service=world.safe_house)
    assert entries and all(e.latitude is None and "mockingbird" not in e.text for e in entries)
    assert policy.sealed_detail(loc)["addresses"][0]["address_1"] == HIDDEN_STREET


@pytest.mark.parametrize("who", ["public", "other_org_staff", "system_admin"])
def test_a_hidden_safe_house_is_never_revealed_through_any_interface(
    who, world, make_user, other_org, client_for
) -> None:
    client = (
        Client()
        if who == "public"
        else client_for(
            make_user("supervisor" if who == "other_org_staff" else "system_admin", other_org)
        )
    )
    for url in _urls(world):
        response = client.get(url)
        assert response.status_code in {200, 404}, url
        # what the person typed is echoed in the search box; nothing else may appear
        secrets = [x for x in HIDDEN_SECRETS if x.lower() not in url.lower()]
        _assert_no(secrets, _text(response), f"{who} {url}")
    # the service itself is listed, as phone intake in its province
    page = client.get(f"/directory/services/{world.safe_house.pk}/").content.decode()
    assert "Lighthouse Safe House" in page and "Confidential location (Ontario)" in page


def test_the_hidden_service_at_location_is_missing_for_outsiders(
    world, api_for, make_user, other_org
) -> None:
    sal = world.safe_house.at_locations.get().pk
    for client in (Client(), api_for(make_user("caseworker", other_org))):
        hidden = client.get(f"/hsds/service_at_locations/{sal}")
        missing = client.get("/hsds/service_at_locations/6f1c1f9e-1111-4c4c-9999-123456789abc")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()


def test_the_owning_organisation_sees_its_own_hidden_address(
    world, supervisor, client_for, api_for
) -> None:
    page = client_for(supervisor).get(f"/directory/services/{world.safe_house.pk}/")
    assert HIDDEN_STREET in page.content.decode()
    body = api_for(supervisor).get(f"/hsds/services/{world.safe_house.pk}").json()
    location = body["service_at_locations"][0]["location"]
    assert location["latitude"] == HIDDEN_LAT
    assert location["addresses"][0]["address_1"] == HIDDEN_STREET
    # but paper leaves the organisation: the handout never has it, even for its owner
    handout = client_for(supervisor).get(
        "/directory/care-map/handout/?place=Toronto&needs=safe_housing&gender=woman"
    )
    _assert_no(HIDDEN_SECRETS, handout.content.decode(), "owner's handout")
    assert "Lighthouse Safe House" in handout.content.decode()


def test_partners_only_locations_are_for_signed_in_staff(
    world, make_user, other_org, client_for, api_for
) -> None:
    public = Client()
    for url in [
        "/directory/?q=second+stage",
        f"/directory/services/{world.partner_shelter.pk}/",
        "/hsds/services?full=true",
        "/directory/download/json/",
        "/directory/care-map/?place=Toronto&needs=emergency_shelter",
    ]:
        text = public.get(url).content.decode()
        assert PARTNER_STREET not in text and "Second Stage" not in text, url
    staff = make_user("caseworker", other_org)
    page = client_for(staff).get(f"/directory/services/{world.partner_shelter.pk}/")
    assert PARTNER_STREET in page.content.decode()
    body = api_for(staff).get("/hsds/services?full=true").json()
    assert any(s["name"] == "Lighthouse Second Stage" for s in body["contents"])


def test_the_policy_applies_to_queries_and_exports_directly(world) -> None:
    toronto = resolve("Toronto")
    cmap = queries.care_map(
        policy.PUBLIC_AUDIENCE, toronto, ["safe_housing"], queries.Profile(gender="woman")
    )
    shelter = next(s for s in cmap.stages if s.stage.code == "shelter")
    safe = next(m for m in shelter.matches if m.service_id == world.safe_house.pk)
    assert safe.distance_km is None and safe.place.confidential
    public_json = json.dumps(export.json_document(export.bundle_for(policy.PUBLIC_AUDIENCE)))
    partner_json = json.dumps(export.json_document(export.bundle_for(policy.system_audience())))
    _assert_no([*HIDDEN_SECRETS, PARTNER_STREET], public_json, "public export")
    _assert_no(HIDDEN_SECRETS, partner_json, "partner export")
    assert PARTNER_STREET in partner_json


def test_result_cards_show_places_exactly_as_the_policy_does(world, make_user, other_org) -> None:
    """Cards (care map, search) read places in bulk: the same answer as `shown_place`."""
    sals = list(ServiceAtLocation.objects.select_related("location"))
    for aud in (
        policy.PUBLIC_AUDIENCE,
        policy.system_audience(),
        policy.audience_of(make_user("caseworker", other_org)),
        policy.audience_of(make_user("caseworker", world.org)),  # owns the safe house
    ):
        cards = policy.card_places(aud, {sal.pk for sal in sals})
        for sal in sals:
            expected, card = policy.shown_place(aud, sal.location), cards[sal.pk]
            if expected is None or card is None:
                assert card is expected is None
            else:
                assert replace(card, location=None) == replace(expected, location=None)


def test_the_export_command_never_writes_a_hidden_address(world, tmp_path) -> None:
    for fmt in ("json", "tabular"):
        target = tmp_path / f"out.{fmt}"
        call_command("directory_export", str(target), format=fmt)
        data = target.read_bytes()
        text = (
            data.decode()
            if fmt == "json"
            else "\n".join(
                zipfile.ZipFile(io.BytesIO(data)).read(n).decode()
                for n in zipfile.ZipFile(io.BytesIO(data)).namelist()
            )
        )
        _assert_no(HIDDEN_SECRETS, text, f"export {fmt}")
        assert PARTNER_STREET in text and "Lighthouse Safe House" in text  # a real export


def test_a_system_admin_cannot_open_another_organisations_hidden_location(
    world, make_user, other_org, client_for
) -> None:
    admin = make_user("system_admin", other_org)
    url = f"/directory/manage/{world.safe_house.pk}/locations/{world.hidden_location.pk}/"
    response = client_for(admin).get(url)
    assert response.status_code == 404
    _assert_no(HIDDEN_SECRETS, response.content.decode(), "admin location form")
