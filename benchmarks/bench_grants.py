"""Benchmark: program search and "eligible now" (ADR 25) at N programs, beside a baseline that
only loads the same rows (the floor: what any search must pay to read them).

Harbour filters programs' JSON eligibility lists in Python (SQLite cannot search inside JSON
lists); this measures what that costs over merely loading the rows.

  search     search_programs(province, population, deadline within 180 days)
  eligible   eligible_for(an organisation in Ontario)
  baseline   list(Program.objects.select_related("funder").filter(is_active=True))

    .venv/bin/python benchmarks/bench_grants.py --programs 5000

Prints p50/p95 per measure and the ratio to the baseline. See benchmarks/README.md.
"""

import argparse
import datetime as dt
import random
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--programs", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--database-url", default="", help="an EMPTY database (default SQLite)")
    return parser.parse_args(argv)


def configure(args: argparse.Namespace) -> Path:
    from benchenv import throwaway_harbour

    return throwaway_harbour(args.database_url, name="grants", HARBOUR_ALLOWED_HOSTS="testserver")


def seed(n: int) -> None:
    """N programs of 50 funders, written in bulk (the actions' checks are not what is measured)."""
    from harbour.directory.places import provinces
    from harbour.grants.models import Funder, FunderKind, Pillar, Population, Program

    rng = random.Random(7)
    codes = list(provinces())
    funders = Funder.objects.bulk_create(
        Funder(
            short_name=f"f-{i}",
            name_en=f"F{i}",
            name_fr=f"F{i}",
            kind=rng.choice(FunderKind.values),
        )
        for i in range(50)
    )
    today = dt.date.today()
    Program.objects.bulk_create(
        Program(
            funder=rng.choice(funders),
            code=f"p-{i}",
            name_en=f"Program {i}",
            name_fr=f"Programme {i}",
            pillars=rng.sample(Pillar.values, rng.randint(1, 2)),
            populations=rng.sample(Population.values, rng.randint(0, 2)),
            provinces=rng.sample(codes, rng.randint(0, 3)),
            org_types=rng.sample(
                ["ngo", "shelter", "survivor_led", "indigenous_led"], rng.randint(0, 2)
            ),
            amount_min=1000,
            amount_max=100_000,
            opens_on=today - dt.timedelta(days=300 + rng.randint(0, 100)),
            deadline=today + dt.timedelta(days=rng.randint(-200, 300)),
            recurrence=rng.choice(["once", "annual"]),
        )
        for i in range(n)
    )


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    args = parse_args()
    var_dir = configure(args)
    try:
        seed(args.programs)
        from harbour.grants import queries
        from harbour.grants.models import Program
        from harbour.orgs.models import Organisation

        org = Organisation(type="ngo", province="CA-ON", provinces_served=["CA-ON"])
        active = Program.objects.select_related("funder").filter(is_active=True)
        wanted = queries.ProgramFilter(province="CA-ON", population="youth", within_days=180)
        runs = {
            "baseline": timed(lambda: list(active.all()), args.repeat),
            "search": timed(lambda: queries.search_programs(active.all(), wanted), args.repeat),
            "eligible": timed(lambda: queries.eligible_for(org, active.all()), args.repeat),
        }
        base = statistics.median(runs["baseline"])
        print(f"{args.programs} programs, {args.repeat} runs each (ms)")
        for name, values in runs.items():
            p50 = statistics.median(values)
            p95 = sorted(values)[max(0, int(len(values) * 0.95) - 1)]
            print(f"  {name:9} p50 {p50:8.1f}  p95 {p95:8.1f}  ratio {p50 / base:5.2f}")
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
