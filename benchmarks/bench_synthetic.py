"""Benchmark: differentially private synthetic research extracts (pac-synth) beside the
k-anonymised extract of the same persons (ADR 29).

N persons (one case each) are bulk-inserted exactly as bench_stats.py does (not measured). The
research extract's records are read once (one row of catalogue codes per person, the columns of
the extract; the persons are those of the statistics agreement, as research consents are not
seeded: the cost per person is the same). Then:

  baseline   k-anonymity at k = 11 over year, province, age group and gender (core/kanon.py):
             time, records dropped, how far each quasi-identifier was generalised
  ours       pac-synth's DP aggregate-seeded synthesizer (core/synth.py, the parameters Harbour
             uses) at epsilon = 1 and 4: time to fit and sample

Both are measured by the mean relative two-way marginal error against the real records: for every
pair of columns, sum |protected - real| / sum real over the pair's cells, averaged over the pairs
(0 = every two-way table exact, 2 = nothing in common). The k-anonymised extract's error counts
its dropped records and its generalised codes (a province replaced by a region no longer matches).

    .venv/bin/python benchmarks/bench_synthetic.py --persons 100000
"""

import argparse
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_stats  # seeding and configuration shared with the statistics bench)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--epsilons", default="1,4", help="comma-separated, e.g. 1,4")
    parser.add_argument("--reporting-length", type=int, default=0, help="default: Harbour's")
    parser.add_argument("--database-url", default="", help="an EMPTY database (default SQLite)")
    return parser.parse_args(argv)


def records() -> list[dict[str, Any]]:
    from harbour.stats import extracts, queries

    people, _linked = queries.person_rows(queries.statistics_cases())
    return [extracts._record(person) for person in people]


def k_anonymised(rows: list[dict[str, Any]]) -> tuple[float, Any]:
    from harbour.stats.catalogue import HIERARCHIES
    from harbour.stats.core import kanon

    started = time.perf_counter()
    out = kanon.k_anonymise(rows, HIERARCHIES, k=11)
    return time.perf_counter() - started, out


def synthesised(rows: list[dict[str, Any]], epsilon: float, length: int) -> tuple[float, Any]:
    from harbour.stats import synthetic
    from harbour.stats.catalogue import RESEARCH_VARIABLES, UNKNOWN, variable
    from harbour.stats.core import synth

    started = time.perf_counter()
    out = synth.synthesise(
        rows,
        RESEARCH_VARIABLES,
        synthetic.categories(),
        multi={v for v in RESEARCH_VARIABLES if variable(v).multi},
        epsilon=epsilon,
        unknown=UNKNOWN,
        reporting_length=length or synth.REPORTING_LENGTH,
    )
    return time.perf_counter() - started, out


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    var_dir = bench_stats.configure(args)
    try:
        from harbour.stats.catalogue import RESEARCH_VARIABLES, UNKNOWN
        from harbour.stats.core import synth

        started = time.perf_counter()
        bench_stats.seed(args.persons)
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        rows = records()
        read = time.perf_counter() - started
        columns = RESEARCH_VARIABLES
        print(
            f"research extract: {args.persons} persons (seeded in {seeded:.0f} s, records read in "
            f"{read:.1f} s), {len(columns)} columns, {os.cpu_count()} CPUs, load average "
            f"{os.getloadavg()[0]:.1f}"
        )
        k_time, anonymised = k_anonymised(rows)
        levels = ", ".join(f"{q} {n}" for q, n in anonymised.levels.items())
        k_error = synth.two_way_error(rows, anonymised.rows, columns)
        print(
            f"{'k-anonymised, k = 11 (baseline)':<34} {k_time:8.2f} s   two-way error "
            f"{k_error:.3f}   dropped {anonymised.dropped / len(rows):.1%}, generalised "
            f"(level per quasi-identifier, 0 = as recorded): {levels}"
        )
        for epsilon in (float(e) for e in args.epsilons.split(",")):
            s_time, made = synthesised(rows, epsilon, args.reporting_length)
            error = synth.two_way_error(rows, made.rows, columns)
            cells = [v for r in made.rows for v in r.values()]
            unknown = sum(v == UNKNOWN for v in cells) / max(len(cells), 1)
            real_unknown = sum(v == UNKNOWN for r in rows for v in r.values()) / (
                len(rows) * len(columns)
            )
            print(
                f"{f'synthetic, epsilon = {epsilon:g}, length {made.reporting_length}':<34} "
                f"{s_time:8.2f} s   two-way "
                f"error {error:.3f}   x{s_time / k_time:.0f} the baseline's time, "
                f"{len(made.rows)} rows (DP count), delta {made.delta:.2g}, 'unknown' cells "
                f"{unknown:.1%} (real {real_unknown:.1%})"
            )
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
