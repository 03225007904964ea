"""An organisation leaving record linkage stays out until it rejoins (ADR 41): nothing of it is
encoded (intake, identity change, bulk import, `linkage encode`, key rotation) and its staff's
hint probes are answered "not available", until `harbour linkage rejoin`."""

import datetime as dt
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from harbour.audit.actions import SystemActor
from harbour.audit.models import AuditEvent
from harbour.cases import bulk
from harbour.cases.actions import update_survivor
from harbour.linkage import actions, hints, queries
from harbour.linkage.models import SurvivorEncoding, Withdrawal
from harbour.linkage.tests.test_hint import IDENTITY, INTAKE

pytestmark = pytest.mark.django_db

NOT_AVAILABLE = "Not available: your organisation has left record linkage."


def _withdraw(org) -> str:
    out = StringIO()
    call_command("linkage_withdraw", "--org", str(org.pk), stdout=out)
    return out.getvalue()


def _bulk_intake(by, n: int) -> None:
    intakes = [
        bulk.Intake(
            {
                "given_name": "Nadia",
                "family_name": f"Row-{i}",
                "birth_date": dt.date(1990, 1, 1 + i),
                "gender_identity": "woman",
            },
            {
                "intake_date": dt.date(2026, 3, 1 + i),
                "intake_province": "CA-ON",
                "consent_to_record": True,
                "exploitation_types": ["forced_labour"],
            },
            f"bulk:{i}",
        )
        for i in range(n)
    ]
    bulk.start_intakes(by=by, intakes=intakes)


def test_nothing_of_an_organisation_that_left_is_encoded_until_it_rejoins(
    make_case, caseworker, supervisor, org, other_org, make_user
):
    first = make_case(caseworker)
    elsewhere = make_case(make_user("caseworker", other_org), survivor={"family_name": "Roy"})
    said = _withdraw(org)
    assert "1 encodings deleted" in said and "harbour linkage rejoin" in said
    assert queries.has_left(org.pk) and not queries.has_left(other_org.pk)
    left = AuditEvent.objects.get(action="linkage.withdrawn", org_id=org.pk)
    assert left.context == {"encodings": "1"}

    # Every way in: an intake, an identity change, a bulk import, the encode command (all
    # organisations, only the stale: a key rotation) — none encodes the organisation.
    make_case(caseworker, survivor={"family_name": "Gagnon"})
    update_survivor(by=caseworker, survivor=first.survivor, values={"given_name": "Eloise"})
    _bulk_intake(supervisor, 3)
    out = StringIO()
    call_command("linkage_encode", stdout=out)
    call_command("linkage_encode", "--stale", stdout=out)
    assert "1 organisations that have left record linkage were left out" in out.getvalue()
    with pytest.raises(CommandError, match="has left record linkage: nothing encoded"):
        call_command("linkage_encode", "--org", str(org.pk))
    assert not SurvivorEncoding.objects.filter(org=org).exists()
    assert SurvivorEncoding.objects.filter(survivor=elsewhere.survivor).exists()  # others are

    out = StringIO()
    call_command("linkage_rejoin", "--org", str(org.pk), stdout=out)
    assert "rejoined record linkage: 5 survivors encoded" in out.getvalue()
    assert SurvivorEncoding.objects.filter(org=org).count() == 5
    assert not queries.has_left(org.pk)
    closed = Withdrawal.objects.get(org=org)  # kept, closed: the organisation's history
    assert closed.rejoined_at is not None
    back = AuditEvent.objects.get(action="linkage.rejoined", org_id=org.pk)
    assert back.context == {"survivors": "5"}
    make_case(caseworker, survivor={"family_name": "Lavoie"})
    assert SurvivorEncoding.objects.filter(org=org).count() == 6


