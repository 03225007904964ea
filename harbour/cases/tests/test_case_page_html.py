"""The case page's sections and timeline, written in Python (presentation.sections_html and
timeline_html), are what detail.html's loops wrote, character for character, in English and
French, for a user who may edit and one who may not, with text that must be escaped where a
caseworker can write it (issue 9)."""

import datetime as dt
from typing import Any

import pytest
from django.template import engines
from django.utils.translation import override

from harbour.cases import actions, presentation, queries
from harbour.cases.models import CaseNote, FollowUp, ServiceProvided, TraffickingEvent
from harbour.cases.values import read_values

pytestmark = pytest.mark.django_db

# The loops as detail.html wrote them before, with their context.
SECTIONS = engines["django"].from_string(
    """{% load i18n harbour %}{% for g in groups %}{% if g.rows or may_edit and g.editable %}
      <h3>{{ g.label }}{% if may_edit and g.editable %} <a class="small" href="{{ g.url }}">{% translate "edit" %}</a>{% endif %}</h3>
      {% if g.rows %}<dl class="dl-grid">{{ g.rows|value_rows }}</dl>{% endif %}
      {% endif %}{% endfor %}"""  # noqa: E501 (the template's own lines)
)
TIMELINE = engines["django"].from_string(
    """{% load i18n harbour %}{% for t in timeline %}
        <li>
          <div class="when">{{ t.item.when|date:"Y-m-d" }} · {{ t.label }}{% if t.by is not None %} · {{ t.by }}{% endif %}</div>
          {% if t.item.kind == "screening" %}
            <a href="{{ t.url }}">{% if t.item.record.indicators_met %}{% translate "Indicators of trafficking met" %}{% else %}{% translate "Indicators of trafficking not met" %}{% endif %}</a>
          {% elif t.item.kind == "intake" %}
            {% translate "Case opened" %}
          {% else %}
            <dl class="dl-grid small">{{ t.rows|value_rows_br }}</dl>
            {% if may_edit and t.item.kind != "case_note" %}<a class="small" href="{{ t.url }}">{% translate "edit" %}</a>{% endif %}
          {% endif %}
        </li>
        {% endfor %}"""  # noqa: E501 (the template's own lines)
)

HOSTILE = "<script>alert('x')</script> & \"quoted\"\nsecond line"


def _fill(case: Any, caseworker: Any, supervisor: Any) -> None:
    add = actions.add_record
    add(by=caseworker, case=case, model=CaseNote, values={"body": HOSTILE})
    add(by=supervisor, case=case, model=CaseNote, values={"body": "<b>bold</b> & plain"})
    event = {"event_type": "recruitment", "event_date": dt.date(2024, 3, 1), "description": HOSTILE}
    add(by=caseworker, case=case, model=TraffickingEvent, values=event)
    follow_up = {"follow_up_date": dt.date(2025, 1, 2), "outcome": "reached_no_change"}
    add(by=caseworker, case=case, model=FollowUp, values=follow_up)
    service = {"service_type": "crisis_line", "provided_on": dt.date(2025, 2, 3)}
    add(by=supervisor, case=case, model=ServiceProvided, values=service)
    actions.screen(by=caseworker, case=case, indicator_set="adult-sexual", indicators=[])
    # A recorder whose name must be escaped.
    type(supervisor).objects.filter(pk=supervisor.pk).update(full_name="<i>O'Neil & Sons</i>")


def _timeline_rows(case: Any) -> list[dict[str, Any]]:
    timeline = queries.timeline(case, with_identity=True)
    staff = [i.record.created_by_id for i in timeline]
    from harbour.cases.views import _names

    names, recorded_by = _names(read_values(case, with_identity=True), staff=staff)
    links = presentation.CaseLinks(case)
    return [presentation.timeline_row(i, names, links, recorded_by) for i in timeline]


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("may_edit", [True, False])
def test_the_timeline_as_the_template_wrote_it(
    language, may_edit, case, caseworker, supervisor
) -> None:
    _fill(case, caseworker, supervisor)
    with override(language):
        rows = _timeline_rows(case)
        ours = str(presentation.timeline_html(rows, may_edit=may_edit))
        theirs = TIMELINE.render({"timeline": rows, "may_edit": may_edit})
    assert ours == theirs
    assert len(rows) == 7  # the intake, five records, one screening
    assert "<script>" not in ours and "&lt;script&gt;" in ours
    assert "&lt;i&gt;O&#x27;Neil &amp; Sons&lt;/i&gt;" in ours and "<i>" not in ours
    assert ("records/follow_up/" in ours) is may_edit  # an edit link: only for who may edit


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("may_edit", [True, False])
def test_the_sections_as_the_template_wrote_them(language, may_edit, make_case, caseworker) -> None:
    case = make_case(
        caseworker,
        survivor={"given_name": "<b>Ana & 'Bo'</b>", "family_name": 'Ré"my'},
        case={"exploitation_types": ["forced_criminality"]},
    )
    links = presentation.CaseLinks(case)
    with override(language):
        for entity_id, record in (("survivor", case.survivor), ("case", case)):
            values = read_values(record, with_identity=True)
            groups = links.sections(entity_id, values, {str(caseworker.pk): "<u>Cw</u>"})
            ours = str(presentation.sections_html(groups, may_edit=may_edit))
            theirs = SECTIONS.render({"groups": groups, "may_edit": may_edit})
            assert ours == theirs
            assert "<b>" not in ours and "<u>" not in ours
            if entity_id == "survivor":
                assert "&lt;b&gt;Ana &amp; &#x27;Bo&#x27;&lt;/b&gt;" in ours


def test_a_group_without_values_or_edit_link_is_left_out() -> None:
    class Label:  # not text: written as {{ }} writes it, its own __html__ not trusted
        def __str__(self) -> str:
            return "<em>label</em>"

        def __html__(self) -> str:
            return "<em>trusted?</em>"

    groups = [
        {"label": Label(), "rows": [], "editable": False, "url": "/a?x=1&y=2"},
        {"label": Label(), "rows": [], "editable": True, "url": '/b?x="1"&y=2'},
    ]
    for may_edit in (True, False):
        ours = str(presentation.sections_html(groups, may_edit=may_edit))
        assert ours == SECTIONS.render({"groups": groups, "may_edit": may_edit})
    assert str(presentation.sections_html(groups, may_edit=False)) == ""
