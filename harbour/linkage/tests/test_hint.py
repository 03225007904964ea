"""The returning-survivor hint (issue 12, ADR 41): what it may say by the survivor's consent
"known elsewhere", the three answers, and the limit on probes (a typed identity makes a
membership oracle)."""

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone, translation

from harbour.audit.models import AuditEvent
from harbour.audit.tests import crossing
from harbour.linkage import hints, lookup, policy
from harbour.linkage.core import packed
from harbour.linkage.core.encoding import LinkageKey, encode
from harbour.sharing.actions.consent import record_consent, withdraw_consent
from harbour.sharing.models import Purpose
from harbour.standard.dictionary import current

pytestmark = pytest.mark.django_db

IDENTITY = {
    "given_name": "Élodie",
    "family_name": "Tremblay",
    "birth_date": "1998-04-02",
    "gender_identity": "woman",
}
INTAKE = {
    "case__intake_date": "2026-10-14",
    "case__intake_province": "CA-MB",
    "case__consent_to_record": "true",
    "case__exploitation_types": ["forced_labour"],
    "survivor__given_name": "Elodie",
    "survivor__family_name": "TREMBLAY",
    "survivor__birth_date": "1998-04-02",
    "survivor__gender_identity": "woman",
}
STRANGER = IDENTITY | {"given_name": "Amira", "family_name": "Haddad"}
WEAK = {"given_name": "X"}
WHERE = "This person may have been served before by an organisation in Ontario in 2026."
GENERIC = "This person may have been served before by another organisation."


@pytest.fixture
def provinces_told(settings):
    """Every province may be told, however few organisations it holds: for the tests of
    consent; `test_a_province_of_too_few_organisations_is_told_as_canada` tests the floor."""
    settings.HARBOUR_HINT_MIN_ORGS_PER_PLACE = 1


def _consent(by, survivor, asker, *, state="present"):
    """A consent of the survivor at the organisation that served them, in the given state."""
    today = timezone.localdate()
    starts, ends = today, today + dt.timedelta(days=365)
    if state == "expired":
        starts, ends = today - dt.timedelta(days=400), today - dt.timedelta(days=5)
    if state == "not_started":
        starts, ends = today + dt.timedelta(days=5), today + dt.timedelta(days=300)
    purposes = ["referral"] if state == "other_purpose" else [str(Purpose.KNOWN_ELSEWHERE)]
    consent = record_consent(
        by=by,
        survivor=survivor,
        recipient_kind="organisation_type",
        recipient_org_type=asker.type,
        categories=[current().categories[0].id],
        purposes=purposes,
        method="verbal",
        starts_on=starts,
        expires_on=ends,
    )
    if state == "withdrawn":
        withdraw_consent(by=by, consent=consent)
    return consent


def _ask(channel, user, client_for, api_for):
    """The hint's message as the asker sees it, through the web intake or the API."""
    if channel == "api":
        response = api_for(user).post(
            "/api/v1/linkage/hint", IDENTITY, content_type="application/json"
        )
        assert response.status_code == 200, response.content
        return response.json()["message"], response.content.decode()
    client = client_for(user)
    done = client.post("/cases/intake/", INTAKE)
    assert done.status_code == 302
    page = client.get(done["Location"]).content.decode()
    return page, page


