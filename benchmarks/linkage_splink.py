"""splink on plaintext: the Fellegi-Sunter reference of the linkage benchmark (issue 12).

The issue asks for our kernel to be run side by side with two references on the same generated
population; this is the second one (the first, a whole-record Bloom filter with Dice, lives in
bench_linkage.py). It is what a careful splink 5 user would do with the plaintext records, with
no labels and no knowledge of how the population was generated:

- cleaning: names case-, accent- and punctuation-folded (the same `normalise` as the kernel, but
  none of its nickname or transliteration folding: splink has no such table);
- comparisons: given and family name (exact with term-frequency adjustment, Jaro-Winkler
  >= 0.92 / 0.88, Damerau-Levenshtein <= 2, Jaro-Winkler >= 0.7), date of birth (exact with
  term-frequency adjustment, day and month swapped, one edit, within a month, within a year),
  sex and country of birth (exact); a missing value is splink's null level (no evidence);
- blocking: every rule carries part of the date of birth or both names, so that no block grows
  with the square of a common name at 1,000,000 records (see BLOCKING);
- training: the prior from deterministic rules with an assumed recall, u by random sampling,
  m by expectation maximisation on two blocking passes (names; date of birth), no labels;
- prediction, then connected components at a match probability of THRESHOLD (0.9, chosen
  before looking at any score: splink's own examples use 0.9 to 0.95).

    .venv/bin/python benchmarks/linkage_splink.py --records 10000

Everything runs in one in-memory DuckDB; nothing is downloaded.
"""

import argparse
import logging
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator

from harbour.linkage.core.encoding import normalise

THRESHOLD = 0.9  # match probability at which two records are the same person

# Each rule ties a date part to a name part, or both names to the birth year: blocking on a name
# alone (or even given + family name: "william smith" is thousands of records at 1,000,000) or on
# a date alone (placeholder 1 January birthdays) makes blocks whose pairs grow quadratically.
BLOCKING: list[BlockingRuleCreator | dict[str, Any]] = [
    block_on("given_name", "family_name", "birth_year"),
    block_on("birth_date", "substr(given_name, 1, 1)"),
    block_on("birth_date", "substr(family_name, 1, 1)"),
    block_on("given_name", "family_name", "birth_month"),  # a year or a few days off
    block_on("given_name", "family_name", "country_of_birth"),  # a missing date
    block_on("family_name", "birth_year", "birth_month"),  # a changed given name
    block_on("given_name", "birth_year", "birth_month"),  # a changed family name
]
# Rules that admit almost no false matches, and the share of true matches they are assumed to
# find (a guess, as a user without labels must make it: typos, variants and changed dates).
DETERMINISTIC: list[str | BlockingRuleCreator] = [
    block_on("given_name", "family_name", "birth_date")
]
DETERMINISTIC_RECALL = 0.6


def rows(records: list[dict]) -> list[dict]:
    """The records as splink's input table: cleaned strings, the date split for blocking."""
    out = []
    for i, rec in enumerate(records):
        born = rec.get("birth_date")
        out.append(
            {
                "unique_id": i,
                "given_name": normalise(rec.get("given_name") or "") or None,
                "family_name": normalise(rec.get("family_name") or "") or None,
                "birth_date": born.isoformat() if born else None,
                "birth_year": born.year if born else None,
                "birth_month": born.month if born else None,
                "birth_day": born.day if born else None,
                "gender_identity": rec.get("gender_identity"),
                "country_of_birth": rec.get("country_of_birth"),
            }
        )
    return out


def name_comparison(column: str) -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column, term_frequency_adjustments=True),
            cll.JaroWinklerLevel(column, 0.92),
            cll.JaroWinklerLevel(column, 0.88),
            cll.DamerauLevenshteinLevel(column, 2),
            cll.JaroWinklerLevel(column, 0.7),
            cll.ElseLevel(),
        ],
    )


