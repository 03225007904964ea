"""Intake through actions and the web: the happy path, duplicates, and every kind of bad input."""

import datetime as dt

import pytest

from harbour.audit.models import AuditEvent
from harbour.cases import actions
from harbour.cases.models import Case, IntakeDraft, Survivor, SurvivorIndexEntry
from harbour.cases.values import read_values
from harbour.core.errors import InvalidInput

pytestmark = pytest.mark.django_db

ESSENTIALS = {
    "case__intake_date": "2026-10-14",
    "case__intake_province": "CA-MB",
    "case__consent_to_record": "true",
    "case__exploitation_types": ["forced_labour"],
    "survivor__given_name": "Nadia",
    "survivor__family_name": "Okafor",
    "survivor__gender_identity": "woman",
}


def _counts() -> tuple[int, int]:
    return Case.objects.count(), Survivor.objects.count()


def test_intake_records_a_survivor_and_a_case_with_audit(caseworker) -> None:
    case, created = actions.start_intake(
        by=caseworker,
        survivor_values={"given_name": "Nadia", "birth_date": "2001-05-06"},
        case_values={
            "intake_date": "2026-10-14",
            "intake_province": "CA-MB",
            "consent_to_record": True,
            "current_needs": ["legal", "income"],
        },
    )
    assert created and case.owner == caseworker and case.status == "active"
    assert case.current_needs == ["income", "legal"] and case.standard_version == "1.1"
    assert read_values(case.survivor, with_identity=True)["given_name"] == "Nadia"
    assert SurvivorIndexEntry.objects.filter(survivor=case.survivor).count() == 2
    created_events = AuditEvent.objects.filter(action__in=["survivor.created", "case.created"])
    assert created_events.count() == 2
    survivor_event = created_events.get(action="survivor.created")
    assert "given_name" in survivor_event.fields and "Nadia" not in str(survivor_event.context)


def test_the_same_submission_twice_makes_one_case(caseworker) -> None:
    values = {"intake_date": "2026-10-14", "intake_province": "CA-MB", "consent_to_record": True}
    first, created = actions.start_intake(
        by=caseworker, survivor_values={}, case_values=values, submission_key="abc"
    )
    again, created_again = actions.start_intake(
        by=caseworker, survivor_values={}, case_values=values, submission_key="abc"
    )
    assert created and not created_again and first.pk == again.pk
    assert _counts() == (1, 1)


@pytest.mark.parametrize(
    ("survivor", "case", "field"),
    [
        ({"birth_date": "2010-01-01"}, {"intake_date": "2009-01-01"}, "birth_date"),
        ({}, {"intake_date": (dt.date.today() + dt.timedelta(days=3)).isoformat()}, "intake_date"),
        ({}, {"intake_province": "CA-XX"}, "intake_province"),
        ({}, {"exploitation_types": "sexual_exploitation;forced_labour"}, "exploitation_types"),
        ({"given_name": "N" * 500}, {}, "given_name"),
        ({"estimated_age": 20}, {"age_when_trafficked": 30}, "age_when_trafficked"),
        ({"given_name": "Nadia"}, {"consent_to_record": False}, "consent_to_record"),
        ({}, {"status": "closed"}, "status"),
    ],
)
def test_bad_intakes_save_nothing(caseworker, survivor, case, field) -> None:
    base = {"intake_date": "2026-10-14", "intake_province": "CA-MB", "consent_to_record": True}
    events = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as info:
        actions.start_intake(by=caseworker, survivor_values=survivor, case_values=base | case)
    assert field in info.value.errors
    assert _counts() == (0, 0) and AuditEvent.objects.count() == events


def test_web_intake_happy_path_and_double_submit(client_for, caseworker) -> None:
    client = client_for(caseworker)
    form = client.get("/cases/intake/")
    assert form.status_code == 200
    body = form.content.decode()
    assert 'name="case__intake_date"' in body and "Quick exit" in body
    data = ESSENTIALS | {"submission_key": "form-1"}
    first = client.post("/cases/intake/", data)
    assert first.status_code == 302
    second = client.post("/cases/intake/", data)  # the double click
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert _counts() == (1, 1)
    page = client.get(first["Location"])
    assert "Nadia" in page.content.decode()
    assert "Nadia" not in first["Location"]


