"""The case pages' rows and links, written in Python (issue 9, item 5): the list's rows as
HTML, the case page's sections and timeline rows with their links reversed once a page."""

import datetime as dt
import functools
import uuid
from typing import Any

from django.template.defaultfilters import date as date_filter
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from harbour.cases import actions, queries
from harbour.cases.forms import fields_of
from harbour.cases.models import Case, CaseStatus
from harbour.cases.values import display_value
from harbour.core.widgets import as_html
from harbour.standard.dictionary import current
from harbour.web.templatetags.harbour import value_rows, value_rows_br

# Stand-ins reversed once per process and URLconf: a link is the pattern with its own ids.
_ANY_ID = uuid.UUID(int=0)
_ANY_CASE = uuid.UUID(int=1)  # the case (or its survivor) whose page it is
_ANY_KIND = "any-kind"


def _with_kind(pattern: str, kind: str) -> str:
    """The link `pattern` (reversed with the stand-in kind) for `kind`."""
    return pattern.replace(f"/{_ANY_KIND}/", f"/{kind}/")


@functools.lru_cache(maxsize=256)
def _reversed(name: str, args: tuple[Any, ...], _urlconf: Any, _prefix: str) -> str:
    return reverse(name, urlconf=_urlconf, args=args)


def _pattern(name: str, *args: Any) -> str:
    """`reverse(name, args=args)` of stand-ins, remembered for the URLconf and script prefix
    in force (the case page reversed about 15 links a view, issue 9)."""
    return _reversed(name, args, get_urlconf(), get_script_prefix())


def _day(day: Any) -> str:
    """`{{ day|date:"Y-m-d" }}`: a date's ISO form is the same text, without the formatter."""
    return day.isoformat() if type(day) is dt.date else str(date_filter(day, "Y-m-d"))


# As Case.is_open (test_case_list.py checks every status).
OPEN_STATUSES = frozenset({CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP})


def list_rows(page: Any, status_labels: dict[str, str], codelist: Any) -> list[dict[str, Any]]:
    """Each row of the list as HTML, written in Python: in the template each row was a dozen
    lookups, a reverse, a status label (a lazy translation looked up through the model's
    choices) and a code list label per code, about a third of the page's time (issue 9, item 5;
    test_case_list.py compares it with the template it replaces). The page holds the rows of
    queries.list_columns."""
    detail = _pattern("cases:detail", _ANY_ID)
    survivor = escape(_("Survivor"))
    rows = []
    for case in page:
        codes = case.exploitation_types or []
        labels = ", ".join(str(codelist.label_of(c)) if codelist else c for c in codes)
        owner = case.owner__full_name
        html = (
            "\n    <tr>\n"
            f'      <td><a href="{detail.replace(str(_ANY_ID), str(case.id))}">'
            f"{as_html(case.reference)}</a><br>"
            f'<span class="muted small">{survivor} <span class="nowrap">'
            f"{as_html(case.survivor__reference)}</span></span></td>\n"
            f"      <td>{_day(case.intake_date)}</td>\n"
            f'      <td><span class="badge{" ok" if case.status in OPEN_STATUSES else " muted"}">'
            f"{as_html(status_labels.get(case.status, case.status))}</span></td>\n"
            f"      <td>{as_html(labels)}</td>\n"
            f"      <td>{as_html(owner or '—')}</td>\n"
            "    </tr>"
        )
        rows.append({"case": case, "html": SafeString(html)})
    return rows