@pytest.mark.parametrize("channel", ["web", "api"])
@pytest.mark.parametrize(
    ("state", "tells_where"),
    [
        ("absent", False),
        ("present", True),
        ("withdrawn", False),
        ("expired", False),
        ("not_started", False),
        ("other_purpose", False),
    ],
)
def test_what_the_hint_says_is_the_survivors_decision(
    state,
    tells_where,
    channel,
    provinces_told,
    make_case,
    make_user,
    org,
    other_org,
    caseworker,
    client_for,
    api_for,
):
    served = make_case(caseworker)
    if state != "absent":
        _consent(caseworker, served.survivor, other_org, state=state)
    said, whole = _ask(channel, make_user("caseworker", other_org), client_for, api_for)
    assert (WHERE in said) is tells_where
    assert (GENERIC in said) is not tells_where
    assert org.name not in whole and str(org.pk) not in whole  # never the organisation
    about = AuditEvent.objects.get(action="linkage.hint_about", org_id=org.pk)
    assert about.target_id == str(served.survivor_id) and about.actor_org_id is None
    assert about.context == {"place_told": "yes" if tells_where else "no"}
    asked = AuditEvent.objects.get(action="linkage.hint_asked", org_id=other_org.pk)
    assert asked.context == {"answer": "known", "place_told": "yes" if tells_where else "no"}
    copy = client_for(caseworker).get(
        f"/sharing/survivors/{served.survivor_id}/rights/?format=print"
    )
    hints = copy.content.decode().split("Hints given to other organisations", 1)[1]
    day = about.occurred_at.date().isoformat()
    assert day in hints
    told = "with where — the province, or only Canada — and the year, as you consented"
    assert (told in hints) is tells_where
    assert other_org.name not in copy.content.decode()


def test_the_api_gives_province_and_year_only_by_consent(
    provinces_told, make_case, make_user, make_org, org, other_org, caseworker, api_for
):
    alberta = make_org(province="CA-AB", city="Calgary", provinces_served=["CA-AB"])
    served = make_case(caseworker)
    there = make_user("caseworker", alberta)
    make_case(there, case={"intake_date": "2024-03-01", "intake_province": "CA-AB"})
    again = make_case(there, case={"intake_date": "2025-06-01", "intake_province": "CA-AB"})
    assert again.survivor_id != served.survivor_id  # one record per intake in this fixture
    nowhere = make_org(province="CA-QC", city="Montréal", provinces_served=["CA-QC"])
    make_case(make_user("caseworker", nowhere))  # a match without consent
    _consent(caseworker, served.survivor, other_org)
    _consent(there, again.survivor, other_org)
    response = api_for(make_user("caseworker", other_org)).post(
        "/api/v1/linkage/hint", IDENTITY, content_type="application/json"
    )
    body = response.json()
    assert body["answer"] == "known" and body["may_be_known_elsewhere"] is True
    assert body["places"] == [
        {"province": "CA-AB", "year": 2025},
        {"province": "CA-ON", "year": 2026},
    ]
    assert "Alberta in 2025, Ontario in 2026" in body["message"]
    assert "Quebec" not in body["message"]
    for named in (org, alberta, nowhere):
        assert named.name not in response.content.decode()


def test_a_consent_naming_another_type_tells_nothing_of_where(
    make_case, make_user, make_org, org, caseworker, api_for
):
    served = make_case(caseworker)
    shelter = make_org(type="shelter", province="CA-BC", city="Victoria")
    _consent(caseworker, served.survivor, shelter)  # names shelters, the asker is an NGO
    body = (
        api_for(make_user("caseworker", make_org(province="CA-BC", city="Kelowna")))
        .post("/api/v1/linkage/hint", IDENTITY, content_type="application/json")
        .json()
    )
    assert body["answer"] == "known" and body["places"] == []


