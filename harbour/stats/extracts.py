"""Research extracts: k-anonymised or synthetic microdata as a Frictionless data package (ZIP).

Only survivors with a live research consent are in it (queries.research_cases); one row per
person; the quasi-identifiers (year, province, age group, gender) are generalised and rare
combinations dropped until every row shares its combination with at least k - 1 others
(core/kanon.py). The package carries the bilingual description of each column, the privacy
parameters, who asked and why, and the HTCDS attribution.

A synthetic extract (synthetic.py) starts from the same persons and columns, is generated once at
approval and stored; its package says the rows are synthetic and how they were made.
"""

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from harbour.core import tenancy
from harbour.standard.dictionary import current
from harbour.stats import queries
from harbour.stats.catalogue import HIERARCHIES, RESEARCH_VARIABLES, variable
from harbour.stats.core import kanon
from harbour.stats.models import ExtractMethod, ExtractRequest


@dataclass(frozen=True)
class Extract:
    rows: list[dict[str, Any]]
    levels: dict[str, int]
    dropped: int
    k: int
    synthetic: bool = False


def person_records(request: ExtractRequest) -> list[dict[str, Any]]:
    """One record of codes per consenting person of the period, before any protection."""
    # Consenting survivors of every organisation, on purpose (row-level security, ADR 40).
    with tenancy.widened("research extract"):
        cases = queries.in_period(queries.research_cases(), request.first_year, request.last_year)
        people, _linked = queries.person_rows(cases)
    return [_record(person) for person in people]


def microdata(request: ExtractRequest) -> Extract:
    if request.method == ExtractMethod.SYNTHETIC:
        from harbour.stats import synthetic

        # The rows stored at approval: the same file at every download, no new spend.
        return Extract(rows=synthetic.rows_of(request), levels={}, dropped=0, k=0, synthetic=True)
    out = kanon.k_anonymise(person_records(request), HIERARCHIES, k=request.k)
    return Extract(rows=out.rows, levels=out.levels, dropped=out.dropped, k=request.k)


def _record(person: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for var_id in RESEARCH_VARIABLES:
        var = variable(var_id)
        record[var_id] = ";".join(var.codes_of(person[var.column]))
    return record


def package(request: ExtractRequest, extract: Extract) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data/persons.csv", csv_text(extract.rows))
        archive.writestr("datapackage.json", json.dumps(_descriptor(request, extract), indent=2))
        archive.writestr("README.md", _readme(request, extract))
    return buffer.getvalue()


def csv_text(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(RESEARCH_VARIABLES), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)  # codes only (letters, digits, _ ; *): no formula can start a cell
    return out.getvalue()


def _field(var_id: str) -> dict[str, Any]:
    from django.utils import translation

    var = variable(var_id)
    labels = {}
    for language in ("en", "fr"):
        with translation.override(language):
            labels[language] = str(var.label)
    return {
        "name": var_id,
        "type": "string",
        "title": labels["en"],
        "description": f"{labels['en']} / {labels['fr']}"
        + ("; several codes are separated by ';'" if var.multi else ""),
    }


def _descriptor(request: ExtractRequest, extract: Extract) -> dict[str, Any]:
    dictionary = current()
    kind = (
        "synthetic microdata, differentially private"
        if extract.synthetic
        else ("k-anonymised microdata")
    )
    return {
        "name": f"harbour-research-extract-{str(request.pk)[:8]}",
        "title": f"Harbour research extract ({kind})",
        "created": timezone.now().isoformat(),
        "licenses": [{"name": "restricted", "title": "For the approved research purpose only"}],
        "sources": [{"title": dictionary.attribution.en}],
        "harbour": {
            **(_synthetic_meta(request) if extract.synthetic else _kanon_meta(extract)),
            "dictionary_version": str(dictionary.latest),
            "request_id": str(request.pk),
        },
        "resources": [
            {
                "name": "persons",
                "path": "data/persons.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {"fields": [_field(v) for v in RESEARCH_VARIABLES]},
            }
        ],
    }


def _kanon_meta(extract: Extract) -> dict[str, Any]:
    return {
        "protection": "k-anonymity",
        "k": extract.k,
        "generalisation_levels": extract.levels,
        "records_dropped": extract.dropped,
    }


def _synthetic_meta(request: ExtractRequest) -> dict[str, Any]:
    made = request.synthesis
    return {
        "protection": "differential privacy (synthetic data)",
        "rows_are_synthetic": True,
        "method": made.get("method"),
        "library": made.get("library"),
        "epsilon": made.get("epsilon"),
        "delta": made.get("delta"),
        "reporting_length": made.get("reporting_length"),
        "dp_number_of_records": made.get("dp_number_of_records"),
        "parameters": made.get("parameters"),
    }


def _readme(request: ExtractRequest, extract: Extract) -> str:
    return "\n".join(
        [
            "# Harbour research extract",
            "",
            f"- Request: {request.pk}, approved {request.decided_at:%Y-%m-%d}"
            if request.decided_at
            else f"- Request: {request.pk}",
            *(_synthetic_lines(request, extract) if extract.synthetic else _kanon_lines(extract)),
            "- Codes are those of the Harbour data dictionary (see datapackage.json).",
            "",
            current().attribution.en,
            "",
        ]
    )


def _kanon_lines(extract: Extract) -> list[str]:
    levels = ", ".join(f"{q}: level {n}" for q, n in extract.levels.items())
    return [
        f"- Rows: {len(extract.rows)} persons (one row per person, latest case)",
        f"- k-anonymity: k = {extract.k} over year, province, age group and gender",
        f"- Generalisation: {levels} (0 = as recorded; '*' = not shown)",
        f"- Records dropped to reach k: {extract.dropped}",
        "- Included: only survivors with a live consent to research, at download time.",
    ]


def _synthetic_lines(request: ExtractRequest, extract: Extract) -> list[str]:
    made = request.synthesis
    return [
        f"- Rows: {len(extract.rows)} SYNTHETIC records. No row is a real person: each was sampled"
        " from differentially private counts of the real persons' codes.",
        f"- Method: {made.get('method')} ({made.get('library')}), reporting length"
        f" {made.get('reporting_length')} (counts of every combination of up to"
        f" {made.get('reporting_length')} codes were protected)",
        f"- Differential privacy: epsilon = {made.get('epsilon')}, delta = {made.get('delta'):.3g}"
        " (Gaussian noise and a threshold that drops rare combinations), spent once from"
        " Harbour's research privacy budget.",
        f"- Input: {made.get('dp_number_of_records')} persons (a differentially private count):"
        " survivors with a live consent to research when the data was generated, one row per"
        " person, latest case.",
        "- The file was generated once, at approval, and is the same at every download.",
        "- 'unknown' also stands where the synthesiser left an attribute empty.",
        "- Two-way tables are approximately right; rare combinations and exact counts are not:"
        " check findings against published statistics.",
    ]
