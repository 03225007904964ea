"""Reminders before a permit ends and when an application waits (issue 14), through the same
daily `sharing remind` run as referral and consent reminders."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from harbour.cases import actions as case_actions
from harbour.cases.immigration.steps import expiry_lead_due
from harbour.cases.models import ImmigrationStep
from harbour.sharing.models import Notification

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def _step(by, case, **values):
    return case_actions.add_record(by=by, case=case, model=ImmigrationStep, values=values)


def _issue(by, case, valid_until):
    _step(by, case, step="trp_applied", step_date=TODAY - dt.timedelta(days=200))
    return _step(
        by, case, step="trp_issued_initial", step_date=TODAY - dt.timedelta(days=150),
        valid_until=valid_until,
    )  # fmt: skip


def _remind(capture):
    with capture(execute=True):
        call_command("sharing_remind")


def test_owner_and_supervisor_are_reminded_once_per_lead_time(
    case, caseworker, supervisor, client_for, django_capture_on_commit_callbacks, settings
) -> None:
    settings.HARBOUR_PERMIT_REMINDER_DAYS = [14, 60]
    permit = _issue(caseworker, case, TODAY + dt.timedelta(days=40))
    _remind(django_capture_on_commit_callbacks)
    sent = Notification.objects.filter(kind="permit_expiring", immigration_step=permit)
    assert {n.user for n in sent} == {caseworker, supervisor}
    assert {m.to[0] for m in mail.outbox} >= {caseworker.email, supervisor.email}
    assert all("Tremblay" not in f"{m.subject} {m.body}" for m in mail.outbox)
    _remind(django_capture_on_commit_callbacks)  # the same lead time never twice
    assert sent.all().count() == 2
    ImmigrationStep.objects.filter(pk=permit.pk).update(valid_until=TODAY + dt.timedelta(days=10))
    _remind(django_capture_on_commit_callbacks)  # the 14-day reminder is a new one
    assert sent.all().count() == 4
    page = client_for(caseworker).get("/sharing/notifications/").content.decode()
    assert "permit or health coverage ends on" in page and f"/cases/{case.pk}/" in page


def test_a_renewed_permit_is_not_announced_as_ending(
    case, caseworker, django_capture_on_commit_callbacks
) -> None:
    _issue(caseworker, case, TODAY + dt.timedelta(days=30))
    _step(caseworker, case, step="trp_renewed", step_date=TODAY,
          valid_until=TODAY + dt.timedelta(days=3 * 365))  # fmt: skip
    _remind(django_capture_on_commit_callbacks)
    assert not Notification.objects.filter(kind="permit_expiring").exists()


def test_an_application_waiting_too_long_is_reminded_until_decided(
    case, caseworker, settings, django_capture_on_commit_callbacks, api_for
) -> None:
    settings.HARBOUR_APPLICATION_WAIT_DAYS = 90
    _step(caseworker, case, step="trp_applied", step_date=TODAY - dt.timedelta(days=100))
    _remind(django_capture_on_commit_callbacks)
    assert Notification.objects.filter(kind="application_waiting", user=caseworker).count() == 1
    listed = api_for(caseworker).get("/api/v1/notifications").json()
    assert {n["case_id"] for n in listed if n["kind"] == "application_waiting"} == {str(case.pk)}
    _remind(django_capture_on_commit_callbacks)
    assert Notification.objects.filter(kind="application_waiting").count() == 1


@given(
    st.integers(-5, 400),
    st.lists(st.integers(1, 120), min_size=1, max_size=4, unique=True),
    st.none() | st.integers(1, 120),
)
def test_a_lead_time_reminds_at_most_once_and_only_before_the_end(
    left: int, leads: list[int], reminded: int | None
) -> None:
    today = dt.date(2026, 1, 1)
    lead = expiry_lead_due(today + dt.timedelta(days=left), today, leads, reminded)
    if lead is not None:
        assert 0 <= left <= lead and lead in leads
        assert reminded is None or lead < reminded
        # Sending it makes it not due again on the same day.
        assert expiry_lead_due(today + dt.timedelta(days=left), today, leads, lead) is None


def test_the_survivors_copy_and_the_continuum_list_the_timeline(
    case, caseworker, client_for
) -> None:
    _issue(caseworker, case, TODAY + dt.timedelta(days=300))
    client = client_for(caseworker)
    copy = client.get(f"/sharing/survivors/{case.survivor_id}/rights/?format=print")
    text = copy.content.decode()
    assert copy.status_code == 200 and "Initial TRP issued (reflection period)" in text
    continuum = client.get(f"/sharing/survivors/{case.survivor_id}/continuum/")
    assert continuum.status_code == 200 and "Immigration step" in continuum.content.decode()


def test_every_kind_of_record_belongs_to_the_category_of_its_fields() -> None:
    """A new kind of record (like the immigration step) must say which consent covers it, or
    the continuum would fail on it; and that category must be its fields' own."""
    from harbour.cases.queries import RECORD_MODELS
    from harbour.sharing.queries import RECORD_CATEGORY
    from harbour.standard.dictionary import current

    assert set(RECORD_MODELS) <= set(RECORD_CATEGORY)
    for kind in RECORD_MODELS:
        categories = {f.category for f in current().entity(kind).fields}
        assert RECORD_CATEGORY[kind] in categories, kind
    assert {f.category for f in current().entity("immigration_step").fields} == {"immigration"}
