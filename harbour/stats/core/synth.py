"""Differentially private synthetic microdata with pac-synth's DP aggregate-seeded synthesizer.

Pure functions over lists of code strings (no Django): the caller gives one record per person,
every value a code (several codes of a multi-code column joined by ';'), and gets back synthetic
records in the same columns. pac-synth computes noisy counts of every combination of up to
`reporting_length` attribute values (Gaussian noise, (ε, δ)-DP; combinations below an adaptive
threshold are dropped, which is where δ comes from), then samples records seeded by those counts
alone: the synthetic rows are post-processing of DP aggregates, so they cost no more than ε.

pac-synth takes no random seed, so the same call never gives the same rows twice: whoever needs
the same file at every download stores it (ADR 29).
"""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import pacsynth

SEPARATOR = ";"
# Counts of single codes and of pairs are protected; longer combinations only emerge from the
# sampling. Measured on 5,000 generated persons (benchmarks/bench_synthetic.py), two-way error at
# ε = 1: 0.52 with length 2, 1.39 with length 3 (the noise is spread over far more combinations
# and most attributes of the sampled rows come out empty).
REPORTING_LENGTH = 2
# pac-synth's default (0.005 of ε) for the noisy number of records leaves ±hundreds of rows at
# ε = 1; a twentieth of ε keeps the row count within a few per cent at no visible cost elsewhere.
RECORDS_SHARE = 0.05
# A fixed, public δ: pac-synth's default, 1 / (n ln n) with n its DP count of the records, panics
# when that count comes out tiny, and a δ that moves with the data says something about it. 1e-6
# stays below 1 / (n ln n) up to about 87,000 persons; a larger population calls for a smaller δ.
DELTA = 1e-6
MIN_EPSILON = 0.1
MAX_EPSILON = 10.0


class SynthesisFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Synthesis:
    rows: list[dict[str, str]]
    epsilon: float
    delta: float
    reporting_length: int
    dp_records: int  # the DP estimate of how many persons the input had
    parameters: dict[str, Any]


def synthesise(
    records: Sequence[Mapping[str, str]],
    columns: Sequence[str],
    categories: Mapping[str, Sequence[str]],
    *,
    multi: Iterable[str] = (),
    epsilon: float,
    unknown: str = "unknown",
    reporting_length: int = REPORTING_LENGTH,
) -> Synthesis:
    """Synthetic records from `records` under (ε, δ)-DP.

    `categories` lists the codes a column may take (an empty list: any code the data holds, as
    for years); a synthetic value outside it, or an attribute pac-synth left empty, becomes
    `unknown`, so the output never holds anything but catalogue codes.
    """
    if not MIN_EPSILON <= epsilon <= MAX_EPSILON:
        raise ValueError(f"epsilon must be between {MIN_EPSILON} and {MAX_EPSILON}")
    multi = set(multi)
    raw = [list(columns)] + [[str(r.get(c, "") or "") for c in columns] for r in records]
    dataset = pacsynth.Dataset(
        raw,
        multi_value_columns={c: SEPARATOR for c in columns if c in multi},
        # a code such as "0" must count as a value, not as "absent" (pac-synth's default)
        sensitive_zeros=[c for c in columns if c not in multi],
    )
    parameters = (
        pacsynth.DpAggregateSeededParametersBuilder()
        .epsilon(float(epsilon))
        .delta(DELTA)
        .reporting_length(reporting_length)
        .number_of_records_epsilon_proportion(RECORDS_SHARE)
        # Sampling that discounts combinations already sampled enough: measured on generated
        # data (5,000 persons), two-way error 0.16 -> 0.09 at ε = 1 and empty cells 8 % -> 2 %.
        .use_synthetic_counts(True)
        .build()
    )
    try:
        synthesizer = pacsynth.DpAggregateSeededSynthesizer(parameters)
        synthesizer.fit(dataset)
        dp_records = max(int(synthesizer.get_dp_number_of_records()), 0)
        sampled = synthesizer.sample(dp_records, True) if dp_records else [list(columns)]
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException (BaseException)
        raise SynthesisFailed(str(exc)) from exc
    rows = [
        _clean(dict(zip(sampled[0], row, strict=True)), columns, categories, multi, unknown)
        for row in sampled[1:]
    ]
    return Synthesis(
        rows=rows,
        epsilon=float(epsilon),
        delta=DELTA,
        reporting_length=reporting_length,
        dp_records=dp_records,
        parameters=_parameters(parameters),
    )


def _parameters(parameters: Any) -> dict[str, Any]:
    import json

    return dict(json.loads(parameters.to_json_str()))


def _clean(
    row: Mapping[str, str],
    columns: Sequence[str],
    categories: Mapping[str, Sequence[str]],
    multi: set[str],
    unknown: str,
) -> dict[str, str]:
    out = {}
    for column in columns:
        allowed = list(categories.get(column) or [])
        codes = [c for c in (row.get(column) or "").split(SEPARATOR) if c]
        if allowed:
            codes = [c for c in allowed if c in set(codes)]  # catalogue order, no stranger
        if column not in multi:
            codes = codes[:1]
        out[column] = SEPARATOR.join(codes) or unknown
    return out


# --- utility measures (tests and benchmarks) --------------------------------------------------


def two_way_marginals(
    rows: Iterable[Mapping[str, str]], columns: Sequence[str]
) -> dict[tuple[str, str], Counter[tuple[str, str]]]:
    """Counts of every pair of codes of every pair of columns (each code of a multi-code cell)."""
    margins: dict[tuple[str, str], Counter[tuple[str, str]]] = {
        pair: Counter() for pair in combinations(columns, 2)
    }
    for row in rows:
        codes = {c: (row.get(c) or "").split(SEPARATOR) for c in columns}
        for (a, b), counter in margins.items():
            counter.update((x, y) for x in codes[a] for y in codes[b])
    return margins


def two_way_error(
    real: Iterable[Mapping[str, str]],
    synthetic: Iterable[Mapping[str, str]],
    columns: Sequence[str],
) -> float:
    """Mean over column pairs of Σ|synthetic − real| / Σ real over that pair's cells: 0 when every
    two-way table is reproduced, 2 when none of it is."""
    true_margins = two_way_marginals(real, columns)
    fake_margins = two_way_marginals(synthetic, columns)
    errors = []
    for pair, truth in true_margins.items():
        total = sum(truth.values())
        if not total:
            continue
        fake = fake_margins[pair]
        cells = set(truth) | set(fake)
        errors.append(sum(abs(fake[c] - truth[c]) for c in cells) / total)
    return sum(errors) / len(errors) if errors else 0.0