def test_web_intake_shows_field_errors_and_saves_nothing(client_for, caseworker) -> None:
    client = client_for(caseworker)
    bad = ESSENTIALS | {
        "case__intake_date": "2026-02-30",
        "survivor__number_of_children": "lots",
        "submission_key": "form-2",
    }
    page = client.post("/cases/intake/", bad)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Enter a real date" in text and "Enter a whole number" in text
    assert "Nothing was saved" in text
    assert 'value="Nadia"' in text  # what was typed is kept
    assert _counts() == (0, 0)


def test_web_intake_in_french_shows_french_errors(client_for, caseworker) -> None:
    client = client_for(caseworker)
    client.cookies["django_language"] = "fr"
    page = client.post(
        "/cases/intake/", ESSENTIALS | {"case__intake_date": "", "submission_key": "x"}
    )
    text = page.content.decode()
    assert '<html lang="fr">' in text
    assert "Ce champ est obligatoire." in text


def test_drafts_are_sealed_and_private(client_for, caseworker, make_user, org) -> None:
    client = client_for(caseworker)
    saved = client.post("/cases/intake/", ESSENTIALS | {"save_draft": "1"})
    assert saved.status_code == 302 and "?draft=" in saved["Location"]
    draft = IntakeDraft.objects.get()
    assert "Nadia" not in draft.sealed
    resumed = client.get(saved["Location"])
    assert 'value="Nadia"' in resumed.content.decode()
    colleague = make_user("caseworker", org)
    assert client_for(colleague).get(saved["Location"]).status_code == 404
    done = client.post(saved["Location"], ESSENTIALS | {"submission_key": "k"})
    assert done.status_code == 302 and IntakeDraft.objects.count() == 0


def test_returning_survivor_search_and_new_episode(client_for, caseworker, case) -> None:
    client = client_for(caseworker)
    found = client.post("/cases/search/", {"name": "elodie TREMBLAY"})
    assert case.survivor.reference in found.content.decode()
    none = client.post("/cases/search/", {"name": "Someone Else"})
    assert case.survivor.reference not in none.content.decode()
    by_date = client.post("/cases/search/", {"birth_date": "1998-04-02"})
    assert case.survivor.reference in by_date.content.decode()
    new = client.post(
        f"/cases/intake/?survivor={case.survivor_id}",
        {
            "case__intake_date": "2026-11-20",
            "case__intake_province": "CA-ON",
            "case__consent_to_record": "true",
            "submission_key": "episode-2",
        },
    )
    assert new.status_code == 302
    assert Case.objects.filter(survivor=case.survivor).count() == 2
    assert Survivor.objects.count() == 1


def test_search_never_puts_a_name_in_the_url(client_for, caseworker) -> None:
    page = client_for(caseworker).get("/cases/")
    assert 'method="post" action="/cases/search/"' in page.content.decode()
    assert client_for(caseworker).get("/cases/search/?name=x").status_code == 200


def test_a_new_intake_starts_today_in_the_organisations_province(client_for, caseworker) -> None:
    from django.utils import timezone

    form = client_for(caseworker).get("/cases/intake/").context["form"]
    assert form["case__intake_date"].value() == timezone.localdate().isoformat()
    assert form["case__intake_province"].value() == caseworker.org.province == "CA-ON"
    # The consent question is required: nothing is pre-selected, and "Not answered" is not offered.
    consent = form["case__consent_to_record"]
    assert [c[0] for c in consent.field.choices] == ["true", "false"]
    assert "checked" not in str(consent)


def test_the_language_list_is_in_french_order_with_common_ones_first(client_for, caseworker):
    client = client_for(caseworker)
    client.cookies["django_language"] = "fr"
    page = client.get("/cases/intake/").content.decode()
    select = page[page.index('name="survivor__primary_language"') :]
    select = select[: select.index("</select>")]
    assert "data-filter=" in page[page.index('name="survivor__primary_language"') - 300 :][:600]
    assert select.index(">Anglais<") < select.index(">Français<") < select.index(">Abkhaze<")
    assert "Volapük" not in select and "Avestique" not in select
