"""Record linkage inside Harbour: encodings made at intake, runs, persons for statistics."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from harbour.audit.models import AuditEvent
from harbour.cases.models import Case, Survivor
from harbour.core.sensitivity import unclassified_fields
from harbour.linkage import actions, hints, queries
from harbour.linkage.core import matching
from harbour.linkage.core.encoding import SCHEME, Encoding, EncodingError, encode
from harbour.linkage.keys import hub_key
from harbour.linkage.models import EncodingBlock, LinkageRun, SurvivorEncoding
from harbour.stats import queries as stats_queries

pytestmark = pytest.mark.django_db


def test_every_field_declares_its_sensitivity():
    assert unclassified_fields(SurvivorEncoding) == []
    assert unclassified_fields(LinkageRun) == []
    assert unclassified_fields(EncodingBlock) == []


def test_intake_encodes_the_survivor_without_plaintext(make_case, caseworker):
    case = make_case(caseworker, survivor={"given_name": "Maricel", "family_name": "Santos"})
    row = SurvivorEncoding.objects.get(survivor=case.survivor)
    assert row.org_id == case.org_id
    assert row.scheme == SCHEME and row.key_id == hub_key().key_id
    assert not row.weak
    for plain in ("maricel", "santos", "1998", "woman", "+1416"):
        assert plain not in row.encoding.lower()
    assert Encoding.from_text(row.encoding, key_id=hub_key().key_id).filters.keys() >= {
        "given",
        "family",
        "birth",
    }


def test_an_identity_change_re_encodes(make_case, caseworker):
    from harbour.cases.actions import update_survivor

    case = make_case(caseworker)
    before = SurvivorEncoding.objects.get(survivor=case.survivor).encoding
    update_survivor(by=caseworker, survivor=case.survivor, values={"family_name": "Gagnon"})
    assert SurvivorEncoding.objects.get(survivor=case.survivor).encoding != before


def test_an_anonymous_survivor_is_weak(make_case, caseworker):
    case = make_case(
        caseworker,
        survivor={
            "given_name": None,
            "family_name": None,
            "mobile_phone": None,
            "birth_date": None,
        },
        case={"consent_to_record": False},
    )
    assert SurvivorEncoding.objects.get(survivor=case.survivor).weak


def _two_orgs_one_person(make_case, make_user, org, other_org, caseworker):
    elsewhere = make_user("caseworker", other_org)
    first = make_case(caseworker)
    again = make_case(
        elsewhere,
        survivor={"given_name": "ELODIE", "family_name": "Tremblay", "mobile_phone": None},
    )
    stranger = make_case(
        elsewhere,
        survivor={"given_name": "Amira", "family_name": "Haddad", "birth_date": "1990-07-21"},
    )
    return first, again, stranger


def test_a_run_links_one_person_across_organisations(
    make_case, make_user, org, other_org, caseworker
):
    first, again, stranger = _two_orgs_one_person(make_case, make_user, org, other_org, caseworker)
    run = actions.run_linkage(by=caseworker)
    assert run.records == 3
    assert run.persons == 2
    persons = queries.person_map([first.survivor_id, again.survivor_id, stranger.survivor_id])
    assert persons[first.survivor_id] == persons[again.survivor_id]
    assert persons[stranger.survivor_id] != persons[first.survivor_id]
    assert AuditEvent.objects.filter(action="linkage.run").count() == 1


def test_statistics_count_persons_through_the_seam(
    make_case, make_user, org, other_org, caseworker
):
    first, again, _stranger = _two_orgs_one_person(make_case, make_user, org, other_org, caseworker)
    actions.run_linkage(by=caseworker)
    mapping, linked = stats_queries.person_map([first.survivor_id, again.survivor_id])
    assert linked is True
    assert mapping[first.survivor_id] == mapping[again.survivor_id]


def test_before_any_run_statistics_fall_back_to_referral_links(make_case, caseworker):
    case = make_case(caseworker)
    with pytest.raises(queries.NotLinkedYet):
        queries.person_map([case.survivor_id])
    _mapping, linked = stats_queries.person_map([case.survivor_id])
    assert linked is False  # the doubled DP sensitivity stays until linkage has run


def test_records_encoded_since_the_run_are_their_own_person(make_case, caseworker):
    make_case(caseworker)
    actions.run_linkage(by=caseworker)
    later = make_case(caseworker, survivor={"given_name": "Amira", "family_name": "Haddad"})
    assert queries.person_map([later.survivor_id]) == {later.survivor_id: later.survivor_id}


def test_encodings_of_another_key_are_not_compared_but_counted(make_case, caseworker):
    case = make_case(caseworker)
    make_case(caseworker)
    SurvivorEncoding.objects.filter(survivor=case.survivor).update(
        encoding=f"{SCHEME}.0000000000000000.given:ff", key_id="0000000000000000"
    )
    run = actions.run_linkage(by=caseworker)
    assert run.stale_records == 1 and run.records == 1
    with pytest.raises(EncodingError, match="key"):
        Encoding.from_text(f"{SCHEME}.0000000000000000.given:ff", key_id=hub_key().key_id)


def _run(weights):
    return LinkageRun.objects.create(
        scheme=SCHEME,
        key_id="k",
        records=2,
        persons=2,
        persons_if_uncertain_merged=2,
        uncertain_pairs=0,
        weak_records=0,
        stale_records=0,
        candidate_pairs=1,
        weights=weights,
    )


def test_earlier_runs_lose_their_frequencies_in_one_statement(db):
    """Every earlier run's term frequencies go in one UPDATE, whatever the number of runs; the
    rest of their weights stays, and a run without weights or frequencies is left as it was."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    frequencies = {"records": 2, "counts": {"00ff00ff00ff00ff": 2}}
    weights = {"m": [[0.1, 0.9]], "u": [[0.9, 0.1]], "prior": 0.01}
    old = [_run(weights | {"frequencies": frequencies}) for _ in range(3)]
    bare, without = _run({}), _run(weights)
    with CaptureQueriesContext(connection) as queries_run:
        actions._drop_old_frequencies()
    assert len(queries_run.captured_queries) == 1
    for run in old:
        run.refresh_from_db()
        assert run.weights == weights
    bare.refresh_from_db()
    without.refresh_from_db()
    assert bare.weights == {} and without.weights == weights