def grouped(entity: Any, values: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    """The entity's filled-in values, by group, ready to display; `editable` says whether the
    group has fields a caseworker may edit on its own page."""
    editable_ids = {f.id for f in fields_of(entity)} - set(actions.PROTECTED_CASE_FIELDS)
    groups = []
    for group_id, label in [(g.id, g.label) for g in entity.groups] + [(None, entity.label)]:
        members = [f for f in entity.fields if f.group == group_id]
        if not members:
            continue
        rows = []
        for field in members:
            if field.id not in values:
                continue
            value = values[field.id]
            shown = (
                names.get(str(value), "")
                if field.type in {"staff", "organisation"}
                else display_value(field, value)
            )
            rows.append({"field": field, "value": shown})
        editable = any(f.id in editable_ids for f in members)
        groups.append(
            {"id": group_id or "other", "label": label, "rows": rows, "editable": editable}
        )
    return groups


class CaseLinks:
    """The case page's links: in its lists (timeline rows, sections, record kinds, screening
    sets), one pattern a kind of link instead of a reverse a row (issue 9, item 5), and its
    fixed links (`page`); the patterns reversed once a process (`_pattern`)."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.edit = self._of_case("cases:record_edit", _ANY_KIND, _ANY_ID)
        self.screening = self._of_case("cases:screening", _ANY_ID)

    def _of_case(self, name: str, *args: Any) -> str:
        return _pattern(name, _ANY_CASE, *args).replace(str(_ANY_CASE), str(self.case.pk))

    def _of_survivor(self, name: str) -> str:
        survivor = str(self.case.survivor_id)
        return _pattern(name, _ANY_CASE).replace(str(_ANY_CASE), survivor)

    def page(self) -> dict[str, str]:
        """The links the page's template wrote with {% url %}."""
        return {
            "status": self._of_case("cases:status"),
            "reassign": self._of_case("cases:reassign"),
            "refer": self._of_case("sharing:refer"),
            "care_map": self._of_case("directory:case_care_map"),
            "new_step": self._of_case("cases:record_new", "immigration_step"),
            "consents": self._of_survivor("sharing:consents"),
            "continuum": self._of_survivor("sharing:continuum"),
            "rights": self._of_survivor("sharing:rights"),
        }

    def sections(
        self, entity_id: str, values: dict[str, Any], names: dict[str, str]
    ) -> list[dict[str, Any]]:
        """`grouped`, each group with the link to edit it."""
        pattern = self._of_case("cases:edit_section", entity_id, _ANY_KIND)
        groups = grouped(current().entity(entity_id), values, names)
        return [g | {"url": _with_kind(pattern, g["id"])} for g in groups]

    def with_url(self, items: list[dict[str, Any]], url_name: str) -> list[dict[str, Any]]:
        """Each item (an "id") with its link: the route `url_name` of this case and that id."""
        pattern = self._of_case(f"cases:{url_name}", _ANY_KIND)
        return [i | {"url": _with_kind(pattern, i["id"])} for i in items]

    def of(self, item: queries.TimelineItem) -> str:
        if item.kind == "screening":
            return self.screening.replace(str(_ANY_ID), str(item.record.pk))
        if item.kind == "intake":
            return ""
        url = self.edit.replace(str(_ANY_ID), str(item.record.pk))
        return _with_kind(url, item.kind)


def timeline_row(
    item: queries.TimelineItem,
    names: dict[str, str],
    links: CaseLinks,
    recorded_by: dict[str, str] | None = None,
) -> dict[str, Any]:
    """`by`: who recorded it (None when no one is known). The recorders of every row (the
    intake's is the case's creator) are in `recorded_by`, read with the page's names, so they
    cost no query a row; one missing from it is read from the record."""
    by_id = item.record.created_by_id
    if not by_id:
        by = None
    elif str(by_id) in (recorded_by or {}):
        by = (recorded_by or {})[str(by_id)]
    else:
        by = item.record.created_by.full_name
    if item.kind == "intake":
        return {"item": item, "label": _("Intake"), "rows": [], "by": by, "url": ""}
    entity = current().entity(item.kind)
    rows = grouped(entity, item.values, names)
    flat = [r for g in rows for r in g["rows"] if r["value"]]
    return {"item": item, "label": entity.label, "rows": flat, "by": by, "url": links.of(item)}


# The case page's two long loops written in Python (issue 9): its template walked them at a few
# hundred variable lookups and tag renders a page. Each writes what the template's loop wrote,
# character for character (test_case_page_html.py renders both, with text to escape).


def sections_html(groups: list[dict[str, Any]], *, may_edit: bool) -> SafeString:
    """The Survivor or Case card's groups: the group's title (with its edit link when the user
    may edit it) and its filled-in values; a group with neither is left out."""
    edit = as_html(_("edit"))
    parts = []
    for g in groups:
        editable = may_edit and g["editable"]
        if not (g["rows"] or editable):
            continue
        link = f' <a class="small" href="{as_html(g["url"])}">{edit}</a>' if editable else ""
        values = f'<dl class="dl-grid">{value_rows(g["rows"])}</dl>' if g["rows"] else ""
        parts.append(f"\n      <h3>{as_html(g['label'])}{link}</h3>\n      {values}\n      ")
    return SafeString("".join(parts))


def timeline_html(rows: list[dict[str, Any]], *, may_edit: bool) -> SafeString:
    """The timeline's items (`timeline_row`s): when, what and who, then the screening's result,
    the intake's opening or the record's values with its edit link (notes are not edited)."""
    edit = as_html(_("edit"))
    met, not_met = (
        as_html(_("Indicators of trafficking met")),
        as_html(_("Indicators of trafficking not met")),
    )
    opened = as_html(_("Case opened"))
    parts = []
    for t in rows:
        item = t["item"]
        by = f" · {as_html(t['by'])}" if t["by"] is not None else ""
        when = _day(item.when)
        if item.kind == "screening":
            result = met if item.record.indicators_met else not_met
            body = f'\n            <a href="{as_html(t["url"])}">{result}</a>\n          '
        elif item.kind == "intake":
            body = f"\n            {opened}\n          "
        else:
            link = ""
            if may_edit and item.kind != "case_note":
                link = f'<a class="small" href="{as_html(t["url"])}">{edit}</a>'
            body = (
                f'\n            <dl class="dl-grid small">{value_rows_br(t["rows"])}</dl>'
                f"\n            {link}\n          "
            )
        parts.append(
            f'\n        <li>\n          <div class="when">{when} · {as_html(t["label"])}{by}</div>'
            f"\n          {body}\n        </li>\n        "
        )
    return SafeString("".join(parts))
