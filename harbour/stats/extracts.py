"""Research extracts: k-anonymised microdata as a Frictionless data package (ZIP).

Only survivors with a live research consent are in it (queries.research_cases); one row per
person; the quasi-identifiers (year, province, age group, gender) are generalised and rare
combinations dropped until every row shares its combination with at least k - 1 others
(core/kanon.py). The package carries the bilingual description of each column, the privacy
parameters, who asked and why, and the HTCDS attribution.
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
from harbour.stats.models import ExtractRequest


@dataclass(frozen=True)
class Extract:
    rows: list[dict[str, Any]]
    levels: dict[str, int]
    dropped: int
    k: int


def microdata(request: ExtractRequest) -> Extract:
    # Consenting survivors of every organisation, on purpose (row-level security, ADR 40).
    with tenancy.widened("research extract"):
        cases = queries.in_period(queries.research_cases(), request.first_year, request.last_year)
        people, _linked = queries.person_rows(cases)
    rows = [_record(person) for person in people]
    out = kanon.k_anonymise(rows, HIERARCHIES, k=request.k)
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
        archive.writestr("data/persons.csv", _csv(extract.rows))
        archive.writestr("datapackage.json", json.dumps(_descriptor(request, extract), indent=2))
        archive.writestr("README.md", _readme(request, extract))
    return buffer.getvalue()


def _csv(rows: list[dict[str, Any]]) -> str:
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
    return {
        "name": f"harbour-research-extract-{str(request.pk)[:8]}",
        "title": "Harbour research extract (k-anonymised microdata)",
        "created": timezone.now().isoformat(),
        "licenses": [{"name": "restricted", "title": "For the approved research purpose only"}],
        "sources": [{"title": dictionary.attribution.en}],
        "harbour": {
            "k": extract.k,
            "generalisation_levels": extract.levels,
            "records_dropped": extract.dropped,
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


def _readme(request: ExtractRequest, extract: Extract) -> str:
    levels = ", ".join(f"{q}: level {n}" for q, n in extract.levels.items())
    return "\n".join(
        [
            "# Harbour research extract",
            "",
            f"- Request: {request.pk}, approved {request.decided_at:%Y-%m-%d}"
            if request.decided_at
            else f"- Request: {request.pk}",
            f"- Rows: {len(extract.rows)} persons (one row per person, latest case)",
            f"- k-anonymity: k = {extract.k} over year, province, age group and gender",
            f"- Generalisation: {levels} (0 = as recorded; '*' = not shown)",
            f"- Records dropped to reach k: {extract.dropped}",
            "- Included: only survivors with a live consent to research, at download time.",
            "- Codes are those of the Harbour data dictionary (see datapackage.json).",
            "",
            current().attribution.en,
            "",
        ]
    )
