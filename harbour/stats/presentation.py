"""Tables as people read them: labels in the reader's language, chart rows, and CSV/JSON files
that carry the release's metadata. CSV cells that a spreadsheet would run as a formula are
neutralised."""

import csv
import datetime as dt
import io
from typing import Any

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from harbour.stats import layer_charts, queries
from harbour.stats.catalogue import variable
from harbour.stats.layered import LayeredTable
from harbour.stats.models import Release
from harbour.stats.queries import RECORD_LINKAGE, REFERRAL_LINKS
from harbour.stats.states import ReleaseStatus
from harbour.stats.tables import ALL, Method, Table

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NOT_RECORDED = "not_recorded"


def safe_cell(value: Any) -> Any:
    text = "" if value is None else value
    if isinstance(text, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def labels(table: Table) -> tuple[dict[str, str], dict[str, str]]:
    row_var = variable(table.spec.row)
    col_var = variable(table.spec.col) if table.spec.col else None
    rows = {r: row_var.label_of(r) for r in table.rows}
    cols = {c: (col_var.label_of(c) if col_var else c) for c in table.cols}
    return rows, cols


def one_way(table: Table) -> list[tuple[str, Any]]:
    rows, _cols = labels(table)
    return [(rows[r], table.cells[(r, ALL)]) for r in table.rows]


def matrix(table: Table) -> dict[str, Any]:
    rows, cols = labels(table)
    return {
        "header": [cols[c] for c in table.cols],
        "rows": [
            (rows[r], [table.cells[(r, c)] for c in table.cols], table.row_totals[r])
            for r in table.rows
        ],
        "col_totals": [table.col_totals[c] for c in table.cols],
        "total": table.total,
    }


def panel(name: str, m: dict[str, Any]) -> layer_charts.Panel:
    """A table as `matrix` gives it, as one chart panel."""
    rows = [(str(label), cells) for label, cells, _total in m["rows"]]
    return layer_charts.Panel(name, [str(h) for h in m["header"]], rows)


def two_way_chart(table: Table) -> dict[str, Any]:
    """A two-way table's chart: one panel, drawn like a layer of a three-way table."""
    row_var, col_var = table.spec.variables()
    what = _("%(row)s by %(col)s") % {"row": row_var.label, "col": col_var.label if col_var else ""}
    return layer_charts.small_multiples([panel(what, matrix(table))], table.meta) | {"title": ""}


def layered(table: LayeredTable) -> dict[str, Any]:
    """A three-way table as people read it: each layer's table with its caption, the table
    summed over the layers, and the layer totals."""
    layer_var = variable(table.spec.layer)
    row_var, col_var = table.spec.variables()
    what = _("%(row)s by %(col)s") % {"row": row_var.label, "col": col_var.label if col_var else ""}
    matrices = {g: matrix(table.tables[g]) for g in table.layers}
    panels = [panel(str(layer_var.label_of(g)), m) for g, m in matrices.items()]
    return {
        "charts": layer_charts.small_multiples(panels, table.meta)
        | {
            "title": _("%(what)s, one chart per value of “%(layer)s” (same scale)")
            % {"what": what, "layer": layer_var.label}
        },
        "layer_label": layer_var.label,
        "layers": [
            {
                "caption": _("%(what)s — %(layer)s: %(code)s")
                % {"what": what, "layer": layer_var.label, "code": layer_var.label_of(g)},
                "matrix": matrices[g],
            }
            for g in table.layers
        ],
        "summed": {
            "caption": _("%(what)s — total of all layers (%(layer)s)")
            % {"what": what, "layer": layer_var.label},
            "matrix": matrix(table.summed),
        },
        "layer_totals": [(layer_var.label_of(g), table.layer_totals[g]) for g in table.layers],
        "total": table.total,
    }


LAYERED_HEADER = [
    "layer_code",
    "layer_label",
    "row_code",
    "row_label",
    "col_code",
    "col_label",
    "count",
]


def _layered_lines(table: LayeredTable) -> list[list[Any]]:
    """Long form with a layer column: every layer's cells and margins (code "total"), then the
    table summed over the layers (layer code "all")."""
    layer_var = variable(table.spec.layer)
    lines: list[list[Any]] = []
    parts = [(g, layer_var.label_of(g), table.tables[g]) for g in table.layers]
    for code, label, part in [*parts, ("all", str(_("All")), table.summed)]:
        rows, cols = labels(part)
        for r in part.rows:
            for c in part.cols:
                lines.append([code, label, r, rows[r], c, cols[c], part.cells[(r, c)]])
            lines.append([code, label, r, rows[r], "total", "", part.row_totals[r]])
        for c in part.cols:
            lines.append([code, label, "total", "", c, cols[c], part.col_totals[c]])
        lines.append([code, label, "total", "", "total", "", part.total])
    return [[safe_cell(x) for x in line] for line in lines]


def csv_text(table: Table | LayeredTable, meta: dict[str, Any]) -> str:
    """The table in long form, one line per cell, after comment lines with the metadata."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for key, value in meta.items():
        writer.writerow([safe_cell(f"# {key}"), safe_cell(str(value))])
    if isinstance(table, LayeredTable):
        writer.writerow(LAYERED_HEADER)
        writer.writerows(_layered_lines(table))
        return out.getvalue()
    rows, cols = labels(table)
    writer.writerow(["row_code", "row_label", "col_code", "col_label", "count"])
    for r in table.rows:
        for c in table.cols:
            writer.writerow([safe_cell(x) for x in (r, rows[r], c, cols[c], table.cells[(r, c)])])
    writer.writerow(["total", "", "", "", safe_cell(table.total)])
    return out.getvalue()


def dimensions(release: Release) -> str:
    """The table's variables in the reader's language: rows × columns × layer."""
    return " × ".join(str(variable(v).label) for v in release.spec().ids())


def persons_recorded(release: Release) -> dict[str, Any]:
    """How the release's persons were unduplicated, as recorded when it was published. Releases
    published before the record was kept say what they can: which fallback, or nothing."""
    recorded = release.config.get("persons")
    if isinstance(recorded, dict) and recorded.get("by"):
        return recorded
    unduplicated = release.config.get("persons_unduplicated")
    if unduplicated is False:
        return {"by": REFERRAL_LINKS, "records_per_person": 2}
    if unduplicated is True:
        return {"by": RECORD_LINKAGE, "records_per_person": 1}
    return {"by": NOT_RECORDED}


def _number(value: Any) -> str:
    return str(number_format(value, force_grouping=True))


def _run_date(recorded: dict[str, Any]) -> str:
    return timezone.localtime(dt.datetime.fromisoformat(recorded["run_at"])).date().isoformat()


# The run's counts are national totals of every encoded record, those of organisations and
# survivors who do not take part in statistics included, with no disclosure control of their
# own: what leaves (the page, the downloads, the API) is only the run, its date and its
# uncertainty as shares of the persons counted; the release keeps the exact figures, for
# analysts and reproduction (ADR 27, ADR 28).
def _fewer(recorded: dict[str, Any], key: str) -> float | None:
    """How many fewer persons, in % of the run's persons (one decimal), `key` would give."""
    persons, other = recorded.get("persons"), recorded.get(key)
    if not isinstance(persons, int) or not isinstance(other, int) or persons <= 0:
        return None
    return round(100 * (persons - other) / persons, 1)


def _percent(value: float | None) -> str:
    return str(number_format(value or 0.0, decimal_pos=1))


def persons_note(release: Release) -> str:
    """One sentence, in the reader's language, on how the release's persons were unduplicated."""
    return persons_sentence(persons_recorded(release), release.method)


def persons_shown(recorded: dict[str, Any], method: str) -> dict[str, Any]:
    """What `_method.html` shows of how persons were (or would be) counted: the sentence, the
    method code and the run's id."""
    return {
        "persons_note": persons_sentence(recorded, method),
        "persons_by": recorded["by"],
        "persons_run": recorded.get("run", ""),
    }


def persons_of(release: Release) -> dict[str, Any] | None:
    """How the release page says persons were counted: as recorded at publication; for a draft
    (nothing counted yet), as they would be if it were published now, from the same sentence;
    nothing for a rejected draft."""
    if release.is_published:
        return persons_shown(persons_recorded(release), release.method)
    if release.status == ReleaseStatus.DRAFT:
        return persons_shown(queries.persons_now(), release.method)
    return None


def persons_sentence(recorded: dict[str, Any], method: str) -> str:
    """One sentence, in the reader's language, on how persons were unduplicated: a release's
    record (`persons_recorded`) or the analysts' preview (`queries.persons_now`)."""
    if recorded["by"] == REFERRAL_LINKS:
        note = _(
            "No record-linkage run: records were joined only by referrals and transfers, so a "
            "person seen by two organisations that never referred them may count twice."
        )
        if method == Method.DP:
            note += " " + _("The differential-privacy sensitivity was doubled to cover it.")
        return note
    if recorded["by"] != RECORD_LINKAGE:
        return _("How persons were unduplicated was not recorded for this release.")
    if "run_at" not in recorded:
        return _("Persons were unduplicated by record linkage; the run was not recorded.")
    merged = _fewer(recorded, "persons_if_uncertain_merged")
    expected = _fewer(recorded, "persons_expected")
    figures = {"date": _run_date(recorded), "merged": _percent(merged)}
    if not merged:
        text = _("Persons unduplicated by the record-linkage run of %(date)s (no uncertain pair).")
    elif expected is None:  # a run made before the estimate existed
        text = _(
            "Persons unduplicated by the record-linkage run of %(date)s: were every uncertain "
            "pair one person, %(merged)s %% fewer persons would be counted."
        )
    else:
        figures["expected"] = _percent(expected)
        text = _(
            "Persons unduplicated by the record-linkage run of %(date)s: were every uncertain "
            "pair one person, %(merged)s %% fewer persons would be counted (expected: "
            "%(expected)s %% fewer)."
        )
    return text % figures


def _persons_metadata(release: Release) -> dict[str, Any]:
    """The flat fields downloads and the API carry: the method, the sentence, the run and its
    uncertainty as shares (never its counts)."""
    recorded = persons_recorded(release)
    fields: dict[str, Any] = {
        "persons_counted_by": recorded["by"],
        "persons_note": persons_note(release),
    }
    if "records_per_person" in recorded:
        fields["records_per_person"] = recorded["records_per_person"]
    if "run" in recorded:
        fields |= {
            "linkage_run": recorded["run"],
            "linkage_run_at": recorded.get("run_at", ""),
            "linkage_fewer_if_uncertain_merged_percent": _fewer(
                recorded, "persons_if_uncertain_merged"
            ),
            "linkage_expected_fewer_percent": _fewer(recorded, "persons_expected"),
        }
    return fields


def release_metadata(release: Release) -> dict[str, Any]:
    return (
        {
            "release": str(release.pk),
            "title": release.title,
            "title_fr": release.title_fr,
            "version": release.version,
            "published_at": release.published_at.isoformat() if release.published_at else "",
            "method": release.method,
            "epsilon": str(release.epsilon) if release.epsilon is not None else "",
            "threshold": release.threshold if release.method == Method.SUPPRESSION else "",
            "period": f"{release.first_year or ''}-{release.last_year or ''}",
            "table": " × ".join(release.spec().ids()),
            "unit": "persons",
            "rule": "ADR-0027",
        }
        | {
            k: v
            for k, v in release.result.get("meta", {}).items()
            if k in {"error_95", "mechanism"}
        }
        | (_persons_metadata(release) if release.is_published else {})
    )


def xlsx_bytes(table: Table | LayeredTable, meta: dict[str, Any]) -> bytes:
    """The same long-form table as the CSV, in a workbook with a metadata sheet."""
    from openpyxl import Workbook

    book = Workbook()
    data = book.active
    assert data is not None
    data.title = "data"
    if isinstance(table, LayeredTable):
        data.append(LAYERED_HEADER)
        for line in _layered_lines(table):
            data.append(line)
    else:
        rows, cols = labels(table)
        data.append(["row_code", "row_label", "col_code", "col_label", "count"])
        for r in table.rows:
            for c in table.cols:
                data.append([safe_cell(x) for x in (r, rows[r], c, cols[c], table.cells[(r, c)])])
    about = book.create_sheet("metadata")
    for key, value in meta.items():
        about.append([key, safe_cell(str(value))])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