def test_backfill_encodes_survivors_and_audits_per_organisation(make_case, caseworker):
    case = make_case(caseworker)
    SurvivorEncoding.objects.all().delete()
    assert actions.encode_survivors(by=caseworker, stale_only=True) == 1
    assert SurvivorEncoding.objects.filter(survivor=case.survivor).exists()
    event = AuditEvent.objects.filter(action="linkage.encoded").get()
    assert event.org_id == case.org_id
    assert actions.encode_survivors(by=caseworker, stale_only=True) == 0


def test_commands_encode_and_run(make_case, caseworker):
    make_case(caseworker)
    SurvivorEncoding.objects.all().delete()
    out = StringIO()
    call_command("linkage_encode", stdout=out)
    assert "1 survivors encoded" in out.getvalue()
    out = StringIO()
    call_command("linkage_run", stdout=out)
    assert "Persons: 1" in out.getvalue()
    assert "Expected persons, counting each uncertain pair by its probability: 1" in out.getvalue()
    assert "Uncertain pairs (never merged): 0" in out.getvalue()
    assert LinkageRun.objects.get().persons_expected == 1


def test_run_command_says_when_the_expected_count_was_not_computed(monkeypatch, db):
    """A run without an expected count (recorded before it existed) says so, and does not
    print the persons counted as if they were the expected count."""
    run = LinkageRun(
        scheme=SCHEME,
        key_id="k",
        records=5,
        persons=4,
        persons_if_uncertain_merged=3,
        persons_expected=None,
        uncertain_pairs=1,
        weak_records=0,
        stale_records=0,
    )
    monkeypatch.setattr(actions, "run_linkage", lambda **_kw: run)
    out = StringIO()
    call_command("linkage_run", stdout=out)
    printed = out.getvalue()
    assert "Expected persons: not computed" in printed
    assert "counting each uncertain pair" not in printed
    assert "Persons: 4" in printed
    assert "Persons if every uncertain pair were one person: 3" in printed