@pytest.mark.parametrize(
    "identity",
    [
        {"given_name": "Élodie"},
        {"family_name": "Tremblay", "gender_identity": "woman"},
        {"birth_date": "1998-04-02", "country_of_birth": "CA"},
    ],
)
def test_a_weak_identity_says_too_little_not_no_sign(
    identity, make_case, make_user, other_org, caseworker, api_for
):
    make_case(caseworker)
    response = api_for(make_user("caseworker", other_org)).post(
        "/api/v1/linkage/hint", identity, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["answer"] == "too_little" and body["may_be_known_elsewhere"] is False
    assert body["message"].startswith("Too little of the identity to tell")
    assert "No sign" not in body["message"]
    probe = AuditEvent.objects.get(action="linkage.hint_too_little")
    assert probe.org_id == other_org.pk and probe.context == {}
    assert not AuditEvent.objects.filter(action="linkage.hint_about").exists()


def test_the_openapi_schema_names_the_three_answers(client):
    schema = client.get("/api/v1/openapi.json").json()
    out = schema["components"]["schemas"]["HintOut"]
    assert out["properties"]["answer"]["enum"] == ["known", "none", "too_little"]
    assert set(out["required"]) >= {"may_be_known_elsewhere", "answer", "places", "message"}
    responses = schema["paths"]["/api/v1/linkage/hint"]["post"]["responses"]
    assert "429" in responses


def test_probes_beyond_the_limit_are_refused_audited_and_reveal_nothing(
    settings, make_case, make_user, org, other_org, caseworker, api_for, client_for
):
    settings.HARBOUR_HINT_PROBES_PER_HOUR = 3
    served = make_case(caseworker)
    _consent(caseworker, served.survivor, other_org)
    asker = make_user("caseworker", other_org)
    api = api_for(asker)
    stranger = IDENTITY | {"given_name": "Amira", "family_name": "Haddad"}
    assert api.post("/api/v1/linkage/hint", stranger, content_type="application/json").json()[
        "answer"
    ] == ("none")
    # A weak identity compares nothing, but is audited and counted all the same.
    weak = api.post("/api/v1/linkage/hint", {"given_name": "X"}, content_type="application/json")
    assert weak.json()["answer"] == "too_little"
    assert api.post("/api/v1/linkage/hint", IDENTITY, content_type="application/json").json()[
        "answer"
    ] == ("known")
    about_before = AuditEvent.objects.filter(action="linkage.hint_about").count()
    refused = api.post("/api/v1/linkage/hint", IDENTITY, content_type="application/json")
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "too_many_attempts"
    assert error["message"].startswith("Too many returning-survivor hints")
    for secret in ("may_be_known_elsewhere", "Ontario", "2026", "places", org.name):
        assert secret not in refused.content.decode()
    assert AuditEvent.objects.filter(action="linkage.hint_about").count() == about_before
    denied = AuditEvent.objects.get(action="linkage.hint_refused")
    assert denied.org_id == other_org.pk and denied.outcome == "refused"
    assert denied.context == {"limit": "user"}
    assert denied.actor_id == asker.pk
    # Another user of the same organisation has their own allowance.
    colleague = api_for(make_user("caseworker", other_org))
    ok = colleague.post("/api/v1/linkage/hint", IDENTITY, content_type="application/json")
    assert ok.status_code == 200
    # The case page after an intake is a probe too: over the limit it says so, not a hint.
    client = client_for(asker)
    done = client.post("/cases/intake/", INTAKE)
    page = client.get(done["Location"]).content.decode()
    assert "Too many returning-survivor hints asked in the last hour" in page
    assert "may have been served" not in page and "Ontario in 2026" not in page
    assert AuditEvent.objects.filter(action="linkage.hint_refused").count() == 2


def test_the_case_page_hint_counts_as_a_probe(
    settings, make_case, make_user, other_org, caseworker, client_for, api_for
):
    settings.HARBOUR_HINT_PROBES_PER_HOUR = 1
    make_case(caseworker)
    asker = make_user("caseworker", other_org)
    client = client_for(asker)
    done = client.post("/cases/intake/", INTAKE)
    assert GENERIC in client.get(done["Location"]).content.decode()
    refused = api_for(asker).post("/api/v1/linkage/hint", IDENTITY, content_type="application/json")
    assert refused.status_code == 429


def _probe(api, identity):
    return api.post("/api/v1/linkage/hint", identity, content_type="application/json")


def test_weak_probes_count_toward_the_limit_and_are_refused_beyond_it(
    settings, make_user, other_org, api_for
):
    """A weak identity compares nothing, but each probe fills the audit trail: an automated
    caller sending weak identities is held by the same limit."""
    settings.HARBOUR_HINT_PROBES_PER_HOUR = 2
    api = api_for(make_user("caseworker", other_org))
    for _ in range(2):
        assert _probe(api, WEAK).json()["answer"] == "too_little"
    assert _probe(api, WEAK).status_code == 429
    assert _probe(api, STRANGER).status_code == 429
    assert AuditEvent.objects.filter(action="linkage.hint_too_little").count() == 2
    assert AuditEvent.objects.filter(action="linkage.hint_refused").count() == 2


def test_the_organisation_limit_counts_every_user_of_the_organisation(
    settings, make_case, make_user, make_org, other_org, caseworker, api_for, client_for
):
    settings.HARBOUR_HINT_PROBES_PER_HOUR = 2
    settings.HARBOUR_HINT_PROBES_PER_HOUR_ORG = 3
    make_case(caseworker)
    first, second, third = (make_user("caseworker", other_org) for _ in range(3))
    api = api_for(first)
    assert _probe(api, IDENTITY).json()["answer"] == "known"
    assert _probe(api, WEAK).json()["answer"] == "too_little"  # counted for both limits
    colleague = api_for(second)
    assert _probe(colleague, STRANGER).json()["answer"] == "none"
    # The colleague has asked once of their own two, but the organisation three of three.
    refused = _probe(colleague, IDENTITY)
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "too_many_attempts"
    assert error["message"].startswith("Your organisation has reached its limit")
    for secret in ("may_be_known_elsewhere", "Ontario", "places"):
        assert secret not in refused.content.decode()
    denied = AuditEvent.objects.get(action="linkage.hint_refused")
    assert denied.actor_id == second.pk and denied.org_id == other_org.pk
    assert denied.outcome == "refused" and denied.context == {"limit": "organisation"}
    # Another organisation's users have their own ceiling.
    elsewhere = make_org(province="CA-QC", city="Québec", provinces_served=["CA-QC"])
    assert _probe(api_for(make_user("caseworker", elsewhere)), IDENTITY).status_code == 200
    # The case page after an intake by a third colleague says whose limit was reached.
    client = client_for(third)
    page = client.get(client.post("/cases/intake/", INTAKE)["Location"]).content.decode()
    assert "Your organisation has reached its limit of returning-survivor hints" in page
    assert "may have been served" not in page and "Too many returning-survivor" not in page
    assert AuditEvent.objects.filter(action="linkage.hint_refused").count() == 2


def test_probes_older_than_an_hour_no_longer_count(settings, monkeypatch, make_user, other_org):
    """The clock read by the audit trail and by the limits is moved (the trail is append-only
    and hash-chained: its rows are not edited)."""
    settings.HARBOUR_HINT_PROBES_PER_HOUR = 2
    settings.HARBOUR_HINT_PROBES_PER_HOUR_ORG = 4
    asker, colleague = make_user("caseworker", other_org), make_user("caseworker", other_org)
    real = timezone.now()

    def ask(user, minutes_ago, identity=STRANGER):
        moment = real - dt.timedelta(minutes=minutes_ago)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return hints.returning_hint(by=user, values=identity)

    assert ask(asker, 61).answer == hints.Answer.NONE
    assert ask(asker, 61, WEAK).answer == hints.Answer.TOO_LITTLE
    assert ask(asker, 61).limit == hints.Limit.USER  # at its limit then
    assert ask(colleague, 59).answer == hints.Answer.NONE
    assert ask(colleague, 59, WEAK).answer == hints.Answer.TOO_LITTLE
    first = AuditEvent.objects.filter(actor_id=asker.pk, action="linkage.hint_asked").get()
    assert first.occurred_at == real - dt.timedelta(minutes=61)
    # Now the asker's probes of 61 minutes ago count for neither limit (six probes would pass
    # the organisation's four), the colleague's of 59 minutes ago still do.
    assert ask(asker, 0).answer == hints.Answer.NONE
    assert ask(asker, 0).answer == hints.Answer.NONE
    held = ask(colleague, 0)
    assert held.answer == hints.Answer.LIMITED and held.limit == hints.Limit.USER


def test_both_limits_are_counted_in_one_query(
    settings, make_user, other_org, django_assert_num_queries
):
    """The organisation's row lock, then one COUNT for the user's and the organisation's
    probes together (two COUNTs before), whichever limit is reached."""
    settings.HARBOUR_HINT_PROBES_PER_HOUR = 1
    settings.HARBOUR_HINT_PROBES_PER_HOUR_ORG = 2
    asker, colleague = make_user("caseworker", other_org), make_user("caseworker", other_org)
    with django_assert_num_queries(2):
        assert policy.probe_limit_reached(asker) is None
    hints.returning_hint(by=asker, values=STRANGER)
    with django_assert_num_queries(2):
        assert policy.probe_limit_reached(asker) == hints.Limit.USER
    with django_assert_num_queries(2):
        assert policy.probe_limit_reached(colleague) is None
    hints.returning_hint(by=colleague, values=WEAK)
    third = make_user("caseworker", other_org)
    with django_assert_num_queries(2):
        assert policy.probe_limit_reached(third) == hints.Limit.ORGANISATION


@pytest.mark.django_db(transaction=True)
def test_concurrent_probes_of_one_organisation_cannot_both_pass_its_limit(
    settings, monkeypatch, make_user, other_org
):
    """Two colleagues probing at once under a ceiling of one: the organisation's row lock makes
    the second count the first's probe. Without it both count none and both are answered."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers by itself (IMMEDIATE transactions)")
    settings.HARBOUR_HINT_PROBES_PER_HOUR = 1
    settings.HARBOUR_HINT_PROBES_PER_HOUR_ORG = 1
    users = [make_user("caseworker", other_org) for _ in range(2)]
    slow = hints._matching_elsewhere

    def matching_slowly(*args, **kwargs):
        time.sleep(0.5)  # holds the transaction open between counting and auditing
        return slow(*args, **kwargs)

    monkeypatch.setattr(hints, "_matching_elsewhere", matching_slowly)
    start, answers, errors = threading.Barrier(2), [], []

    def probe(user):
        try:
            start.wait()
            answers.append(hints.returning_hint(by=user, values=STRANGER).answer)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=probe, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(answers) == sorted([hints.Answer.NONE, hints.Answer.LIMITED])


@pytest.mark.parametrize("channel", ["web", "api"])
@pytest.mark.parametrize(
    ("others", "told"),
    [
        ([], "Canada"),
        ([{"is_active": False}, {"type": "shelter"}], "Canada"),  # two active with it
        ([{"type": "shelter"}, {}], "Alberta"),  # three active, of any type
    ],
)
def test_a_province_of_too_few_organisations_is_told_as_canada(
    others, told, channel, make_case, make_user, make_org, other_org, client_for, api_for
):
    """By default (HARBOUR_HINT_MIN_ORGS_PER_PLACE 3) a province holding fewer active
    organisations would point at the one that served the survivor: the hint says Canada."""
    alberta = {"province": "CA-AB", "city": "Calgary", "provinces_served": ["CA-AB"]}
    there = make_user("caseworker", make_org(**alberta))
    for fields in others:
        make_org(**alberta | fields)
    served = make_case(there)
    _consent(there, served.survivor, other_org)
    said, whole = _ask(channel, make_user("caseworker", other_org), client_for, api_for)
    assert f"served before by an organisation in {told} in 2026." in said
    if told == "Canada":
        assert "Alberta" not in whole and "CA-AB" not in whole
    if channel == "api":
        province = None if told == "Canada" else "CA-AB"
        assert json.loads(whole)["places"] == [{"province": province, "year": 2026}]
    # A place was told all the same: the audit events say so, as before.
    asked = AuditEvent.objects.get(action="linkage.hint_asked", org_id=other_org.pk)
    assert asked.context == {"answer": "known", "place_told": "yes"}
    about = AuditEvent.objects.get(action="linkage.hint_about", org_id=there.org_id)
    assert about.context == {"place_told": "yes"}


def test_provinces_are_told_before_canada(
    make_case, make_user, make_org, org, other_org, caseworker, api_for
):
    for _ in range(2):
        make_org()  # Ontario then holds three organisations
    served = make_case(caseworker)
    there = make_user("caseworker", make_org(province="CA-AB", city="Calgary"))
    again = make_case(there, case={"intake_date": "2025-06-01", "intake_province": "CA-AB"})
    _consent(caseworker, served.survivor, other_org)
    _consent(there, again.survivor, other_org)
    body = _probe(api_for(make_user("caseworker", other_org)), IDENTITY).json()
    assert body["places"] == [
        {"province": "CA-ON", "year": 2026},
        {"province": None, "year": 2025},
    ]
    assert "an organisation in Ontario in 2026, Canada in 2025." in body["message"]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"HARBOUR_HINT_PROBES_PER_HOUR_ORG": "10"}, "HARBOUR_HINT_PROBES_PER_HOUR_ORG"),
        ({"HARBOUR_HINT_PROBES_PER_HOUR": "400"}, "HARBOUR_HINT_PROBES_PER_HOUR_ORG"),
        ({"HARBOUR_HINT_PROBES_PER_HOUR_ORG": "many"}, "HARBOUR_HINT_PROBES_PER_HOUR_ORG"),
        ({"HARBOUR_HINT_MIN_ORGS_PER_PLACE": "0"}, "HARBOUR_HINT_MIN_ORGS_PER_PLACE"),
        ({"HARBOUR_HINT_MIN_ORGS_PER_PLACE": "few"}, "HARBOUR_HINT_MIN_ORGS_PER_PLACE"),
    ],
)
def test_a_bad_organisation_limit_or_place_floor_fails_loudly(env, named):
    done = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        env=os.environ | env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert named in done.stderr


def test_an_organisation_limit_equal_to_the_users_is_accepted():
    both = {"HARBOUR_HINT_PROBES_PER_HOUR": "400", "HARBOUR_HINT_PROBES_PER_HOUR_ORG": "400"}
    done = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        env=os.environ | both,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("bad", ["many", "0", "-3"])
def test_a_bad_probe_limit_fails_loudly(bad):
    env = os.environ | {"HARBOUR_HINT_PROBES_PER_HOUR": bad}
    done = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "HARBOUR_HINT_PROBES_PER_HOUR" in done.stderr


def test_the_answers_speak_french():
    """Needs the lead's French catalogues (the msgids of /work/tr/hint.json and
    /work/tr/h1link.json)."""
    with translation.override("fr"):
        where = hints.Hint(hints.Answer.KNOWN, (("CA-QC", 2024),)).message()
        assert "Québec en 2024" in where and "Posez-lui la question" in where
        assert "Trop peu d’éléments" in hints.Hint(hints.Answer.TOO_LITTLE).message()
        assert "Trop d’indications" in hints.Hint(hints.Answer.LIMITED).message()
        organisation = hints.Hint(hints.Answer.LIMITED, limit=hints.Limit.ORGANISATION)
        assert organisation.message().startswith("Votre organisme a atteint sa limite")
        canada = hints.Hint(hints.Answer.KNOWN, ((None, 2025),)).message()
        assert "(Canada en 2025)" in canada
        assert str(Purpose.KNOWN_ELSEWHERE.label).startswith("d’autres organismes")


def test_before_the_first_linkage_run_only_a_record_the_same_for_sure_is_known(
    make_case, make_user, other_org, caseworker, api_for
):
    """The default weights, learnt from nothing, told 27 % of strangers "known" (ADR 41): until
    a run has learnt weights from the hub's records, a near match says nothing."""
    make_case(caseworker)
    api = api_for(make_user("caseworker", other_org))
    typo = IDENTITY | {"given_name": "Élodei"}
    for identity, answer in ((typo, "none"), (STRANGER, "none"), (IDENTITY, "known")):
        body = api.post("/api/v1/linkage/hint", identity, content_type="application/json").json()
        assert body["answer"] == answer, identity


