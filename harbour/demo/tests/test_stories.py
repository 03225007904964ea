"""The planned cases: every value valid in the standard, dates in the past, reproducible by seed.

These run without the database: a story holds exactly what the actions will be given.
"""

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from harbour.cases.immigration import demo as immigration_demo
from harbour.demo import (
    care,
    identities,
    names,
    places,
    profiles,
    screening,
    situations,
    texts,
)
from harbour.demo.organisations import NATIONAL, PARTNERS
from harbour.demo.stories import OrgContext, Story, plan_stories
from harbour.standard.dictionary import current
from harbour.standard.validation import validate

COUNT = 300


def _contexts() -> list[OrgContext]:
    ids = iter(uuid.UUID(int=n) for n in range(1, 1000))
    return [
        OrgContext(
            spec=spec,
            pk=next(ids),
            caseworkers=(next(ids), next(ids)),
            staff=(next(ids),),
            referrers=(next(ids),),
        )
        for spec in PARTNERS
    ]


@pytest.fixture(scope="module")
def planned() -> list[Story]:
    return plan_stories(count=COUNT, seed=11, orgs=_contexts(), today=timezone.localdate())


def _records(story: Story) -> Iterator[tuple[str, dict[str, Any]]]:
    if story.returning_of is None:
        # The immigration snapshot becomes a timeline at load (cases.immigration.demo).
        yield "survivor", immigration_demo.split(story.survivor)[0]
    yield "case", story.case
    yield from (("trafficking_event", v) for v in story.events)
    yield from (("service_provided", v) for v in story.care.services)
    yield from (("support_plan", v) for v in story.care.plans)
    yield from (("follow_up", v) for v in story.care.follow_ups)
    yield from (("case_note", {"body": body}) for _day, body in story.care.notes)
    if story.screening:
        yield "screening", story.screening


def test_every_planned_value_validates_against_the_dictionary(planned: list[Story]) -> None:
    version = current().latest
    for story in planned:
        for entity, values in _records(story):
            validate(current().entity(entity), values, version=version)  # raises if not


def test_dates_are_in_the_past_and_ages_add_up(planned: list[Story]) -> None:
    today = timezone.localdate()
    assert min(s.intake for s in planned) >= today - dt.timedelta(days=3 * 365 + 3)
    for story in planned:
        assert story.intake <= today
        person = story.person
        assert person.birth_date < story.intake
        assert person.age_on(story.intake) == person.age >= person.age_trafficked
        assert story.case["age_when_trafficked"] <= person.age
        for event in story.events:
            assert person.birth_date < event.get("event_date", story.intake) <= story.intake


def test_about_a_tenth_of_intakes_are_anonymous_and_hold_no_identifiers(
    planned: list[Story],
) -> None:
    anonymous = [s for s in planned if not s.case["consent_to_record"]]
    assert 0.04 * COUNT < len(anonymous) < 0.18 * COUNT
    entity = current().entity("survivor")
    for story in anonymous:
        assert not [k for k in story.survivor if entity.field(k).is_sealed]
        assert "estimated_age" in story.survivor


def test_returning_survivors_come_back_to_the_same_organisation_later(
    planned: list[Story],
) -> None:
    second = [s for s in planned if s.returning_of is not None]
    assert second
    for story in second:
        first = planned[story.returning_of]  # type: ignore[index]
        assert story.org == first.org and story.intake > first.intake
        assert story.intake >= first.care.end  # after the first case was closed
        assert first.care.status == "closed" and first.case["consent_to_record"]
        assert story.survivor == {}


def test_distributions_look_like_what_services_describe(planned: list[Story]) -> None:
    def share(test: Any) -> float:
        return sum(1 for s in planned if test(s)) / len(planned)

    assert share(lambda s: s.person.gender in {"woman", "trans_woman"}) > 0.65
    assert share(lambda s: s.person.age < 35) > 0.6
    assert share(lambda s: "sexual_exploitation" in s.case["exploitation_types"]) > 0.6
    assert 0.05 < share(lambda s: "forced_labour" in s.case["exploitation_types"]) < 0.35
    assert share(lambda s: "intimate_partner" in s.case["relationship_to_trafficker"]) > 0.15
    assert share(lambda s: s.person.is_indigenous) > 0.1
    assert share(lambda s: s.care.status in {"active", "follow_up"}) > 0.5
    met = [screening.indicators_met(s.screening["indicator_set"], s.screening["indicators"])
           for s in planned if s.screening]  # fmt: skip
    assert 0.2 < sum(met) / len(met) < 0.8, "some screenings meet the indicators, some do not"


def test_the_same_seed_and_day_give_the_same_stories(planned: list[Story]) -> None:
    again = plan_stories(count=COUNT, seed=11, orgs=_contexts(), today=timezone.localdate())
    assert again == planned
    other = plan_stories(count=COUNT, seed=12, orgs=_contexts(), today=timezone.localdate())
    assert other != planned