def test_leaving_twice_or_rejoining_without_leaving_is_refused(make_case, caseworker, org):
    make_case(caseworker)
    with pytest.raises(CommandError, match="has not left record linkage"):
        call_command("linkage_rejoin", "--org", str(org.pk))
    _withdraw(org)
    with pytest.raises(CommandError, match="has already left record linkage"):
        _withdraw(org)
    assert AuditEvent.objects.filter(action="linkage.withdrawn").count() == 1
    assert Withdrawal.objects.count() == 1
    call_command("linkage_rejoin", "--org", str(org.pk), stdout=StringIO())
    _withdraw(org)  # may leave again after rejoining: a second withdrawal
    assert Withdrawal.objects.filter(org=org).count() == 2 and queries.has_left(org.pk)


@pytest.mark.parametrize("channel", ["web", "api", "action"])
def test_the_staff_of_an_organisation_that_left_get_no_hint(
    channel, make_case, caseworker, org, other_org, make_user, client_for, api_for
):
    """It gives nothing to the hub, so it learns nothing from it: the probe compares nothing,
    is audited in its own chain as unavailable, and no organisation hears of it."""
    served = make_user("caseworker", other_org)
    make_case(served)  # the same person, known at another organisation
    _withdraw(org)
    if channel == "api":
        response = api_for(caseworker).post(
            "/api/v1/linkage/hint", IDENTITY, content_type="application/json"
        )
        assert response.status_code == 409, response.content
        error = response.json()["error"]
        assert error["code"] == "left_record_linkage" and error["message"] == NOT_AVAILABLE
    elif channel == "web":
        client = client_for(caseworker)
        done = client.post("/cases/intake/", INTAKE)
        assert done.status_code == 302
        page = client.get(done["Location"]).content.decode()
        assert NOT_AVAILABLE in page and "served before" not in page
    else:
        found = hints.returning_hint(by=caseworker, values=IDENTITY)
        assert found.answer == hints.Answer.LEFT and not found.known and found.places == ()
        assert found.message() == NOT_AVAILABLE
    refused = AuditEvent.objects.get(action="linkage.hint_unavailable")
    assert refused.org_id == org.pk and refused.outcome == "refused"
    assert not AuditEvent.objects.filter(action="linkage.hint_about").exists()
    assert not AuditEvent.objects.filter(action="linkage.hint_asked").exists()


def test_a_survivor_of_an_organisation_that_left_is_not_found_from_elsewhere(
    make_case, caseworker, org, other_org, make_user
):
    make_case(caseworker)
    asker = make_user("caseworker", other_org)
    assert hints.returning_hint(by=asker, values=IDENTITY).answer == hints.Answer.KNOWN
    _withdraw(org)
    assert hints.returning_hint(by=asker, values=IDENTITY).answer == hints.Answer.NONE


@pytest.mark.django_db(transaction=True)
def test_a_hint_asked_while_its_organisation_leaves_waits_and_is_told_nothing(
    make_case, make_user, caseworker, org, other_org
):
    """A withdrawal in flight holds the organisation's row: a hint asked meanwhile by its staff
    waits for it and is then answered "not available". Read before the wait, `has_left` said
    no, and the hint compared the probe and was answered from the hub its organisation had
    just left (and the record's organisation heard of it)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers by itself")
    make_case(make_user("caseworker", other_org))  # the same person, known elsewhere
    held, release, answers, errors = threading.Event(), threading.Event(), [], []

    def withdraw():
        try:
            with transaction.atomic():
                actions.withdraw_organisation(by=SystemActor("test"), org_id=org.pk)
                held.set()
                release.wait(30)
        except Exception as exc:
            errors.append(exc)
        finally:
            held.set()
            connection.close()

    def ask():
        try:
            held.wait(30)
            answers.append(hints.returning_hint(by=caseworker, values=IDENTITY).answer)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=withdraw), threading.Thread(target=ask)]
    for t in threads:
        t.start()
    held.wait(30)
    _until_a_query_waits_for_a_lock()
    release.set()
    for t in threads:
        t.join(60)
    assert errors == []
    assert answers == [hints.Answer.LEFT]
    assert not AuditEvent.objects.filter(action="linkage.hint_about").exists()


def _until_a_query_waits_for_a_lock() -> None:
    """Until another session of this database waits for a row lock (the hint, held up by the
    withdrawal); at most 30 s, then the test goes on (and fails on its answers)."""
    for _ in range(300):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        threading.Event().wait(0.1)
