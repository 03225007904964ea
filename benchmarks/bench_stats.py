"""Benchmark: the standard statistics tables with disclosure control and with differential
privacy, beside the raw SQL GROUP BY that computes the same counts, on the same database.

N persons (one case each, so persons and cases coincide and both sides count the same thing) of
an organisation bound by the national statistics agreement are bulk-inserted (not measured).
Then, for the standard set of tables (every catalogue variable one-way, plus five two-way
cross-tabulations):

  baseline   one raw SQL GROUP BY per table (multi-code fields expanded with json_each /
             jsonb_array_elements_text), filtered to the countable cases, counting distinct persons
  ours       the eligibility rule, one read of one row per person, every table counted in Python,
             then protected: small-cell suppression with complementary suppression (a), or
             discrete Laplace noise at epsilon = 1 per table (b)

Both sides' exact counts are compared cell by cell (cells "not recorded" aside: SQL drops a row
with no code where Harbour counts it as "not recorded"). Also printed: the DP error at epsilon = 1
(95th percentile of |noise|, reference: discrete Laplace at epsilon = 1 gives +/-3).

    .venv/bin/python benchmarks/bench_stats.py --persons 100000
    .venv/bin/python benchmarks/bench_stats.py --database-url postgres://.../empty_db
"""

import argparse
import datetime as dt
import os
import random
import secrets
import shutil
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TWO_WAY = (
    ("province", "exploitation_type"),
    ("exploitation_type", "age_band"),
    ("recruitment_method", "control_method"),
    ("year", "province"),
    ("gender", "exploitation_type"),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per side (median kept)")
    parser.add_argument("--database-url", default="", help="an EMPTY database (default SQLite)")
    return parser.parse_args(argv)


def configure(args: argparse.Namespace) -> Path:
    from benchenv import throwaway_harbour

    return throwaway_harbour(args.database_url, name="stats", every_org=True)  # an operator's run


# --- seeding (not measured) --------------------------------------------------------------------


def seed(n: int) -> None:
    from django.db import transaction

    from harbour.accounts.actions import create_user
    from harbour.audit.actions import SystemActor
    from harbour.cases.models import Case, Survivor
    from harbour.orgs.actions import create_organisation
    from harbour.sharing import actions as sharing

    system = SystemActor("benchmark")
    org = create_organisation(
        by=system, name_en="Bench", name_fr="Bench", short_name="bench", type="ngo",
        province="CA-ON", provinces_served=["CA-ON"],
    )  # fmt: skip
    national = create_organisation(
        by=system, name_en="National", name_fr="National", short_name="national",
        type="national_coordinating_body", province="CA-ON", provinces_served=["CA-ON"],
    )  # fmt: skip
    admin = create_user(
        by=system, org_id=org.pk, role="org_admin", email="a@example.org", full_name="A",
        password=secrets.token_urlsafe(24),
    )  # fmt: skip
    sysadmin = create_user(
        by=system, org_id=national.pk, role="system_admin", email="s@example.org",
        full_name="S", password=secrets.token_urlsafe(24),
    )  # fmt: skip
    protocol = sharing.create_national_protocol(
        by=sysadmin, title="Statistics", categories=["case_summary"], purposes=["statistics"],
        valid_from=dt.date(2020, 1, 1),
    )  # fmt: skip
    sharing.adopt_national_protocol(by=admin, agreement=protocol)
    codes = _codes()
    rng = random.Random(2026)
    today = dt.date.today()
    for start in range(0, n, 5000):
        size = min(5000, n - start)
        survivors = [
            Survivor(
                org=org,
                reference=f"S-{start + i:08d}",
                standard_version="1.0",
                gender_identity=rng.choice(codes["gender_identity"]),
                estimated_age=rng.choice([None, *range(14, 60)]),
                immigration_status=rng.choice(codes["immigration_status"]),
            )
            for i in range(size)
        ]
        with transaction.atomic():
            Survivor.objects.bulk_create(survivors, batch_size=1000)
            Case.objects.bulk_create(
                [_case(org, s, start + i, codes, rng, today) for i, s in enumerate(survivors)],
                batch_size=1000,
            )


def _codes() -> dict[str, list[str]]:
    from harbour.standard.dictionary import current

    out = {}
    for entity, field in (
        ("survivor", "gender_identity"), ("survivor", "immigration_status"),
        ("case", "intake_province"), ("case", "intake_method"), ("case", "trafficking_status"),
        ("case", "exploitation_types"), ("case", "forced_labour_industries"),
        ("case", "recruitment_methods"), ("case", "control_methods"),
        ("case", "relationship_to_trafficker"),
    ):  # fmt: skip
        codelist = current().entity(entity).field(field).codelist
        assert codelist is not None
        out[field] = [c.code for c in codelist.codes]
    return out


def _case(org: Any, survivor: Any, i: int, codes: dict, rng: random.Random, today: Any) -> Any:
    from harbour.cases.models import Case

    def some(field: str) -> list[str]:
        return sorted(rng.sample(codes[field], rng.randint(1, 4)))

    return Case(
        org=org, survivor=survivor, reference=f"C-{i:08d}", standard_version="1.0",
        intake_date=today - dt.timedelta(days=rng.randint(0, 5 * 365)),
        intake_province=rng.choice(codes["intake_province"]),
        intake_method=rng.choice(codes["intake_method"]),
        trafficking_status=rng.choice(codes["trafficking_status"]),
        exploitation_types=some("exploitation_types"),
        forced_labour_industries=some("forced_labour_industries"),
        recruitment_methods=some("recruitment_methods"),
        control_methods=some("control_methods"),
        relationship_to_trafficker=some("relationship_to_trafficker"),
    )  # fmt: skip


# --- the two sides -----------------------------------------------------------------------------


def specs() -> list[tuple[str, str]]:
    from harbour.stats.catalogue import VARIABLES

    # Needs served, referral outcomes and the immigration variables (computed from the
    # immigration timeline as of the release, ADR 23) come from other tables, not seeded here.
    derived = {
        "need_served", "referral_outcome", "immigration_status", "trp_stage", "immigration_path",
    }  # fmt: skip
    return [(v, "") for v in VARIABLES if v not in derived] + list(TWO_WAY)


def ours(method: str) -> dict[tuple[str, str], Any]:
    from decimal import Decimal

    from harbour.stats import queries, tables

    people, linked = queries.person_rows(queries.statistics_cases())
    out = {}
    for row, col in specs():
        exact = tables.count(tables.Spec(row, col), people, capped=method == "dp")
        out[(row, col)] = (
            exact
            if method == "exact"
            else tables.protect(
                exact, method, epsilon=Decimal(1), records_per_person=1 if linked else 2
            )
        )
    return out


def _sql_expr(var: str, vendor: str) -> tuple[str, str]:
    """(FROM-clause addition, expression) giving the variable's code for each row."""
    from harbour.stats.catalogue import VARIABLES

    v = VARIABLES[var]
    if var == "year":
        year = (
            "strftime('%%Y', c.intake_date)"
            if vendor == "sqlite"
            else ("EXTRACT(YEAR FROM c.intake_date)::int::text")
        )
        return "", year
    if var == "age_band":
        return "", (
            "CASE WHEN s.estimated_age IS NULL THEN 'unknown' WHEN s.estimated_age < 18 THEN "
            "'under_18' WHEN s.estimated_age < 25 THEN '18_24' WHEN s.estimated_age < 35 THEN "
            "'25_34' WHEN s.estimated_age < 45 THEN '35_44' ELSE '45_plus' END"
        )
    column = v.column.replace("survivor__", "s.") if "survivor__" in v.column else f"c.{v.column}"
    if not v.multi:
        return "", f"COALESCE({column}, 'unknown')"
    alias = f"j_{var}"
    if vendor == "sqlite":
        return f", json_each({column}) {alias}", f"{alias}.value"
    return f", jsonb_array_elements_text({column}) {alias}(value)", f"{alias}.value"


def baseline() -> dict[tuple[str, str], Counter]:
    from django.db import connection

    from harbour.stats import queries

    orgs = [str(o).replace("-", "") if connection.vendor == "sqlite" else str(o)
            for o in queries.statistics_orgs(dt.date.today())]  # fmt: skip
    out = {}
    with connection.cursor() as cursor:
        for row, col in specs():
            from_r, expr_r = _sql_expr(row, connection.vendor)
            from_c, expr_c = _sql_expr(col, connection.vendor) if col else ("", "'all'")
            placeholders = ", ".join(["%s"] * len(orgs))
            # Only the catalogue's own column names are interpolated; the org ids are parameters.
            sql = (
                f"SELECT {expr_r}, {expr_c}, COUNT(DISTINCT c.survivor_id) "  # noqa: S608
                f"FROM cases_case c JOIN cases_survivor s ON s.id = c.survivor_id{from_r}{from_c} "
                f"WHERE c.org_id IN ({placeholders}) AND s.erased_at IS NULL GROUP BY 1, 2"
            )
            cursor.execute(sql, orgs)
            out[(row, col)] = Counter({(str(r), str(c)): n for r, c, n in cursor.fetchall()})
    return out


def timed(fn: Any, repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def compare(mine: dict, theirs: dict) -> int:
    """Cells that differ between the two exact computations (expected: 0)."""
    differ = 0
    for key, table in mine.items():
        for (r, c), value in table.cells.items():
            if "unknown" in (r, c):
                continue
            c = "all" if c == "all" else c
            differ += int((value or 0) != theirs[key].get((r, c), 0))
    return differ


def dp_error() -> tuple[int, int]:
    from fractions import Fraction

    from harbour.stats.core import dp

    noise = [abs(dp.sample_discrete_laplace(Fraction(1))) for _ in range(20_000)]
    noise.sort()
    return noise[int(0.95 * len(noise))], dp.error_bound(Fraction(1))


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    var_dir = configure(args)
    try:
        from django.db import connection

        started = time.perf_counter()
        seed(args.persons)
        seeded = time.perf_counter() - started
        base_t, base = timed(baseline, args.repeat)
        exact_t, exact = timed(lambda: ours("exact"), args.repeat)
        supp_t, _ = timed(lambda: ours("suppression"), args.repeat)
        dp_t, _ = timed(lambda: ours("dp"), args.repeat)
        p95, bound = dp_error()
        print(
            f"standard tables ({len(specs())}): {connection.vendor}, {args.persons} persons "
            f"(seeded in {seeded:.0f} s), {os.cpu_count()} CPUs, load average "
            f"{os.getloadavg()[0]:.1f}, median of {args.repeat}"
        )
        print(f"{'raw SQL GROUP BY (baseline)':<44} {base_t:8.2f} s")
        for label, t in (
            ("Harbour, exact counts", exact_t),
            ("Harbour, with suppression", supp_t),
            ("Harbour, with DP (epsilon = 1 per table)", dp_t),
        ):
            print(f"{label:<44} {t:8.2f} s   x{t / base_t:.2f} of the baseline")
        print(f"cells differing between the exact sides: {compare(exact, base)}")
        print(f"DP error at epsilon = 1: 95% of |noise| <= {p95} (sampled), {bound} (computed)")
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
