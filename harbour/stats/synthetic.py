"""Synthetic research extracts: the persons of the k-anonymised extract, synthesised under
differential privacy by pac-synth (core/synth.py), generated once at approval (actions)."""

import csv
import io
from typing import Any

from harbour.stats.catalogue import RESEARCH_VARIABLES, UNKNOWN, variable
from harbour.stats.core import synth
from harbour.stats.core.synth import SynthesisFailed

__all__ = ["SynthesisFailed", "categories", "generate", "rows_of"]
from harbour.stats.models import ExtractRequest

METHOD = "pac-synth DP aggregate-seeded synthesizer"


def categories() -> dict[str, list[str]]:
    """The codes each column may hold: its catalogue list plus 'unknown' (years: any)."""
    out = {}
    for var_id in RESEARCH_VARIABLES:
        codes = variable(var_id).categories()
        out[var_id] = [*codes, UNKNOWN] if codes else []
    return out


def generate(request: ExtractRequest) -> tuple[str, dict[str, Any]]:
    """The synthetic rows as CSV text and what produced them (stored with the request)."""
    from harbour.stats import extracts

    assert request.epsilon is not None, "a synthetic request has an epsilon"
    records = extracts.person_records(request)
    result = synth.synthesise(
        records,
        RESEARCH_VARIABLES,
        categories(),
        multi={v for v in RESEARCH_VARIABLES if variable(v).multi},
        epsilon=float(request.epsilon),
        unknown=UNKNOWN,
    )
    meta = {
        "method": METHOD,
        "library": f"pac-synth {_version()}",
        "epsilon": str(request.epsilon),
        "delta": result.delta,
        "reporting_length": result.reporting_length,
        "dp_number_of_records": result.dp_records,
        "parameters": result.parameters,
    }
    return extracts.csv_text(result.rows), meta


def rows_of(request: ExtractRequest) -> list[dict[str, Any]]:
    return list(csv.DictReader(io.StringIO(request.synthetic_csv)))


def _version() -> str:
    from importlib.metadata import version

    return version("pac-synth")