def birth_date_comparison() -> cl.CustomComparison:
    # splink's DateOfBirthComparison has no level for day and month swapped (a frequent error
    # between DD/MM and MM/DD forms): the same levels, with that one added after exact.
    swapped = (
        "birth_year_l = birth_year_r and birth_month_l = birth_day_r "
        "and birth_day_l = birth_month_r"
    )
    return cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.NullLevel("birth_date"),
            cll.ExactMatchLevel("birth_date", term_frequency_adjustments=True),
            cll.CustomLevel(swapped, label_for_charts="Day and month swapped"),
            cll.LevenshteinLevel("birth_date", 1),
            cll.AbsoluteDateDifferenceLevel(
                "birth_date", input_is_string=True, threshold=1, metric="month"
            ),
            cll.AbsoluteDateDifferenceLevel(
                "birth_date", input_is_string=True, threshold=1, metric="year"
            ),
            cll.ElseLevel(),
        ],
    )


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            name_comparison("given_name"),
            name_comparison("family_name"),
            birth_date_comparison(),
            cl.ExactMatch("gender_identity"),
            cl.ExactMatch("country_of_birth"),
        ],
        blocking_rules_to_generate_predictions=BLOCKING,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def link_splink(records: list[dict], threshold: float = THRESHOLD) -> list[int]:
    """Cluster labels aligned with the records (records with equal labels: one person)."""
    db_api = DuckDBAPI()
    table = db_api.register(rows(records), dataset_display_name="records")
    linker = Linker(table, settings(), log_level=logging.WARNING)
    training = linker.training
    training.estimate_probability_two_random_records_match(
        DETERMINISTIC, recall=DETERMINISTIC_RECALL
    )
    # u from random pairs, all but certainly of different people; a fixed seed for repeatable
    # figures. 1e7 pairs is splink's advice for a model being tried out; more only adds time.
    training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    # m by EM, twice: blocked on names it learns the date, sex and country levels; blocked on
    # the date of birth it learns the name levels. Each pass capped at 2e6 pairs.
    training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "family_name"), max_pairs=2e6
    )
    training.estimate_parameters_using_expectation_maximisation(
        block_on("birth_date"), max_pairs=2e6
    )
    predictions = linker.inference.predict(threshold_match_probability=threshold / 2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    found = clusters.query_sql("select unique_id, cluster_id from {this}").as_dict()
    ids: dict[str, int] = {}
    labels = [0] * len(records)
    for unique_id, cluster_id in zip(found["unique_id"], found["cluster_id"], strict=True):
        labels[int(unique_id)] = ids.setdefault(str(cluster_id), len(ids))
    return labels


def main() -> None:
    from bench_linkage import NAMES, name_statistics, population, scores, timed

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    parser.add_argument(
        "--names",
        choices=NAMES,
        default=NAMES[0],
        help="bench_linkage's name distribution (heavy: every figure before --names)",
    )
    args = parser.parse_args()
    records, truth = population(args.records, args.seed, args.names)
    print(f"{len(records):,} records from {len(set(truth)):,} people; names {args.names}")
    print("\n".join(name_statistics(records, truth)), flush=True)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    labels, seconds, rss, own = timed(link_splink, records, args.threshold)
    s = scores(labels, truth)
    print(f"splink {splink_version()} + duckdb, match probability >= {args.threshold}")
    for name in ("precision", "recall", "f1"):
        print(f"{name:28}{s[name]:12.4f}")
    print(f"{'count error':28}{s['count_error']:+12.2%}")
    print(f"{'persons found':28}{s['persons']:12,}   (true {s['true_persons']:,})")
    print(f"{'seconds':28}{seconds:12.1f}")
    print(f"{'peak RSS MiB (process)':28}{rss:12.0f}")
    print(f"{'  of which splink itself':28}{own:12.0f}   (parent {base:.0f})")
    print(f"(wall time with the fork {time.perf_counter() - start:.1f} s)")


def splink_version() -> str:
    import splink

    return splink.__version__


if __name__ == "__main__":
    main()