def test_commands_refuse_bad_input_clearly(db):
    with pytest.raises(CommandError, match="No organisation"):
        call_command("linkage_encode", "--org", "not-an-id")
    with pytest.raises(CommandError, match="Thresholds"):
        call_command("linkage_run", "--match", "0.2", "--uncertain", "0.5")


def test_erasure_removes_the_encoding(make_case, caseworker, supervisor):
    from harbour.sharing.actions.rights import erase_survivor

    case = make_case(caseworker)
    erase_survivor(by=supervisor, survivor=case.survivor)
    assert not SurvivorEncoding.objects.exists()
    assert not Survivor.objects.filter(pk=case.survivor_id).exists()


def test_an_organisation_leaving_takes_its_encodings(make_case, caseworker, org):
    make_case(caseworker)
    out = StringIO()
    call_command("linkage_withdraw", "--org", str(org.pk), stdout=out)
    assert "1 encodings deleted" in out.getvalue()
    assert not SurvivorEncoding.objects.filter(org=org).exists()
    assert AuditEvent.objects.filter(action="linkage.withdrawn", org_id=org.pk).exists()


def test_withdraw_refuses_a_malformed_or_unknown_organisation(make_case, caseworker):
    import uuid

    from django.utils import translation

    make_case(caseworker)
    for bad in ("not-a-uuid", str(uuid.uuid4())):
        with pytest.raises(CommandError, match="No organisation has this id"):
            call_command("linkage_withdraw", "--org", bad)
        french = pytest.raises(CommandError, match="Aucun organisme ne porte cet identifiant")
        with translation.override("fr"), french:
            call_command("linkage_withdraw", "--org", bad)
    assert SurvivorEncoding.objects.count() == 1  # nothing was withdrawn
    assert not AuditEvent.objects.filter(action="linkage.withdrawn").exists()


IDENTITY = {
    "given_name": "Élodie",
    "family_name": "Tremblay",
    "birth_date": "1998-04-02",
    "gender_identity": "woman",
}


