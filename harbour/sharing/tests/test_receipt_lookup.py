"""Finding a consent by its receipt code: any caseworker may, but guessing is slowed down."""

from typing import Any

import pytest

from harbour.audit.models import AuditEvent
from harbour.core.errors import NotFound, TooManyAttempts
from harbour.sharing import actions
from harbour.sharing.models import Consent
from harbour.sharing.tests.test_actions import consent_to

pytestmark = pytest.mark.django_db
WRONG = "0000-0000-0000"


@pytest.fixture
def consent(caseworker, case, partner, agreement):
    return consent_to(caseworker, case, partner)


@pytest.fixture
def elsewhere(outsider):
    """A caseworker at a third organisation, where the survivor asks to withdraw."""
    return outsider


def test_misses_are_counted_audited_and_then_even_a_right_code_waits(
    consent, elsewhere, caseworker, settings
) -> None:
    settings.RECEIPT_LOOKUP_FAILURES = 3
    assert actions.find_consent_by_receipt(by=elsewhere, code=consent.issued_code) == consent
    for _attempt in range(3):
        with pytest.raises(NotFound):
            actions.find_consent_by_receipt(by=elsewhere, code=WRONG)
    with pytest.raises(TooManyAttempts):
        actions.find_consent_by_receipt(by=elsewhere, code=consent.issued_code)
    # Another user is not held back by someone else's misses.
    assert actions.find_consent_by_receipt(by=caseworker, code=consent.issued_code) == consent
    missed = AuditEvent.objects.filter(action="consent.receipt_lookup_missed")
    assert missed.count() == 3 and {e.org_id for e in missed} == {elsewhere.org_id}
    assert WRONG not in str(list(missed.values()))  # the guessed code is not kept


def test_the_api_and_the_page_say_so_in_the_users_language(
    consent, elsewhere, settings, api_for, client_for
) -> None:
    settings.RECEIPT_LOOKUP_FAILURES = 2
    api = api_for(elsewhere)

    def post(url: str, code: str) -> Any:
        return api.post(url, {"code": code}, content_type="application/json")

    for _attempt in range(2):
        assert post("/api/v1/consent-receipts/find", WRONG).status_code == 404
    answer = post("/api/v1/consent-receipts/withdraw", consent.issued_code)
    assert answer.status_code == 429
    assert answer.json()["error"]["code"] == "too_many_attempts"
    consent.refresh_from_db()
    assert consent.withdrawn_at is None  # nothing changed

    web = client_for(elsewhere)
    web.cookies["django_language"] = "fr"
    page = web.post("/sharing/consents/lookup/", {"code": consent.issued_code})
    assert "Trop de codes de reçu" in page.content.decode()


def test_what_is_not_a_guess_is_not_counted(consent, elsewhere, make_user, org, settings) -> None:
    settings.RECEIPT_LOOKUP_FAILURES = 1
    analyst = make_user("national_analyst", org)  # may not withdraw consents at all
    for by, code in (
        (elsewhere, "ABC"),
        (elsewhere, "far too long to be a code"),
        (analyst, WRONG),
    ):
        with pytest.raises(NotFound):
            actions.find_consent_by_receipt(by=by, code=code)
    assert not AuditEvent.objects.filter(action="consent.receipt_lookup_missed").exists()
    assert actions.find_consent_by_receipt(by=elsewhere, code=consent.issued_code) == consent


def test_codes_are_stored_only_as_keyed_hashes(consent) -> None:
    code = consent.issued_code
    stored = Consent.objects.filter(pk=consent.pk).values().get()
    assert code and code not in str(stored) and code.replace("-", "") not in str(stored)
    assert Consent.objects.get(pk=consent.pk).issued_code is None


def test_a_lost_receipt_gets_a_new_code_and_the_old_one_stops(
    consent, caseworker, elsewhere
) -> None:
    old = consent.issued_code
    renewed = actions.reissue_receipt_code(by=caseworker, consent=consent)
    assert renewed.issued_code and renewed.issued_code != old
    with pytest.raises(NotFound):
        actions.find_consent_by_receipt(by=elsewhere, code=old)
    found = actions.find_consent_by_receipt(by=elsewhere, code=renewed.issued_code.lower())
    assert found == consent  # typed in lower case, without care for the dashes
    assert AuditEvent.objects.filter(action="consent.receipt_reissued").count() == 1
    with pytest.raises(NotFound):
        actions.reissue_receipt_code(by=elsewhere, consent=consent)
