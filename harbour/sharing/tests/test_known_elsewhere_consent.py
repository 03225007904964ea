"""A consent whose only purpose is "known elsewhere" opens no information, so it needs no
category (ADR 41); every other consent still needs one. On the web and the API, both ways."""

import pytest

from harbour.linkage import hints
from harbour.sharing.models import Consent

pytestmark = pytest.mark.django_db

OPENS_NOTHING = (
    "This consent opens no information. Other organisations may learn that you were served "
    "here: the province and the year, never the name of the organisation that served you."
)
LISTED = "None: other organisations may learn only the province and the year"
NEEDS_ONE = "Choose at least one kind of information to share."


def _web(caseworker, case, client_for, purposes, categories=()):
    return client_for(caseworker).post(
        f"/sharing/survivors/{case.survivor_id}/consents/",
        {
            "recipient_kind": "organisation_type",
            "recipient_org_type": "ngo",
            "categories": list(categories),
            "purposes": purposes,
            "method": "verbal",
        },
    )


def _api(caseworker, case, api_for, purposes, categories=None):
    body = {
        "recipient_kind": "organisation_type",
        "recipient_org_type": "ngo",
        "purposes": purposes,
        "method": "verbal",
    }
    if categories is not None:
        body["categories"] = categories
    return api_for(caseworker).post(
        f"/api/v1/survivors/{case.survivor_id}/consents", body, content_type="application/json"
    )


def test_known_elsewhere_alone_needs_no_category_on_the_web(caseworker, case, client_for):
    done = _web(caseworker, case, client_for, ["known_elsewhere"])
    assert done.status_code == 302, done.content.decode()
    consent = Consent.objects.get()
    assert consent.categories == [] and consent.opens_no_information
    receipt = client_for(caseworker).get(done["Location"]).content.decode()
    assert OPENS_NOTHING in receipt and "may share some of your information" not in receipt
    listed = client_for(caseworker).get(f"/sharing/survivors/{case.survivor_id}/consents/")
    assert LISTED in listed.content.decode()
    copy = client_for(caseworker).get(f"/sharing/survivors/{case.survivor_id}/rights/?format=print")
    assert LISTED in copy.content.decode()  # the survivor's copy says it too


@pytest.mark.parametrize("purposes", [["referral"], ["known_elsewhere", "referral"]])
def test_any_other_purpose_still_needs_a_category_on_the_web(
    purposes, caseworker, case, client_for
):
    page = _web(caseworker, case, client_for, purposes)
    assert page.status_code != 302 and NEEDS_ONE in page.content.decode()
    assert not Consent.objects.exists()


def test_a_consent_with_categories_reads_as_before(caseworker, case, client_for):
    done = _web(caseworker, case, client_for, ["referral"], ["identity_contact"])
    assert done.status_code == 302
    receipt = client_for(caseworker).get(done["Location"]).content.decode()
    assert "may share some of your information" in receipt and OPENS_NOTHING not in receipt


def test_known_elsewhere_alone_needs_no_category_in_the_api(caseworker, case, api_for):
    made = _api(caseworker, case, api_for, ["known_elsewhere"])
    assert made.status_code == 201, made.content
    assert made.json()["categories"] == [] and made.json()["purposes"] == ["known_elsewhere"]
    empty = _api(caseworker, case, api_for, ["known_elsewhere"], [])
    assert empty.status_code == 201, empty.content


@pytest.mark.parametrize("purposes", [["referral"], ["known_elsewhere", "continuity_of_care"]])
@pytest.mark.parametrize("categories", [None, []])
def test_any_other_purpose_still_needs_a_category_in_the_api(
    purposes, categories, caseworker, case, api_for
):
    refused = _api(caseworker, case, api_for, purposes, categories)
    assert refused.status_code in (400, 422), refused.content
    assert refused.json()["error"]["fields"]["categories"] == [NEEDS_ONE]
    assert not Consent.objects.exists()


def test_a_consent_without_categories_lets_the_hint_tell_where(
    settings, caseworker, case, client_for, make_user, other_org
):
    settings.HARBOUR_HINT_MIN_ORGS_PER_PLACE = 1
    assert _web(caseworker, case, client_for, ["known_elsewhere"]).status_code == 302
    identity = {
        "given_name": "Élodie",
        "family_name": "Tremblay",
        "birth_date": "1998-04-02",
        "gender_identity": "woman",
    }
    found = hints.returning_hint(by=make_user("caseworker", other_org), values=identity)
    assert found.answer == hints.Answer.KNOWN and found.places == (("CA-ON", 2026),)
