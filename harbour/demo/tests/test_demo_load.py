"""`harbour demo_load` through the real actions: organisations, one account per role, valid cases,
idempotent, and no survivor's name anywhere in the database in clear text.

The dataset is loaded once for the module (inside a transaction rolled back at the end) to keep
the tests fast.
"""

import datetime as dt
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from harbour.accounts.models import User
from harbour.accounts.policy import Role
from harbour.audit.models import AuditEvent
from harbour.audit.queries import verify
from harbour.cases.models import (
    Case,
    CaseNote,
    FollowUp,
    IntakeDraft,
    Screening,
    ServiceProvided,
    SupportPlan,
    Survivor,
    SurvivorIndexEntry,
    TraffickingEvent,
)
from harbour.cases.values import entity_of, read_values
from harbour.demo import loader
from harbour.demo.people import DEMO_LOGINS, demo_logins
from harbour.orgs.models import Organisation
from harbour.standard import delphi
from harbour.standard.dictionary import current
from harbour.standard.validation import validate

CASES = 40
PASSWORD = "a-long-demo-password-42"
RECORDS = (
    Survivor, Case, TraffickingEvent, ServiceProvided, SupportPlan, FollowUp, CaseNote, Screening,
)  # fmt: skip


@pytest.fixture(scope="module")
def loaded(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("demo_load", cases=CASES, seed=7, password=PASSWORD, stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_partner_organisations_span_the_country(loaded: str) -> None:
    demo = Organisation.objects.filter(is_synthetic=True)
    partners = demo.exclude(type="national_coordinating_body")
    assert partners.count() >= 12
    provinces = set(partners.values_list("province", flat=True))
    assert len(provinces) >= 8 and provinces & {"CA-YT", "CA-NT", "CA-NU"}
    assert demo.filter(type="national_coordinating_body").count() == 1
    assert not partners.filter(latitude__isnull=True).exists()


def test_one_account_per_role_and_several_caseworkers_each(loaded: str) -> None:
    users = User.objects.filter(org__is_synthetic=True)
    assert set(users.values_list("role", flat=True)) == set(Role.values)
    for org in Organisation.objects.filter(is_synthetic=True).exclude(
        type="national_coordinating_body"
    ):
        assert org.members.filter(role=Role.CASEWORKER).count() >= 2
    national = users.filter(org__type="national_coordinating_body")
    assert set(national.values_list("role", flat=True)) == {
        Role.NATIONAL_ANALYST, Role.RESEARCHER, Role.SYSTEM_ADMIN, Role.ORG_ADMIN,
    }  # fmt: skip
    assert not users.filter(must_change_password=True).exists()
    assert all(u.check_password(PASSWORD) for u in users[:3])


def test_demo_logins_name_one_account_per_role(loaded: str) -> None:
    logins = demo_logins()
    assert [email for _role, email, _org in logins] == [email for _r, email in DEMO_LOGINS]
    assert len({role for role, _e, _o in logins}) == len(Role.values)
    assert all(org.startswith("Demo — ") for _r, _e, org in logins)


def test_the_cases_and_their_records_are_there(loaded: str) -> None:
    assert Case.objects.count() >= CASES  # plus the cases opened by accepted referrals
    assert f"{CASES} cases" in loaded
    for model in (TraffickingEvent, ServiceProvided, FollowUp, CaseNote, Screening, SupportPlan):
        assert model.objects.exists(), model.__name__
    assert IntakeDraft.objects.count() == 3
    assert Case.objects.exclude(status="active").exists()
    assert Case.objects.filter(status="closed").exclude(closure_reason="").exists()
    returning = [s for s in Survivor.objects.all() if s.cases.count() > 1]
    assert returning, "at least one survivor came back for a second episode"
    assert TraffickingEvent.objects.exclude(country="CA").exists(), "some events abroad"


def test_every_stored_value_validates_against_the_dictionary(loaded: str) -> None:
    today = timezone.localdate()
    for model in RECORDS:
        entity = entity_of(model)
        for record in model.objects.all():
            values = read_values(record, with_identity=True)
            filled = {
                k: v for k, v in values.items()
                if v not in (None, "", []) and not entity.field(k).computed
            }  # fmt: skip
            validate(entity, filled, version=current().latest)
    assert not Case.objects.filter(intake_date__gt=today).exists()


def test_screenings_are_evaluated_by_the_real_rules(loaded: str) -> None:
    catalogue = delphi.load_catalogue()
    for screening in Screening.objects.all():
        chosen = catalogue.get_set(screening.indicator_set)
        expected = delphi.evaluate(chosen, screening.indicators).indicators_met
        assert screening.indicators_met == expected
        assert screening.result["indicators_met"] == expected


def test_anonymous_intakes_store_no_identifiers(loaded: str) -> None:
    anonymous = Survivor.objects.filter(cases__consent_to_record=False).distinct()
    assert anonymous.exists()
    for survivor in anonymous:
        assert survivor.sealed == ""
        assert not SurvivorIndexEntry.objects.filter(survivor=survivor).exists()


def test_every_write_left_a_verifiable_audit_event(loaded: str) -> None:
    records = sum(model.objects.count() for model in RECORDS)
    assert AuditEvent.objects.count() > records
    checked, problems = verify()
    assert checked and not problems


def test_no_survivor_name_is_stored_in_clear(loaded: str) -> None:
    named = list(Survivor.objects.exclude(sealed="")[:5])
    words = set()
    for survivor in named:
        values = read_values(survivor, with_identity=True)
        words |= {values["given_name"], values["family_name"]}
    assert len(words) >= 4
    found = _rows_containing(words)
    assert not found, f"survivor names in clear in {found}"


def _rows_containing(words: set[str]) -> set[str]:
    """Every table, every column, as text: the raw check a reviewer does on the database file."""
    hits = set()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                text = " ".join(str(bytes(v) if isinstance(v, memoryview) else v) for v in row)
                hits |= {table for word in words if word in text}
    return hits


def test_a_second_load_changes_nothing(loaded: str) -> None:
    before = (Organisation.objects.count(), User.objects.count(), Case.objects.count())
    out = StringIO()
    call_command("demo_load", cases=5, seed=1, password=PASSWORD, stdout=out)
    assert "already loaded" in out.getvalue()
    today = timezone.localdate()
    assert loader.load(cases=5, seed=1, password=PASSWORD, today=today, report=print) is None
    assert (Organisation.objects.count(), User.objects.count(), Case.objects.count()) == before


def test_the_date_cannot_be_in_the_future() -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(CommandError, match="future"):
        call_command("demo_load", password=PASSWORD, today=tomorrow, stdout=StringIO())


def test_the_directory_and_sharing_demo_data_are_loaded(loaded: str) -> None:
    from harbour.directory.models import Service
    from harbour.sharing.models import Agreement, Consent, Referral

    assert Service.objects.filter(is_synthetic=True).count() >= 300
    assert Agreement.objects.filter(is_national_protocol=True).count() == 1
    assert Consent.objects.exists() and Referral.objects.exists()


def test_notes_are_dated_within_their_case_not_on_the_loading_day(loaded: str) -> None:
    today = timezone.localdate()
    notes = list(CaseNote.objects.select_related("case"))
    assert notes
    assert all(n.case.intake_date <= n.created_at.date() <= today for n in notes)
    assert sum(n.created_at.date() < today for n in notes) > len(notes) // 2