def _codes(list_id: str) -> set[str]:
    return {c.code for c in current().codelists[list_id].codes}


def test_every_code_in_the_tables_is_in_its_code_list() -> None:
    tables: list[tuple[str, Any]] = [
        ("gender_identity", [*profiles.WOMEN_ONLY,
                             *(k for w in profiles.GENDER.values() for k in w)]),
        ("country", [*(k for w in profiles.COUNTRY.values() for k in w)]),
        ("language", [*(k for w in profiles.LANGUAGE.values() for k in w),
                      *(c for v in profiles.INDIGENOUS_LANGUAGES.values() for c in v), "iku"]),
        ("immigration_status", [k for w in profiles.IMMIGRATION.values() for k in w]),
        ("trp_stage", [*profiles.TRP_STAGE_HOLDER, *profiles.TRP_STAGE_OTHER]),
        ("relationship_to_trafficker", [k for w in situations.RELATIONSHIP.values() for k in w]),
        ("recruitment_method", [k for w in situations.RECRUITMENT.values() for k in w]),
        ("online_platform", [*situations.EXPLOITATION_PLATFORMS, "wechat",
                             *(k for w in situations.RECRUITMENT_PLATFORMS.values() for k in w)]),
        ("sex_exploitation_type", situations.SEX_TYPES),
        ("forced_labour_industry", [k for w in situations.INDUSTRIES.values() for k in w]),
        ("control_method", [k for w in situations.CONTROL.values() for k in w]),
        ("vulnerability", [*(k for w in situations.VULNERABILITY.values() for k in w),
                           "runaway_missing_youth", "marginalised_group"]),
        ("need", [*(k for w in situations.NEEDS.values() for k in w), "child_care",
                  *(k for k in care.SERVICE_FOR_NEED if k != "case_management")]),
        ("intake_method", [k for w in situations.INTAKE_METHOD.values() for k in w]),
        ("referral_reason", situations.REFERRAL_REASON),
        ("service_type", [*care.SERVICE_FOR_NEED.values(), "youth", "other"]),
        ("plan_type", [k for w in care.PLAN_TYPES.values() for k in w]),
        ("follow_up_outcome", care.FOLLOW_UP_OUTCOME),
        ("contact_method", care.CONTACT_METHOD),
        ("closure_reason", care.CLOSURE_REASON),
        ("education_level", identities.EDUCATION_ADULT),
        ("safe_contact_method", [*identities.SAFE_CONTACT, "do_not_contact"]),
        ("pronouns", [p for pair in identities.PRONOUNS.values() for p in pair]),
        ("province", [*identities.AREA_CODES, *(s for spec in PARTNERS for s in spec.served),
                      *NATIONAL.served]),
    ]  # fmt: skip
    for list_id, codes in tables:
        unknown = set(codes) - _codes(list_id)
        assert not unknown, f"{list_id}: {sorted(unknown)}"


def test_every_screening_hint_is_an_indicator_of_the_lists() -> None:
    every = {
        suffix
        for table in (screening.CONTROL_HINTS, screening.RECRUITMENT_HINTS,
                      screening.VULNERABILITY_HINTS, screening.TYPE_HINTS)
        for suffixes in table.values() for suffix in suffixes
    }  # fmt: skip
    adult = {
        i.split(".", 1)[1]
        for set_id in ("adult-labour", "adult-sexual")
        for i in screening.catalogue().get_set(set_id).indicator_ids
    }
    assert every <= adult, sorted(every - adult)


def test_survivor_names_are_invented_and_never_shared_with_clear_text() -> None:
    words = names.all_survivor_words()
    clear = [*names.STAFF_GIVEN, *names.STAFF_FAMILY]
    clear += [t for spec in (*PARTNERS, NATIONAL) for t in (spec.name_en, spec.name_fr)]
    clear += [city for cities in places.CANADIAN_CITIES.values() for city in cities]
    clear += [text for row in places.FOREIGN_CITIES for text in row[1:]]
    clear += [*texts.REFERRERS, *texts.EXTERNAL_PROVIDERS]  # stored in clear (quasi-identifiers)
    for word in words:
        assert len(word) >= 6, "long enough that a search of the raw database means something"
        assert not any(word.lower() in text.lower() for text in clear), word
    assert not words & set(names.STAFF_GIVEN + names.STAFF_FAMILY)


@pytest.mark.parametrize("count", [1, 9, 10, 61, 130])
def test_exactly_the_asked_number_of_cases(count: int) -> None:
    planned = plan_stories(count=count, seed=3, orgs=_contexts(), today=timezone.localdate())
    assert len(planned) == count
    assert all(s.returning_of is None or planned[s.returning_of].comes_back for s in planned)
