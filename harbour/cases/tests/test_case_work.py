"""Work on a case: status lifecycle, records, screening, editing."""

import pytest

from harbour.audit.models import AuditEvent
from harbour.cases import actions, states
from harbour.cases.models import Case, CaseNote, CaseStatus, Screening, TraffickingEvent
from harbour.cases.values import read_values
from harbour.core.errors import Conflict, Forbidden, InvalidInput
from harbour.standard import delphi

pytestmark = pytest.mark.django_db


def test_the_transition_table_is_complete_and_consistent() -> None:
    """Every status can be left; closed ones only by reopening; no duplicate (status, name)."""
    for status in CaseStatus.values:
        assert states.available(status), status
    keys = [(t.source, t.name) for t in states.TRANSITIONS]
    assert len(keys) == len(set(keys))
    assert all(t.source != t.target for t in states.TRANSITIONS)
    closing = [t for t in states.TRANSITIONS if t.target == CaseStatus.CLOSED]
    assert closing and all(t.needs_closure_reason for t in closing)
    # Closing as referred only happens through an accepted transfer, never by hand.
    assert not [t for t in states.TRANSITIONS if t.target == CaseStatus.CLOSED_REFERRED]


@pytest.mark.parametrize("source", CaseStatus.values)
@pytest.mark.parametrize("name", sorted({t.name for t in states.TRANSITIONS}))
def test_every_status_and_transition_pair_is_either_allowed_or_refused(
    source: str, name: str, case, supervisor
) -> None:
    Case.objects.filter(pk=case.pk).update(status=source)
    step = states.transition(source, name)
    kwargs = {"closure_reason": "goals_met"} if step and step.needs_closure_reason else {}
    kwargs |= {"reason": "Came back."} if step and step.needs_reason else {}
    if step is None:
        with pytest.raises(Conflict):
            actions.change_status(by=supervisor, case=case, transition=name, **kwargs)
        assert Case.objects.get(pk=case.pk).status == source
    else:
        changed = actions.change_status(by=supervisor, case=case, transition=name, **kwargs)
        assert changed.status == step.target
        assert AuditEvent.objects.filter(action=f"case.{name}", target_id=str(case.pk)).exists()


def test_closing_needs_a_reason_and_reopening_needs_a_supervisor(
    case, caseworker, supervisor
) -> None:
    with pytest.raises(InvalidInput):
        actions.change_status(by=caseworker, case=case, transition="close")
    closed = actions.change_status(
        by=caseworker,
        case=case,
        transition="close",
        closure_reason="goals_met",
        closure_details="Moved on safely.",
    )
    assert closed.status == "closed" and closed.closed_at is not None
    with pytest.raises(Forbidden):
        actions.change_status(by=caseworker, case=closed, transition="reopen")
    with pytest.raises(InvalidInput):
        actions.change_status(by=supervisor, case=closed, transition="reopen", reason="  ")
    reopened = actions.change_status(
        by=supervisor, case=closed, transition="reopen", reason="She came back for housing."
    )
    assert reopened.status == "active" and reopened.closed_at is None
    note = CaseNote.objects.get(case=case)
    assert read_values(note, with_identity=True)["body"].endswith("She came back for housing.")


def test_reopening_on_the_page_asks_for_confirmation_and_a_reason(
    case, caseworker, supervisor, client_for
) -> None:
    actions.change_status(by=caseworker, case=case, transition="close", closure_reason="goals_met")
    client = client_for(supervisor)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'name="reason"' in page and "required" in page
    client.post(f"/cases/{case.pk}/status/", {"transition": "reopen"})
    assert Case.objects.get(pk=case.pk).status == "closed"
    client.post(f"/cases/{case.pk}/status/", {"transition": "reopen", "reason": "Back."})
    assert Case.objects.get(pk=case.pk).status == "active"


def test_records_are_added_validated_and_notes_are_append_only(case, caseworker) -> None:
    event = actions.add_record(
        by=caseworker,
        case=case,
        model=TraffickingEvent,
        values={
            "event_type": "recruitment",
            "event_date": "2025-06-01",
            "city": "Winnipeg",
            "province": "CA-MB",
            "country": "CA",
            "description": "Met online.",
        },
    )
    assert event.city == "Winnipeg" and "Met online." not in event.sealed
    with pytest.raises(InvalidInput):
        actions.add_record(
            by=caseworker, case=case, model=TraffickingEvent, values={"event_type": "teleportation"}
        )
    note = actions.add_record(
        by=caseworker, case=case, model=CaseNote, values={"body": "Called back; safe."}
    )
    with pytest.raises(Conflict):
        actions.update_record(by=caseworker, record=note, values={"body": "changed"})


