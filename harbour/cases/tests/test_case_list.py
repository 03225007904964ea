"""The case list's rows, written in Python (presentation.list_rows), are what its template loop
wrote, character for character, in English and French; one row per case of the page (issue 9,
item 5)."""

import pytest
from django.core.paginator import Paginator
from django.template import engines
from django.utils.translation import override

from harbour.cases import presentation, queries
from harbour.cases.models import Case, CaseStatus
from harbour.standard.dictionary import current

pytestmark = pytest.mark.django_db

# The loop as list.html wrote it before (ab91a4b^), with its context.
BEFORE = engines["django"].from_string(
    """{% load i18n harbour %}{% for case in page %}
    <tr>
      <td><a href="{% url 'cases:detail' case.pk %}">{{ case.reference }}</a><br><span class="muted small">{% translate "Survivor" %} <span class="nowrap">{{ case.survivor.reference }}</span></span></td>
      <td>{{ case.intake_date|date:"Y-m-d" }}</td>
      <td><span class="badge{% if case.is_open %} ok{% else %} muted{% endif %}">{{ case.get_status_display }}</span></td>
      <td>{% for code in case.exploitation_types %}{{ exploitation.codelist|codelabel:code }}{% if not forloop.last %}, {% endif %}{% endfor %}</td>
      <td>{{ case.owner.full_name|default:"—" }}</td>
    </tr>{% endfor %}"""  # noqa: E501 (the template's own lines)
)


def test_rows_as_the_template_wrote_them(make_case, caseworker) -> None:
    make_case(
        caseworker, case={"exploitation_types": ["forced_criminality", "sexual_exploitation"]}
    )
    make_case(caseworker, case={"exploitation_types": []})
    closed = make_case(caseworker)
    Case.objects.filter(pk=closed.pk).update(status=CaseStatus.CLOSED, owner=None)
    # Text that must be escaped, where a user could write it: the owner's name, the references.
    type(caseworker).objects.filter(pk=caseworker.pk).update(full_name="<b>O'Brien & Co</b>")
    Case.objects.filter(pk=closed.pk).update(reference="<i>R&D</i>")
    cases = queries.filter_cases(Case.objects.filter(org_id=caseworker.org_id))
    page = Paginator(cases, 25).get_page(1)
    columns = Paginator(queries.list_columns(cases), 25).get_page(1)  # what the view reads
    field = current().entity("case").field("exploitation_types")
    for language in ("en", "fr"):
        with override(language):
            labels = {value: str(label) for value, label in CaseStatus.choices}
            rows = presentation.list_rows(columns, labels, field.codelist)
            ours = "".join(str(row["html"]) for row in rows)
            theirs = BEFORE.render({"page": page, "exploitation": field})
            assert ours == theirs
            assert len(rows) == 3
            assert "—</td>" in ours  # the case without an owner
            assert "&lt;b&gt;O&#x27;Brien &amp; Co&lt;/b&gt;" in ours and "<b>" not in ours
            assert "&lt;i&gt;R&amp;D&lt;/i&gt;" in ours and "<i>" not in ours


def test_the_rows_open_statuses_are_the_case_s() -> None:
    for status in CaseStatus:
        assert (status in presentation.OPEN_STATUSES) is Case(status=status).is_open