def test_the_hint_says_only_known_elsewhere_and_is_audited_at_both_ends(
    make_case, make_user, org, other_org, caseworker, api_for
):
    served = make_case(caseworker)
    elsewhere = make_user("caseworker", other_org)
    response = api_for(elsewhere).post(
        "/api/v1/linkage/hint", IDENTITY | {"given_name": "Elodie"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["may_be_known_elsewhere"] is True
    assert "Ask them" in body["message"]
    assert str(org.pk) not in response.content.decode()
    assert org.name not in response.content.decode()
    assert body["answer"] == "known" and body["places"] == []  # no consent: never where
    shown = AuditEvent.objects.get(action="linkage.hint_asked")
    assert shown.org_id == other_org.pk
    assert shown.context == {"answer": "known", "place_told": "no"}  # what was told, no identity
    assert "Tremblay" not in str(shown.context) and "1998" not in str(shown.context)
    about = AuditEvent.objects.get(action="linkage.hint_about")
    assert about.org_id == org.pk and about.target_id == str(served.survivor_id)
    assert str(other_org.pk) not in str(about.context) and about.actor_org_id is None


@pytest.mark.parametrize(
    "corrupt_field",
    [
        "given:not-hex",
        # Well-formed text, but not a balanced filter: refused only once its bits are counted
        # (a batch packing all candidates at once must still skip this row alone).
        "given:ff",
    ],
)
def test_a_malformed_stored_encoding_is_skipped_not_a_server_error(
    corrupt_field, make_case, make_user, make_org, org, other_org, caseworker, api_for
):
    make_case(caseworker)
    # The same person at a third organisation: a candidate (its blocks were made from the
    # encoding before it was spoilt), which the hint would match were its row read.
    corrupt = make_case(make_user("caseworker", make_org()), survivor=IDENTITY)
    row = SurvivorEncoding.objects.get(survivor=corrupt.survivor)
    fields = [f for f in row.encoding.split(".")[2:] if not f.startswith("given:")]
    SurvivorEncoding.objects.filter(pk=row.pk).update(
        encoding=".".join([SCHEME, hub_key().key_id, corrupt_field, *fields])
    )
    elsewhere = make_user("caseworker", other_org)
    response = api_for(elsewhere).post(
        "/api/v1/linkage/hint", IDENTITY, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["may_be_known_elsewhere"] is True  # the good record still matches
    assert not AuditEvent.objects.filter(
        action="linkage.hint_about", target_id=str(corrupt.survivor_id)
    ).exists()


@pytest.mark.parametrize("role", ["national_analyst", "org_admin"])
def test_the_hint_is_refused_without_case_create(
    role, make_case, make_user, other_org, caseworker, api_for
):
    make_case(caseworker)
    response = api_for(make_user(role, other_org)).post(
        "/api/v1/linkage/hint", IDENTITY, content_type="application/json"
    )
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "forbidden"
    assert "may_be_known_elsewhere" not in response.content.decode()
    assert not AuditEvent.objects.filter(action__startswith="linkage.hint").exists()


def test_no_hint_for_a_stranger_or_within_one_organisation(make_case, caseworker, api_for):
    make_case(caseworker)
    same_org = api_for(caseworker).post(
        "/api/v1/linkage/hint", IDENTITY, content_type="application/json"
    )
    body = same_org.json()
    assert body["may_be_known_elsewhere"] is False and body["answer"] == "none"
    assert body["message"] == "No sign that this person was served by another organisation."
    # A negative is a probe too: audited in the asker's chain (counts only), told to no one.
    asked = AuditEvent.objects.get(action="linkage.hint_asked")
    assert asked.org_id == caseworker.org_id and asked.context == {
        "answer": "none",
        "place_told": "no",
    }
    assert not AuditEvent.objects.filter(action="linkage.hint_about").exists()


def test_the_hint_refuses_bad_input_clearly(make_case, make_user, other_org, api_for):
    elsewhere = make_user("caseworker", other_org)
    bad = api_for(elsewhere).post(
        "/api/v1/linkage/hint", {"birth_date": "not a date"}, content_type="application/json"
    )
    assert bad.status_code in {400, 422}
    unknown = api_for(elsewhere).post(
        "/api/v1/linkage/hint", {"gender_identity": "nonsense"}, content_type="application/json"
    )
    assert unknown.status_code in {400, 422}


def test_the_hint_and_the_run_speak_french():
    from django.utils import translation

    from harbour.api.routers.linkage import hint_message

    with translation.override("fr"):
        assert "Posez-lui la question" in hint_message(True)
        out = StringIO()
        call_command("linkage_run", stdout=out)
        assert "Personnes\u00a0: 0" in out.getvalue()


def test_web_intake_at_a_second_organisation_shows_the_hint_and_nothing_more(
    make_case, make_user, org, other_org, caseworker, client_for
):
    first = make_case(caseworker, survivor={"given_name": "Nadia", "family_name": "Okafor"})
    elsewhere = make_user("caseworker", other_org)
    client = client_for(elsewhere)
    form = {
        "case__intake_date": "2026-10-14",
        "case__intake_province": "CA-MB",
        "case__consent_to_record": "true",
        "case__exploitation_types": ["forced_labour"],
        "survivor__given_name": "Nadia",
        "survivor__family_name": "OKAFOR",
        "survivor__birth_date": "1998-04-02",
        "survivor__gender_identity": "woman",
    }
    done = client.post("/cases/intake/", form)
    assert done.status_code == 302
    page = client.get(done["Location"]).content.decode()
    assert "may have been served before by another organisation" in page
    assert org.name not in page
    about = AuditEvent.objects.get(action="linkage.hint_about", org_id=org.pk)
    assert about.actor_org_id is None  # the matched organisation does not learn who asked
    copy = client_for(caseworker).get(
        f"/sharing/survivors/{first.survivor_id}/rights/?format=print"
    )
    copy_page = copy.content.decode()
    day = about.occurred_at.date().isoformat()
    title = copy_page.split("<title>", 1)[1].split("</title>", 1)[0]
    body = copy_page.split("</title>", 1)[1]
    assert day not in title  # the hints section belongs in the page, not its <title>
    assert "Hints given to other organisations" not in title
    hints = body.split("Hints given to other organisations", 1)[1]
    assert f"<li>{day}</li>" in hints
    assert other_org.name not in copy_page
    stranger = client.post(
        "/cases/intake/",
        form | {"survivor__given_name": "Amira", "survivor__family_name": "Haddad"},
    )
    assert "may have been served" not in client.get(stranger["Location"]).content.decode()


def test_the_case_page_gives_the_hint_in_french(
    make_case, make_user, org, other_org, caseworker, client_for
):
    make_case(caseworker, survivor={"given_name": "Nadia", "family_name": "Okafor"})
    client = client_for(make_user("caseworker", other_org))
    client.cookies["django_language"] = "fr"
    form = {
        "case__intake_date": "2026-10-14",
        "case__intake_province": "CA-MB",
        "case__consent_to_record": "true",
        "case__exploitation_types": ["forced_labour"],
        "survivor__given_name": "Nadia",
        "survivor__family_name": "Okafor",
        "survivor__birth_date": "1998-04-02",
        "survivor__gender_identity": "woman",
    }
    done = client.post("/cases/intake/", form)
    assert done.status_code == 302
    page = client.get(done["Location"]).content.decode()
    assert '<html lang="fr">' in page
    assert "Cette personne a peut-être déjà été servie par un autre organisme" in page
    assert "Posez-lui la question" in page
    assert "may have been served before" not in page
    assert org.name not in page


# --- the lookup blocks behind the hint (ADR 41) -------------------------------------------------


def _blocks(survivor_id) -> set[str]:
    return set(
        EncodingBlock.objects.filter(encoding__survivor_id=survivor_id).values_list(
            "key", flat=True
        )
    )


def test_intake_writes_the_blocks_hashed_and_an_identity_change_replaces_them(
    make_case, caseworker
):
    from harbour.cases.actions import update_survivor

    case = make_case(caseworker, survivor={"given_name": "Maricel", "family_name": "Santos"})
    first = _blocks(case.survivor_id)
    assert len(first) == 1 + 2 * 25  # whole encoding, and each key with its narrowed key
    assert all(len(k) == 20 and int(k, 16) >= 0 for k in first)
    row = SurvivorEncoding.objects.get(survivor=case.survivor)
    assert all(k not in row.encoding for k in first)  # keyed hashes, not pieces of filters
    update_survivor(by=caseworker, survivor=case.survivor, values={"family_name": "Reyes"})
    second = _blocks(case.survivor_id)
    assert second != first and len(second) == len(first)
    assert EncodingBlock.objects.count() == len(second)  # the old ones are gone


def test_blocks_go_with_the_encoding(make_case, caseworker, supervisor, org):
    from harbour.sharing.actions.rights import erase_survivor

    case = make_case(caseworker)
    assert EncodingBlock.objects.filter(org=org).exists()
    erase_survivor(by=supervisor, survivor=case.survivor)
    assert not EncodingBlock.objects.exists()


def test_a_bulk_import_writes_the_same_blocks_as_a_single_intake(supervisor):
    import datetime as dt

    from harbour.cases import bulk
    from harbour.cases.actions import start_intake

    survivor = {
        "given_name": "Nadia",
        "family_name": "Haddad",
        "birth_date": dt.date(1990, 7, 21),
        "gender_identity": "woman",
    }
    case = {
        "intake_date": dt.date(2026, 3, 1),
        "intake_province": "CA-ON",
        "consent_to_record": True,
        "exploitation_types": ["forced_labour"],
    }
    single = start_intake(by=supervisor, survivor_values=survivor, case_values=case)[0]
    bulk.start_intakes(by=supervisor, intakes=[bulk.Intake(survivor, case, "many")])
    many = Case.objects.get(submission_key="many")
    assert _blocks(many.survivor_id) == _blocks(single.survivor_id) != set()


def test_the_hint_reads_only_encodings_sharing_a_block(
    make_case, make_user, make_org, other_org, caseworker
):
    served = make_case(caseworker)  # Élodie Tremblay, 1998-04-02
    stranger = make_case(
        make_user("caseworker", make_org()),
        survivor={"given_name": "Wei", "family_name": "Zhang", "birth_date": "1961-11-30"},
    )
    mine = Encoding.from_text(
        SurvivorEncoding.objects.get(survivor=served.survivor).encoding, key_id=hub_key().key_id
    )
    read = set(
        hints._candidates(mine, other_org.pk, hub_key()).values_list("survivor_id", flat=True)
    )
    assert read == {served.survivor_id}  # the stranger shares no block: never read
    assert stranger.survivor_id not in read
    # The asker's own organisation is left out, as before.
    assert not hints._candidates(mine, served.org_id, hub_key()).exists()


def test_an_oversized_block_is_narrowed_in_the_database_too(
    make_case, make_user, make_org, other_org, caseworker
):
    """A placeholder birthday shared by more records than the cap: only those also sharing the
    narrowing bits of the names are read (the kernel's rule), the same person among them."""
    born = "1990-01-01"
    served = make_case(
        caseworker, survivor={"given_name": "Amira", "family_name": "Haddad", "birth_date": born}
    )
    other = make_user("caseworker", make_org())
    for name in ("Bo", "Cy", "Di"):
        make_case(other, survivor={"given_name": name, "family_name": "Li", "birth_date": born})
    index = matching.LookupIndex(matching.Blocking(max_block=3))  # a cap small enough to reach
    import datetime as dt

    asked = {"given_name": "Amira", "family_name": "Haddad", "birth_date": dt.date(1990, 1, 1)}
    mine = encode(hub_key(), asked)
    read = hints._candidates(mine, other_org.pk, hub_key(), index=index)
    assert set(read.values_list("survivor_id", flat=True)) == {served.survivor_id}
    wide = hints._candidates(mine, other_org.pk, hub_key())  # the default cap: all four
    assert wide.count() == 4


def test_after_a_new_key_and_encode_stale_the_hint_still_finds_the_survivor(
    make_case, make_user, other_org, caseworker, settings
):
    import base64

    served = make_case(caseworker)
    before = _blocks(served.survivor_id)
    settings.HARBOUR_LINKAGE_KEY = base64.urlsafe_b64encode(b"n" * 32).decode()
    out = StringIO()
    call_command("linkage_encode", "--stale", stdout=out)
    assert "1 survivors encoded" in out.getvalue()
    after = _blocks(served.survivor_id)
    assert after and not after & before  # the old key's blocks match nothing new
    assert EncodingBlock.objects.filter(key__in=before).count() == 0
    elsewhere = make_user("caseworker", other_org)
    hint = hints.returning_hint(by=elsewhere, values=IDENTITY | {"given_name": "Elodie"})
    assert hint.known


def test_encodings_made_before_the_blocks_are_stale_until_encoded(make_case, caseworker):
    case = make_case(caseworker)
    EncodingBlock.objects.all().delete()  # as after migrating to the lookup index
    assert actions.encode_survivors(by=caseworker, stale_only=True) == 1
    assert _blocks(case.survivor_id)
    assert actions.encode_survivors(by=caseworker, stale_only=True) == 0
