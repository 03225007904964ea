"""The immigration timeline: which steps follow which, the computed status, and the action."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from hypothesis import given
from hypothesis import strategies as st

from harbour.audit.models import AuditEvent
from harbour.cases import actions, queries
from harbour.cases.immigration import demo, reports
from harbour.cases.immigration import steps as im
from harbour.cases.models import ImmigrationStep, Survivor
from harbour.core.errors import InvalidInput

D = dt.date


def s(step: str, on: D, **kw) -> im.Step:
    return im.Step(step=step, on=on, **kw)


ARRIVAL_TO_PR = [
    s("status_noted", D(2025, 1, 5), status="no_status"),
    s("trp_applied", D(2025, 1, 20), family_members=1),
    s("trp_issued_initial", D(2025, 3, 1), valid_until=D(2026, 3, 1)),
    s("work_permit_issued", D(2025, 3, 10), valid_until=D(2026, 3, 1)),
    s("trp_renewal_requested", D(2026, 1, 10)),
    s("trp_renewed", D(2026, 2, 15), valid_until=D(2029, 2, 15)),
    s("pr_applied", D(2027, 5, 1)),
    s("pr_granted", D(2028, 6, 1)),
]


def test_a_journey_from_arrival_to_permanent_residence_is_accepted_and_computed() -> None:
    assert im.sequence_errors(ARRIVAL_TO_PR) == []
    assert all(not im.field_errors(x) for x in ARRIVAL_TO_PR)
    at = {d: im.standing(ARRIVAL_TO_PR, d) for d in (D(2025, 1, 10), D(2025, 2, 1), D(2025, 6, 1))}
    assert (at[D(2025, 1, 10)].status, at[D(2025, 1, 10)].trp_stage) == ("no_status", None)
    assert at[D(2025, 2, 1)].trp_stage == "application_pending"
    assert at[D(2025, 2, 1)].pending_since == D(2025, 1, 20)
    assert at[D(2025, 6, 1)].status == "vtip_trp_holder"
    assert at[D(2025, 6, 1)].trp_stage == "initial_trp_issued"
    assert im.standing(ARRIVAL_TO_PR, D(2026, 1, 20)).trp_stage == "application_pending"
    assert im.standing(ARRIVAL_TO_PR, D(2027, 1, 1)).trp_stage == "subsequent_trp_issued"
    assert im.standing(ARRIVAL_TO_PR, D(2027, 6, 1)).trp_stage == "permanent_residence_applied"
    final = im.standing(ARRIVAL_TO_PR, D(2030, 1, 1))
    assert (final.status, final.trp_stage) == ("permanent_resident", "permanent_residence_granted")
    assert im.waiting_days(ARRIVAL_TO_PR) == [40, 36, 397]


def test_a_permit_lapses_by_itself_past_its_last_day() -> None:
    steps = ARRIVAL_TO_PR[:3]
    assert im.standing(steps, D(2026, 3, 1)).trp_stage == "initial_trp_issued"
    lapsed = im.standing(steps, D(2026, 3, 2))
    assert (lapsed.status, lapsed.trp_stage) == ("no_status", "expired")


@pytest.mark.parametrize(
    ("steps", "fragment"),
    [
        # a decision before its application
        ([s("trp_issued_initial", D(2025, 1, 1), valid_until=D(2026, 1, 1)),
          s("trp_applied", D(2025, 2, 1))], "no application was pending"),
        # a renewal of a permit never issued
        ([s("trp_renewed", D(2025, 1, 1), valid_until=D(2026, 1, 1))], "no permit had been issued"),
        ([s("trp_applied", D(2025, 1, 1)), s("trp_applied", D(2025, 2, 1))], "renewal request"),
        ([s("pr_granted", D(2025, 1, 1))], "permanent residence"),
    ],
)  # fmt: skip
def test_steps_that_do_not_follow_are_named(steps: list[im.Step], fragment: str) -> None:
    errors = im.sequence_errors(steps, {"trp_issued_initial": "Initial TRP issued"})
    assert errors and fragment in errors[0].message


@pytest.mark.parametrize(
    ("step", "field"),
    [
        (s("trp_issued_initial", D(2025, 1, 1)), "valid_until"),  # a permit without its end
        (s("trp_applied", D(2025, 1, 1), valid_until=D(2026, 1, 1)), "valid_until"),
        (s("trp_issued_initial", D(2025, 1, 1), valid_until=D(2024, 1, 1)), "valid_until"),
        (s("trp_refused", D(2025, 1, 1)), "refusal_reason"),
        (s("trp_applied", D(2025, 1, 1), refusal_reason="other"), "refusal_reason"),
        (s("status_noted", D(2025, 1, 1)), "status"),
        (s("trp_applied", D(2025, 1, 1), status="visitor"), "status"),
    ],
)
def test_incomplete_or_contradictory_steps_are_refused(step: im.Step, field: str) -> None:
    assert field in im.field_errors(step)


STEP_KINDS = sorted({*im.TRP_RULES, *im.PR_RULES, "status_noted", "work_permit_issued"})


@st.composite
def timelines(draw: st.DrawFn) -> list[im.Step]:
    start = D(2024, 1, 1)
    out = []
    for i in range(draw(st.integers(0, 10))):
        kind = draw(st.sampled_from(STEP_KINDS))
        on = start + dt.timedelta(days=draw(st.integers(0, 1500)))
        until = on + dt.timedelta(days=draw(st.integers(1, 900))) if kind in im.PERMITS else None
        out.append(im.Step(kind, on, valid_until=until, status="visitor", order=i))
    return out


@given(timelines(), st.integers(0, 2000))
def test_the_standing_of_any_timeline_is_a_known_code(steps: list[im.Step], day: int) -> None:
    found = im.standing(steps, D(2024, 1, 1) + dt.timedelta(days=day))
    assert found.trp_stage in {None, *im.HELD, "application_pending", "refused", "expired",
                               *im.PR_STAGES}  # fmt: skip
    assert found.status in {None, "visitor", "vtip_trp_holder", "no_status", "work_permit",
                            "permanent_resident"}  # fmt: skip


@given(timelines())
def test_a_timeline_without_sequence_errors_stays_valid_when_cut_short(
    steps: list[im.Step],
) -> None:
    """Whatever follows, the steps before a given day never depend on it (no error appears
    by removing later steps)."""
    if im.sequence_errors(steps):
        return
    for cut in im.ordered(steps):
        assert (
            im.sequence_errors([x for x in steps if (x.on, x.order) <= (cut.on, cut.order)]) == []
        )


# --- the action --------------------------------------------------------------------------------


def _add(by, case, **values):
    return actions.add_record(by=by, case=case, model=ImmigrationStep, values=values)


@pytest.mark.django_db
def test_steps_are_recorded_audited_and_the_status_is_computed(case, caseworker) -> None:
    _add(caseworker, case, step="status_noted", step_date="2026-11-02", status="no_status")
    _add(caseworker, case, step="trp_applied", step_date="2026-11-03", family_members_covered=2)
    issued = _add(
        caseworker, case, step="trp_issued_initial", step_date="2026-11-20",
        valid_until="2027-11-20", document_reference="W123-456",
    )  # fmt: skip
    found = queries.immigration_standing(case.survivor, D(2026, 12, 1))
    assert (found.status, found.trp_stage) == ("vtip_trp_holder", "initial_trp_issued")
    assert "W123-456" not in ImmigrationStep.objects.values_list("sealed", flat=True).get(
        pk=issued.pk
    )
    event = AuditEvent.objects.get(action="immigration_step.created", target_id=str(issued.pk))
    assert "document_reference" in event.fields


@pytest.mark.django_db
def test_a_step_out_of_order_is_refused_naming_it_and_nothing_is_saved(case, caseworker) -> None:
    with pytest.raises(InvalidInput) as refused:
        _add(caseworker, case, step="trp_renewed", step_date="2026-11-03", valid_until="2027-01-01")
    assert "TRP renewed on 2026-11-03" in str(refused.value.errors["step"][0])
    _add(caseworker, case, step="trp_applied", step_date="2026-11-10")
    with pytest.raises(InvalidInput) as early:  # a decision dated before its application
        _add(caseworker, case, step="trp_refused", step_date="2026-11-05", refusal_reason="other")
    assert "2026-11-05" in str(early.value.errors["step"][0])
    with pytest.raises(InvalidInput):  # an unknown code
        _add(caseworker, case, step="trp_teleported", step_date="2026-11-11")
    assert ImmigrationStep.objects.count() == 1


@pytest.mark.django_db
def test_an_edit_that_breaks_a_later_step_is_refused(case, caseworker) -> None:
    applied = _add(caseworker, case, step="trp_applied", step_date="2026-11-03")
    _add(caseworker, case, step="trp_refused", step_date="2026-11-20",
         refusal_reason="criminality_forced_by_trafficker")  # fmt: skip
    with pytest.raises(InvalidInput):
        actions.update_record(by=caseworker, record=applied, values={"step_date": "2026-11-25"})
    actions.update_record(by=caseworker, record=applied, values={"step_date": "2026-11-04"})
    assert ImmigrationStep.objects.get(pk=applied.pk).step_date == D(2026, 11, 4)


@pytest.mark.django_db
def test_the_snapshot_becomes_the_first_step_of_the_timeline(case) -> None:
    Survivor.objects.filter(pk=case.survivor_id).update(
        immigration_status="refugee_claimant", trp_stage="eligible_not_applied"
    )
    migration = importlib.import_module(
        "harbour.cases.migrations.0007_immigration_snapshot_to_steps"
    )
    migration.snapshot_to_steps(apps, None)
    step = ImmigrationStep.objects.get(case=case)
    assert (step.step, step.status, step.trp_stage) == (
        "status_noted", "refugee_claimant", "eligible_not_applied",
    )  # fmt: skip
    assert step.step_date == case.intake_date
    survivor = Survivor.objects.get(pk=case.survivor_id)
    assert survivor.immigration_status == "" and survivor.trp_stage == ""
    standing = queries.immigration_standing(survivor)
    assert (standing.status, standing.trp_stage) == ("refugee_claimant", "eligible_not_applied")


# --- the case page -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_case_page_draws_the_timeline_and_the_form_records_a_step(
    case, caseworker, client_for
) -> None:
    client = client_for(caseworker)
    new = f"/cases/{case.pk}/records/immigration_step/new/"
    assert client.get(new).status_code == 200
    posted = client.post(
        new,
        {"immigration_step__step": "trp_applied", "immigration_step__step_date": "2026-11-03",
         "immigration_step__family_members_covered": "1"},
    )  # fmt: skip
    assert posted.status_code == 302
    refused = client.post(
        new,
        {"immigration_step__step": "trp_renewed", "immigration_step__step_date": "2026-11-04",
         "immigration_step__valid_until": "2027-11-04"},
    )  # fmt: skip
    assert refused.status_code == 200 and "no permit had been issued" in refused.content.decode()
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "immigration-track" in page and "Application submitted, decision pending" in page
    client.cookies["django_language"] = "fr"
    page_fr = client.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Demande présentée, décision en attente" in page_fr


# --- reports and API ---------------------------------------------------------------------------


def test_the_organisation_report_counts_outcomes_reasons_waits_and_family() -> None:
    refused = [
        s("trp_applied", D(2025, 1, 1), family_members=2),
        s("trp_refused", D(2025, 3, 2), refusal_reason="criminality_forced_by_trafficker"),
    ]
    found = reports.organisation_report([ARRIVAL_TO_PR, refused, []], D(2030, 1, 1))
    assert (found.survivors, found.issued, found.renewed, found.refused) == (2, 1, 1, 1)
    assert found.refused_by_reason == {"criminality_forced_by_trafficker": 1}
    assert found.family_members_covered == 3 and found.pr_granted == 1
    assert sorted(found.waits) == [36, 40, 60]


@given(st.lists(st.tuples(st.sampled_from(["CA-ON", "CA-QC", "CA-NU"]), timelines()), max_size=40))
def test_no_published_provincial_count_is_small(rows) -> None:
    out = reports.national_counts_by_province(rows, D(2027, 1, 1), threshold=5)
    for table in out.values():
        assert all(v is None or v == 0 or v >= 5 for v in table.values())
        # A single withheld cell is never recoverable from the others (they are all zero then).
        if sum(1 for v in table.values() if v is None) == 1:
            assert all(v in (None, 0) for v in table.values())


@pytest.mark.django_db
def test_api_timeline_report_and_page(case, caseworker, supervisor, api_for, client_for) -> None:
    api = api_for(caseworker)
    made = api.post(
        f"/api/v1/cases/{case.pk}/records/immigration_step",
        {"step": "trp_applied", "step_date": "2026-11-03", "family_members_covered": 1},
        "application/json",
    )
    assert made.status_code == 201
    bad = api.post(
        f"/api/v1/cases/{case.pk}/records/immigration_step",
        {"step": "trp_issued_initial", "step_date": "2026-11-10", "valid_until": "2026-11-01"},
        "application/json",
    )
    assert bad.status_code == 422 and ImmigrationStep.objects.count() == 1
    timeline = api.get(f"/api/v1/survivors/{case.survivor_id}/immigration").json()
    assert timeline["standing"]["trp_stage"] == "application_pending"
    assert [x["step"] for x in timeline["steps"]] == ["trp_applied"]
    assert api.get("/api/v1/immigration/report").status_code == 404  # caseworkers: no reports
    report = api_for(supervisor).get("/api/v1/immigration/report").json()
    assert report["pending"] == 1 and report["family_members_covered"] == 1
    page = client_for(supervisor).get("/cases/immigration/report/")
    assert page.status_code == 200 and "Waiting for a TRP decision" in page.content.decode()


@pytest.mark.django_db
def test_the_command_adds_shows_and_reports(case, caseworker, capsys) -> None:
    from django.core.management import CommandError, call_command

    org, ref = case.org.short_name, case.reference
    call_command("cases_immigration", "add", org=org, case=ref, by=caseworker.email,
                 step="trp_applied", date="2026-11-03", family="2")  # fmt: skip
    with pytest.raises(CommandError, match="no permit had been issued"):
        call_command("cases_immigration", "add", org=org, case=ref, by=caseworker.email,
                     step="trp_expired", date="2026-11-04")  # fmt: skip
    with pytest.raises(CommandError):
        call_command("cases_immigration", "add", org=org, case=ref, by="nobody@example.org",
                     step="trp_applied", date="2026-11-04")  # fmt: skip
    capsys.readouterr()
    call_command("cases_immigration", "show", org=org, case=ref)
    shown = capsys.readouterr().out
    assert '"application_pending"' in shown and "Tremblay" not in shown
    call_command("cases_immigration", "report", org=org, json=True)
    assert '"family_members_covered": 2' in capsys.readouterr().out
    assert ImmigrationStep.objects.count() == 1


@given(
    st.sampled_from(["no_status", "vtip_trp_holder", "refugee_claimant", "work_permit"]),
    st.sampled_from([None, *demo.PATHS, *demo.LATER_APPLICANTS, "unknown"]),
    st.integers(0, 2000),
    st.integers(0, 10**6),
)
def test_demo_timelines_follow_the_rules(status, stage, ago, seed) -> None:
    import random

    today = D(2026, 12, 4)
    rows = demo.timeline(random.Random(seed), {"immigration_status": status, "trp_stage": stage},
                         today - dt.timedelta(days=ago), today)  # fmt: skip
    made = [im.from_values(r, order=i) for i, r in enumerate(rows)]
    assert all(not im.field_errors(x) and x.on <= today for x in made)
    assert im.sequence_errors(made) == []


@pytest.mark.django_db
def test_the_demo_journey_reaches_permanent_residence(case, caseworker) -> None:
    _add(caseworker, case, step="status_noted", step_date=case.intake_date, status="no_status",
         trp_stage="eligible_not_applied")  # fmt: skip
    assert demo.story_case(case.org) == case  # named, without status, nothing after intake
    today = dt.date.today()  # steps are never in the future
    assert demo.record_story(by=caseworker, case=case, today=today) == len(demo.JOURNEY)
    found = queries.immigration_standing(case.survivor, today)
    assert (found.status, found.trp_stage) == ("permanent_resident", "permanent_residence_granted")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"step": "trp_applied", "step_date": "2026-13-45"},
        {"step": "trp_applied", "step_date": "2026-11-03", "family_members_covered": "abc"},
        {"step": "trp_applied", "step_date": "2026-11-03", "family_members_covered": 99},
        {"step": "trp_applied", "step_date": "2026-11-03", "document_reference": "=HYPERLINK(1)"},
        {"step": "trp_applied", "step_date": "2999-01-01"},  # in the future
        {"step": ["trp_applied"], "step_date": "2026-11-03"},
        {"step": "trp_applied", "step_date": "2026-11-03", "no_such_field": "x"},
        {"step": "trp_applied\x00", "step_date": "2026-11-03"},
    ],
)
def test_bad_input_is_a_clear_error_and_saves_nothing(case, caseworker, api_for, body) -> None:
    response = api_for(caseworker).post(
        f"/api/v1/cases/{case.pk}/records/immigration_step", body, "application/json"
    )
    assert response.status_code in {400, 422}, response.content
    assert response.json()["error"]["message"]
    assert not ImmigrationStep.objects.exists()
