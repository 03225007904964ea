"""Funders, programs, awards, profiles and committees: rules, permissions, audit, eligibility."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from harbour.audit.models import AuditEvent
from harbour.core.errors import Forbidden, InvalidInput, NotFound
from harbour.grants import actions, policy, queries
from harbour.grants.models import Award, Program, Recurrence
from harbour.grants.tests.conftest import PROGRAM, SYSTEM, TODAY

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"deadline": "2027-01-01"}, "deadline"),  # before intake opens
        ({"amount_min": -5}, "amount_min"),
        ({"amount_min": 200000}, "amount_max"),  # reversed
        ({"provinces": ["CA-XX"]}, "provinces"),
        ({"pillars": ["punishment"]}, "pillars"),
        ({"populations": "youth;aliens"}, "populations"),
        ({"name_en": '=HYPERLINK("http://evil")'}, "name_en"),
        ({"code": "Bad Code!"}, "code"),
        ({"opens_on": "yesterday"}, "opens_on"),
        ({"amount_max": "a lot"}, "amount_max"),
        ({"url": "javascript:alert(1)"}, "url"),
    ],
)
def test_bad_program_values_are_refused_and_nothing_is_saved(
    analyst: Any, funder: Any, change: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        actions.save_program(by=analyst, funder=funder, values_in=PROGRAM | change)
    assert field in caught.value.errors
    assert not Program.objects.exists()


def test_a_duplicate_program_code_is_refused(program: Program, analyst: Any, funder: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        actions.save_program(by=analyst, funder=funder, values_in=PROGRAM | {"name_en": "Other"})
    assert "code" in caught.value.errors
    assert Program.objects.count() == 1


def test_a_curator_saves_a_program_and_it_is_audited(analyst: Any, funder: Any) -> None:
    program = actions.save_program(by=analyst, funder=funder, values_in=PROGRAM)
    event = AuditEvent.objects.get(action="grants.program.created")
    assert event.target_id == str(program.pk) and event.actor_id == analyst.pk
    assert "amount_max" in event.fields
    actions.save_program(
        by=analyst, funder=funder, program=program, values_in=PROGRAM | {"amount_max": 90000}
    )
    updated = AuditEvent.objects.get(action="grants.program.updated")
    assert updated.fields == ["amount_max"]


@pytest.mark.parametrize("role", ["caseworker", "org_admin", "researcher", "auditor"])
def test_only_national_coordinators_curate(
    make_user: Callable[..., Any], org: Any, funder: Any, role: str
) -> None:
    user = make_user(role, org)
    with pytest.raises(Forbidden):
        actions.save_program(by=user, funder=funder, values_in=PROGRAM)
    with pytest.raises(NotFound):
        policy.funder_to_curate(user, funder.pk)


def test_an_org_admin_keeps_only_their_own_profile(
    org_admin: Any, org: Any, other_org: Any, caseworker: Any
) -> None:
    values = {
        "group": "ngos",
        "regions": ["CA-ON"],
        "languages": ["eng", "fra"],
        "contact_name": "Amina Haddad",
        "contact_email": "amina@example.org",
    }
    profile = actions.save_profile(by=org_admin, org=org, values_in=values)
    assert profile.contact_name == "Amina Haddad"
    event = AuditEvent.objects.get(action="grants.profile.created")
    assert "contact_name" in event.fields
    assert "Amina" not in str(event.context) and "amina@" not in str(event.fields)
    with pytest.raises(Forbidden):
        actions.save_profile(by=org_admin, org=other_org, values_in=values)
    with pytest.raises(Forbidden):
        actions.save_profile(by=caseworker, org=org, values_in=values)
    with pytest.raises(NotFound):
        policy.profile_org_to_edit(caseworker)
    with pytest.raises(InvalidInput) as caught:
        actions.save_profile(by=org_admin, org=org, values_in=values | {"languages": ["klingon"]})
    assert "languages" in caught.value.errors


def test_awards_belong_to_their_organisation(
    org_admin: Any, org: Any, other_org: Any, program: Program
) -> None:
    award_values = {
        "amount": 50000,
        "starts_on": "2026-04-01",
        "ends_on": "2027-03-31",
        "province": "CA-ON",
        "pillars": ["protection", "prevention"],
        "purpose_en": "Transitional housing",
    }
    award = actions.save_award(by=org_admin, org=org, program=program, values_in=award_values)
    assert policy.award_to_edit(org_admin, award.pk) == award
    with pytest.raises(Forbidden):
        actions.save_award(by=org_admin, org=other_org, program=program, values_in=award_values)
    with pytest.raises(InvalidInput):
        actions.save_award(
            by=org_admin, org=org, program=program, values_in=award_values | {"amount": 0}
        )
    with pytest.raises(InvalidInput):
        actions.save_award(
            by=org_admin,
            org=org,
            program=program,
            values_in=award_values | {"ends_on": "2025-01-01"},
        )
    assert Award.objects.count() == 1
    actions.delete_award(by=org_admin, award=award)
    assert not Award.objects.exists()


def test_eligibility_follows_type_province_and_the_deadline(
    make_org: Callable[..., Any], make_program: Callable[..., Program]
) -> None:
    fits = make_program()
    make_program(code="bc-only", provinces=["CA-BC"])
    make_program(code="police-only", org_types=["law_enforcement"])
    make_program(code="closed", recurrence="once", deadline="2027-02-01")
    anyone = make_program(code="anyone", provinces=[], org_types=[])
    shelter = make_org(type="shelter", province="CA-MB", provinces_served=["CA-MB"])
    found = queries.eligible_for(shelter, Program.objects.all(), on=TODAY)
    assert {p.code for p in found} == {fits.code, anyone.code}


def test_search_filters(make_program: Callable[..., Program]) -> None:
    make_program()
    make_program(
        code="later",
        name_en="Later fund",
        name_fr="Fonds tardif",
        deadline="2027-12-01",
        recurrence="once",
    )
    all_programs = Program.objects.all()

    def codes(**f: Any) -> set[str]:
        return {
            p.code for p in queries.search_programs(all_programs, queries.ProgramFilter(**f), TODAY)
        }

    assert codes(within_days=90) == {"safe-futures"}
    assert codes(text="later") == {"later"}
    assert codes(text="avenirs") == {"safe-futures"}
    assert codes(funder="wage-fund", province="CA-QC") == set()
    assert codes(province="CA-MB", population="youth") == {"safe-futures", "later"}


def test_a_yearly_program_moves_to_next_years_window(program: Program) -> None:
    assert program.window(dt.date(2028, 6, 1)) == (dt.date(2029, 1, 15), dt.date(2029, 4, 30))
    assert program.is_open(dt.date(2028, 2, 1))


@given(
    start=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 1, 1)),
    length=st.integers(min_value=0, max_value=300),
    offset=st.integers(min_value=-400, max_value=4000),
)
def test_a_yearly_window_never_ends_in_the_past_nor_grows(
    start: dt.date, length: int, offset: int
) -> None:
    p = Program(
        opens_on=start,
        deadline=start + dt.timedelta(days=length),
        recurrence=Recurrence.ANNUAL,
    )
    on = start + dt.timedelta(days=offset)
    opens, closes = p.window(on)
    assert closes >= on
    assert abs((closes - opens).days - length) <= 1  # 29 February moves to the 28th
    # The earliest window still open: the one before it had closed already.
    assert closes == p.deadline or closes - dt.timedelta(days=366) < on


def test_a_committee_without_survivors_is_flagged(
    make_org: Callable[..., Any], analyst: Any
) -> None:
    committee = actions.save_committee(
        by=analyst,
        values_in={
            "code": "data-research",
            "name_en": "Data and Research",
            "name_fr": "Données et recherche",
        },
    )
    members = []
    for group, kind in [
        ("ngos", "ngo"),
        ("frontline_systems", "law_enforcement"),
        ("at_risk_communities", "indigenous_led"),
    ]:
        member = make_org(type=kind)
        actions.save_profile(by=SYSTEM, org=member, values_in={"group": group})
        members.append(member)
    actions.set_members(by=analyst, committee=committee, orgs=members, chairs=members[:1])
    assert queries.missing_groups(committee) == ["survivors"]
    survivor_led = make_org(type="survivor_led")
    actions.save_profile(by=SYSTEM, org=survivor_led, values_in={"group": "survivors"})
    actions.set_members(by=analyst, committee=committee, orgs=[*members, survivor_led])
    assert queries.missing_groups(committee) == []
    with pytest.raises(InvalidInput):
        actions.set_members(
            by=analyst, committee=committee, orgs=members[:1], chairs=[survivor_led]
        )


def test_referral_rates_are_withheld_below_the_threshold() -> None:
    record = queries.ReferralRecord(received=9, answered=9, accepted=5, response_hours=[1.0] * 9)
    assert record.acceptance_rate is None and record.median_response_hours is None
    record = queries.ReferralRecord(received=10, answered=8, accepted=6, response_hours=[1, 2, 30])
    assert record.acceptance_rate == 0.75 and record.median_response_hours == 2


def test_deadline_reminders_are_sent_once(
    org: Any,
    org_admin: Any,
    supervisor: Any,
    caseworker: Any,
    make_program: Callable[..., Program],
    mailoutbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:

    make_program(code="soon", name_en="Soon fund", provinces=[], deadline="2027-03-10")
    make_program(code="later", name_en="Later fund", provinces=[], deadline="2027-06-10")
    with django_capture_on_commit_callbacks(execute=True):
        count = actions.send_deadline_reminders(by=SYSTEM, today=TODAY, days=14)
    assert count == 1
    assert sorted(m.to[0] for m in mailoutbox) == sorted([org_admin.email, supervisor.email])
    assert "Soon fund" in mailoutbox[0].body and "Later fund" not in mailoutbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.send_deadline_reminders(by=SYSTEM, today=TODAY, days=14) == 0
    assert len(mailoutbox) == 2
    assert AuditEvent.objects.filter(action="grants.deadlines.reminded").count() == 1
    call_command("grants_remind", "--days", "30")


@given(text=st.text(max_size=300))
def test_any_text_is_either_clean_or_refused_with_a_reason(text: str) -> None:
    from harbour.grants.values import FORMULA_START, clean_committee

    values = {"code": "any-text", "name_en": text, "name_fr": "Nom"}
    try:
        cleaned = clean_committee(values)
    except InvalidInput as error:
        assert set(error.errors) == {"name_en"} and all(str(m) for m in error.errors["name_en"])
    else:
        assert cleaned["name_en"] == "" or not cleaned["name_en"].startswith(FORMULA_START)
        assert "\n" not in cleaned["name_en"] and len(cleaned["name_en"]) <= 200
