"""Every grants page, in both languages, as the roles that use them."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from icalendar import Calendar

from harbour.grants import actions, calendar, tabular
from harbour.grants.models import Award, Committee, Program
from harbour.grants.tests.conftest import SYSTEM

pytestmark = pytest.mark.django_db

AWARD = {
    "amount": 75000,
    "starts_on": "2026-04-01",
    "ends_on": "2028-03-31",
    "province": "CA-MB",
    "pillars": ["protection"],
    "populations": ["youth"],
    "purpose_en": "Youth outreach",
    "purpose_fr": "Approche auprès des jeunes",
}


@pytest.fixture
def world(org: Any, other_org: Any, program: Program, analyst: Any) -> dict[str, Any]:
    actions.save_profile(
        by=SYSTEM,
        org=org,
        values_in={
            "group": "ngos",
            "regions": ["CA-ON"],
            "contact_name": "Amina Haddad",
            "contact_email": "amina@example.org",
        },
    )
    award = actions.save_award(by=SYSTEM, org=org, program=program, values_in=AWARD)
    committee = actions.save_committee(
        by=analyst, values_in={"code": "tech", "name_en": "Technology", "name_fr": "Technologie"}
    )
    actions.set_members(by=analyst, committee=committee, orgs=[org, other_org], chairs=[org])
    return {"award": award, "committee": committee, "program": program}


def _get(client: Client, url: str, lang: str = "en") -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200, url
    return response.content.decode()


def test_every_page_answers_in_both_languages(
    client_for: Callable[[Any], Client], caseworker: Any, world: dict[str, Any], org: Any
) -> None:
    client = client_for(caseworker)
    program, award, committee = world["program"], world["award"], world["committee"]
    urls = [
        "/grants/", "/grants/?q=safe&province=CA-MB&population=youth&within=365",
        "/grants/eligible/", f"/grants/programs/{program.pk}/", "/grants/funders/",
        f"/grants/funders/{program.funder_id}/", "/grants/awards/", "/grants/funding/",
        "/grants/funding/?year=2026", "/grants/partners/",
        "/grants/partners/?group=ngos&province=CA-ON",
        f"/grants/partners/{org.pk}/", "/grants/network/", "/grants/committees/",
        f"/grants/committees/{committee.pk}/",
    ]  # fmt: skip
    for url in urls:
        _get(client, url)
    assert "Fonds Avenirs sûrs" in _get(client, f"/grants/programs/{program.pk}/", "fr")
    assert award.purpose_en in _get(client, "/grants/awards/")


def test_the_committee_page_flags_missing_groups(
    client_for: Callable[[Any], Client], caseworker: Any, world: dict[str, Any]
) -> None:
    page = _get(client_for(caseworker), f"/grants/committees/{world['committee'].pk}/")
    assert "Survivors" in page and "does not include every key group" in page


def test_signed_out_people_are_sent_to_sign_in(world: dict[str, Any]) -> None:
    response = Client().get("/grants/")
    assert response.status_code == 302 and "sign-in" in response["Location"]


def test_missing_and_malformed_ids_are_404(
    client_for: Callable[[Any], Client], caseworker: Any
) -> None:
    client = client_for(caseworker)
    for url in [
        "/grants/programs/nope/",
        "/grants/partners/00000000-0000-0000-0000-000000000000/",
        "/grants/committees/%00/",
    ]:
        assert client.get(url).status_code == 404


def test_curate_forms(
    client_for: Callable[[Any], Client],
    analyst: Any,
    caseworker: Any,
    world: dict[str, Any],
    org: Any,
) -> None:
    client = client_for(analyst)
    program = world["program"]
    for url in [
        "/grants/funders/new/",
        "/grants/programs/new/",
        f"/grants/programs/{program.pk}/edit/",
        f"/grants/funders/{program.funder_id}/edit/",
        "/grants/committees/new/",
        f"/grants/committees/{world['committee'].pk}/edit/",
        "/grants/awards/new/",
        f"/grants/awards/{world['award'].pk}/edit/",
    ]:
        _get(client, url)
    # Dates reach the browser's date picker as ISO dates, in French too.
    assert 'value="2027-01-15"' in _get(client, f"/grants/programs/{program.pk}/edit/", "fr")
    bad = {
        "funder": str(program.funder_id),
        "code": "later",
        "name_en": "Later",
        "name_fr": "Plus tard",
        "amount_max": "1000",
        "amount_min": "5000",
        "opens_on": "2027-05-01",
        "deadline": "2027-04-01",
        "recurrence": "once",
    }
    page = client.post("/grants/programs/new/", bad, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "La date limite ne peut pas précéder l'ouverture de l'appel" in page.replace(
        "&#x27;", "'"
    )
    assert not Program.objects.filter(code="later").exists()
    good = bad | {"amount_min": "500", "opens_on": "2027-01-01"}
    response = client.post("/grants/programs/new/", good)
    assert response.status_code == 302
    assert Program.objects.filter(code="later").exists()
    response = client.post(
        "/grants/committees/new/",
        {
            "code": "council",
            "name_en": "Council of Funders",
            "name_fr": "Conseil des bailleurs de fonds",
            "members": [str(org.pk)],
            "chairs": [str(org.pk)],
        },
    )
    assert response.status_code == 302
    assert Committee.objects.get(code="council").seats.count() == 1
    # A caseworker cannot reach any of them.
    other = client_for(caseworker)
    for url in [
        "/grants/programs/new/",
        f"/grants/programs/{program.pk}/edit/",
        "/grants/committees/new/",
        "/grants/partners/mine/edit/",
        "/grants/awards/new/",
    ]:
        assert other.get(url).status_code == 404


def test_an_org_admin_edits_their_entry_and_awards(
    client_for: Callable[[Any], Client], org_admin: Any, world: dict[str, Any], org: Any
) -> None:
    client = client_for(org_admin)
    _get(client, "/grants/partners/mine/edit/")
    response = client.post(
        "/grants/partners/mine/edit/",
        {"group": "survivors", "languages": "eng, fra", "contact_email": "not-an-email"},
    )
    assert "valid e-mail" in response.content.decode()
    response = client.post(
        "/grants/partners/mine/edit/",
        {"group": "survivors", "languages": "eng, fra", "regions": ["CA-ON"]},
    )
    assert response.status_code == 302
    org.partner_profile.refresh_from_db()
    assert org.partner_profile.group == "survivors"
    award = world["award"]
    values = {
        "org": str(org.pk),
        "program": str(award.program_id),
        **AWARD,
        "amount": "80000",
        "pillars": ["protection"],
        "populations": ["youth"],
    }
    assert client.post(f"/grants/awards/{award.pk}/edit/", values).status_code == 302
    award.refresh_from_db()
    assert award.amount == 80000
    # Recording the same award twice (a double click) is refused.
    client.post("/grants/awards/new/", values | {"amount": "1000"})
    page = client.post("/grants/awards/new/", values | {"amount": "1000"}).content.decode()
    assert "already recorded" in page
    assert client.post(f"/grants/awards/{award.pk}/delete/").status_code == 302
    assert not Award.objects.filter(pk=award.pk).exists()


def test_csv_downloads_are_formula_safe(
    client_for: Callable[[Any], Client], caseworker: Any, world: dict[str, Any], analyst: Any
) -> None:
    actions.save_award(
        by=SYSTEM,
        org=world["award"].org,
        program=world["program"],
        values_in=AWARD | {"amount": 5, "purpose_en": "Plain", "purpose_fr": "x"},
    )
    assert tabular.safe_cell("=1+1") == "'=1+1" and tabular.safe_cell("@SUM(A1)") == "'@SUM(A1)"
    client = client_for(caseworker)
    body = client.get("/grants/programs.csv").content.decode()
    assert body.splitlines()[0].startswith("code,funder,name_en")
    assert "safe-futures" in body
    awards = client.get("/grants/awards.csv").content.decode()
    assert "Youth outreach" in awards


def test_partner_export_leaves_contacts_out(world: dict[str, Any]) -> None:
    body = tabular.export("partners")
    assert "amina" not in body.lower() and "contact" not in body.splitlines()[0]
    assert "ngos" in body


def test_the_deadline_feed_is_a_valid_calendar(
    client_for: Callable[[Any], Client],
    caseworker: Any,
    world: dict[str, Any],
    org: Any,
    make_program: Callable[..., Program],
) -> None:
    make_program(code="bc-only", provinces=["CA-BC"], name_en="BC only")
    token = calendar.feed_token(org)
    response = Client().get(f"/grants/feeds/{token}.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    events = list(cal.walk("VEVENT"))
    summaries = [str(e["SUMMARY"]) for e in events]
    assert any("Safe Futures Fund" in s for s in summaries)
    assert not any("BC only" in s for s in summaries)  # not eligible: org works in Ontario
    deadline = next(e for e in events if str(e["SUMMARY"]).startswith("Deadline"))
    assert isinstance(deadline.decoded("DTSTART"), dt.date)
    assert deadline.walk("VALARM")
    assert Client().get(f"/grants/feeds/{token}x.ics").status_code == 404
    assert Client().get("/grants/feeds/garbage.ics").status_code == 404
    download = client_for(caseworker).get("/grants/deadlines.ics?province=CA-BC")
    cal = Calendar.from_ical(download.content)
    assert any("BC only" in str(e["SUMMARY"]) for e in cal.walk("VEVENT"))


def test_map_shades_by_rank() -> None:
    from harbour.grants.charts import shades

    got = shades({"a": 0, "b": 1, "c": 10, "d": 100, "e": 100_000})
    assert got["a"] == 0 and got["b"] == 1 and got["e"] == 4
    assert sorted(got.values()) == [0, 1, 2, 3, 4]


def test_the_network_picture_withholds_small_counts() -> None:
    from harbour.grants.charts import network
    from harbour.grants.queries import Edge

    nodes = [("a", "Demo — Alpha", "ngos"), ("b", "Beta", "survivors"), ("c", "Gamma", "")]
    svg = str(network(nodes, [Edge("a", "b", 3), Edge("b", "c", 42), Edge("a", "zz", 50)], "N"))
    assert svg.count("<line") == 2  # the edge to an organisation not shown is left out
    assert "Alpha → Beta: fewer than 10 referrals" in svg
    assert "Beta → Gamma: 42 referrals" in svg
    assert ">Alpha<" in svg and "<script" not in svg


def test_own_awards_show_an_edit_link(
    client_for: Callable[[Any], Client], org_admin: Any, outsider: Any, world: dict[str, Any]
) -> None:
    edit = f"/grants/awards/{world['award'].pk}/edit/"
    assert edit in _get(client_for(org_admin), "/grants/awards/")
    assert edit not in _get(client_for(outsider), "/grants/awards/")


def test_a_long_result_says_it_is_cut(
    client_for: Callable[[Any], Client], caseworker: Any, make_program: Callable[..., Program]
) -> None:
    for i in range(52):
        make_program(code=f"many-{i}", name_en=f"Many {i}")
    page = _get(client_for(caseworker), "/grants/")
    assert "52 programs" in page and "The first 50 are listed" in page
    assert "Les 50 premiers sont affichés" in _get(client_for(caseworker), "/grants/", "fr")