@pytest.mark.django_db(transaction=True)
def test_hints_crossing_two_organisations_at_once_do_not_deadlock(
    monkeypatch, make_case, make_user, caseworker, org, other_org
):
    """A's staff ask about someone known at B while B's staff ask about someone known at A.
    Each hint writes its asker's chain and the matched organisation's: written in turn, each
    held its own chain's head and waited for the other's, and PostgreSQL aborted one (a 500).
    Both are held up here after their probe event, before the event at the other end; with
    every chain locked first in one order, one waits for the other and both finish."""
    crossing.skip_unless_postgresql()
    theirs = make_user("caseworker", other_org)
    make_case(theirs)  # IDENTITY, known at B
    make_case(caseworker, survivor=STRANGER)  # known at A

    def ask(user, values):
        return lambda: hints.returning_hint(by=user, values=values).answer

    answers, errors = crossing.cross(
        monkeypatch,
        hints,
        lambda event: event["action"] == "linkage.hint_about",
        {"a": (caseworker, ask(caseworker, IDENTITY)), "b": (theirs, ask(theirs, STRANGER))},
    )
    assert errors == []
    assert answers == {"a": hints.Answer.KNOWN, "b": hints.Answer.KNOWN}
    about = AuditEvent.objects.filter(action="linkage.hint_about")
    assert sorted(str(e.org_id) for e in about) == sorted([str(org.pk), str(other_org.pk)])