def test_screening_is_evaluated_and_stored_with_its_version(case, caseworker) -> None:
    catalogue = delphi.load_catalogue()
    chosen = catalogue.get_set("adult-sexual")
    selected = [
        *positive(chosen.dimension("deceptive_recruitment")),
        *positive(chosen.dimension("exploitative_conditions")),
        *positive(chosen.dimension("coercion_at_destination")),
    ]
    screening = actions.screen(
        by=caseworker, case=case, indicator_set="adult-sexual", indicators=selected
    )
    assert screening.indicators_met is True
    assert screening.catalogue_version == catalogue.version
    assert screening.result["set_id"] == "adult-sexual"
    with pytest.raises(InvalidInput):
        actions.screen(
            by=caseworker,
            case=case,
            indicator_set="adult-sexual",
            indicators=[catalogue.get_set("child-labour").dimensions[0].indicators[0].id],
        )
    assert Screening.objects.count() == 1


def positive(dimension: delphi.Dimension) -> list[str]:
    """Indicators that make a dimension positive: one strong and one other, or three medium."""
    strong = [i.id for i in dimension.indicators if i.strength == "strong"]
    other = [i.id for i in dimension.indicators if i.strength != "strong"]
    medium = [i.id for i in dimension.indicators if i.strength == "medium"]
    return strong[:1] + other[:1] if strong else medium[:3]


def test_screening_pages(client_for, case, caseworker) -> None:
    client = client_for(caseworker)
    form = client.get(f"/cases/{case.pk}/screening/new/adult-labour/")
    assert form.status_code == 200
    chosen = delphi.load_catalogue().get_set("adult-labour")
    ids = [i for d in chosen.dimensions for i in positive(d)]
    done = client.post(f"/cases/{case.pk}/screening/new/adult-labour/", {"indicators": ids})
    assert done.status_code == 302
    result = client.get(done["Location"])
    assert result.status_code == 200
    assert "indicators of trafficking are met" in result.content.decode()
    assert client.get(f"/cases/{case.pk}/screening/new/no-such-list/").status_code == 404


def test_case_page_sections_and_record_forms(client_for, case, caseworker) -> None:
    client = client_for(caseworker)
    page = client.get(f"/cases/{case.pk}/")
    assert (
        page.status_code == 200
        and AuditEvent.objects.filter(action="survivor.identity_viewed").exists()
    )
    edit = client.post(
        f"/cases/{case.pk}/edit/case/needs/",
        {"case__current_needs": ["legal", "mental_health"], "case__needs_notes": ""},
    )
    assert edit.status_code == 302
    assert Case.objects.get(pk=case.pk).current_needs == ["legal", "mental_health"]
    add = client.post(
        f"/cases/{case.pk}/records/follow_up/new/",
        {"follow_up__follow_up_date": "2026-11-10", "follow_up__method": "phone"},
    )
    assert add.status_code in (200, 302)
    assert client.get(f"/cases/{case.pk}/records/nonsense/new/").status_code == 404


def test_org_admin_sees_numbers_not_cases(client_for, org_admin, case) -> None:
    client = client_for(org_admin)
    assert client.get("/dashboard/").status_code == 200
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert client.get("/cases/").status_code == 404


def test_every_read_of_identifying_values_is_audited(client_for, case, caseworker) -> None:
    actions.add_record(by=caseworker, case=case, model=CaseNote, values={"body": "Spoke briefly."})
    client = client_for(caseworker)
    client.get(f"/cases/{case.pk}/")
    survivor_read = AuditEvent.objects.filter(action="survivor.identity_viewed").latest("id")
    assert {"given_name", "family_name", "birth_date"} <= set(survivor_read.fields)
    case_read = AuditEvent.objects.filter(action="case.identity_viewed").latest("id")
    assert "case_note.body" in case_read.fields
    client.get(f"/cases/{case.pk}/edit/survivor/name/")
    edit_read = AuditEvent.objects.filter(action="survivor.identity_viewed").latest("id")
    assert edit_read.context == {"purpose": "edit"} and "given_name" in edit_read.fields