def test_one_malformed_stored_row_costs_one_check_per_row_not_one_packing_each(monkeypatch):
    """The batch refused for one malformed row is checked row by row and packed once more,
    not packed text by text (300 rows: 41 ms, against 5 ms checked then packed); the bad row
    is left out and the others packed as they would be without it."""
    key = LinkageKey(b"k" * 32)
    people = [
        {"given_name": f"Ana{i}", "family_name": "Cruz", "birth_date": dt.date(1990, 1, 1 + i)}
        for i in range(20)
    ]
    texts = [encode(key, p).to_text() for p in people]
    bad = texts[7].rsplit(":", 1)[0] + ":ff"  # not a balanced filter
    texts = [*texts[:7], bad, *texts[7:]]
    packed_texts, calls = lookup.packed_texts, []

    def counted(texts, key_id):
        calls.append(len(texts))
        return packed_texts(texts, key_id)

    monkeypatch.setattr(lookup, "packed_texts", counted)
    rows, kept = hints._packed(texts, key.key_id)
    assert calls == [21, 20]
    assert kept == [i for i in range(21) if i != 7]
    good = packed.Packed.from_texts([t for t in texts if t != bad], key_id=key.key_id)
    assert rows.n == 20
    assert all((x == y).all() for x, y in zip(rows.words, good.words, strict=True))


def test_records_matched_at_one_organisation_are_audited_there_in_one_append(
    provinces_told, make_case, make_user, org, other_org, caseworker
):
    """One `linkage.hint_about` event per matched record, in its organisation's chain, with
    whether the place was told, and the chains verify; the events of one organisation are
    appended at once (`record_events`), so a second matched record there costs no query more
    (one `record_event` each cost three to five: at 1,000,000 encodings a returning survivor
    matches several records)."""
    from django.test.utils import CaptureQueriesContext

    from harbour.audit import queries as audit_queries

    asker = make_user("caseworker", other_org)
    first = make_case(caseworker)
    _consent(caseworker, first.survivor, other_org)
    hints.returning_hint(by=asker, values=IDENTITY)  # the first: the key and scoring read
    with CaptureQueriesContext(connection) as one:
        assert hints.returning_hint(by=asker, values=IDENTITY).known
    second = make_case(caseworker)
    with CaptureQueriesContext(connection) as two:
        assert hints.returning_hint(by=asker, values=IDENTITY).known
    assert len(two.captured_queries) == len(one.captured_queries)
    about = AuditEvent.objects.filter(action="linkage.hint_about", org_id=org.pk)
    latest = about.order_by("-seq")[:2]
    assert sorted((e.target_id, e.context["place_told"]) for e in latest) == sorted(
        [(str(first.survivor_id), "yes"), (str(second.survivor_id), "no")]
    )
    assert about.count() == 4 and all(e.actor_org_id is None for e in about)
    assert audit_queries.verify()[1] == []
