"""Directory search and care-map queries at 100,000 services, beside raw SQL doing the same
filtering on the same database. Prints p50/p95 in milliseconds and the ratio Harbour / raw SQL.

    .venv/bin/python benchmarks/bench_directory.py                 # SQLite (a fresh temp file)
    HARBOUR_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_directory \
        .venv/bin/python benchmarks/bench_directory.py             # PostgreSQL (database is reset)

Options: --services N (default 100000), --queries N (default 200), --seed N, and --reuse:
measure the data already in HARBOUR_VAR_DIR (SQLite) or HARBOUR_DATABASE_URL (PostgreSQL)
instead of generating it (about 10 minutes at 100,000 services); its schema is migrated first.
Generated data is VACUUMed and ANALYZEd on PostgreSQL (the state autovacuum reaches after a bulk
load; the index-only scans of the search index need the visibility map), ANALYZEd on SQLite.
"""

import argparse
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
_TMP = tempfile.mkdtemp(prefix="bench-directory-")
os.environ.setdefault("HARBOUR_SECRET_KEY", "benchmark-only-secret-key-0123456789abcdefghij")
os.environ.setdefault("HARBOUR_MASTER_KEY", "YmVuY2gtb25seS1tYXN0ZXIta2V5LTMyLWJ5dGVzISE")
os.environ.setdefault("HARBOUR_VAR_DIR", _TMP)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.makedirs(os.path.join(os.environ["HARBOUR_VAR_DIR"], "static"), exist_ok=True)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from benchmarks.directory_data import generate  # noqa: E402
from harbour.directory import nearby, policy, queries  # noqa: E402
from harbour.directory.pathway import pathway  # noqa: E402
from harbour.directory.places import Place, bounding_box, km_between, population_centres  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn: Callable[[Any], Any], inputs: list[Any]) -> list[float]:
    fn(inputs[0])  # warm caches (place tables, compiled queries)
    out = []
    for item in inputs:
        start = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - start) * 1000)
    return out


_ROW = (
    "stage, service_id, service_at_location_id, terms, latitude, longitude, province, remote, "
    "confidentiality, languages, capacity_available, dates"
)
_WHERE = "status = 'active' AND confidentiality IN ('public', 'hidden')"


def raw_care_map(case: tuple[Place, list[str], queries.Profile]) -> None:
    """The same filtering as queries.care_map for the public audience and the same profile, in
    hand-written SQL: per round one statement reading the rows whose ids the per-stage "nearest
    60 eligible rows in the box" subqueries (and, in the first round, the "30 province-wide
    rows with most room" subquery) pick, boxes growing from the same first box by the same rule
    until each stage has 60 rows in its circle or reaches its radius."""
    place, _needs, profile = case
    eligible, extra = _raw_eligibility(profile)
    radii = {s.code: s.radius_km for s in pathway().stages}
    current = {code: min(nearby.FIRST_BOX_KM, km) for code, km in radii.items()}
    area = _raw_area(place, list(radii), eligible, extra)
    with connection.cursor() as cursor:
        while current:
            parts, params = _raw_near_parts(place, current, eligible, extra)
            if area is not None:
                parts.append(area[0])
                params += area[1]
                area = None
            cursor.execute(
                f"SELECT {_ROW} FROM directory_searchentry WHERE id IN ("  # noqa: S608
                + " UNION ALL ".join(parts)
                + ")",
                params,
            )
            counts = dict.fromkeys(current, 0)
            for row in cursor.fetchall():
                lat, lon = row[4], row[5]
                if lat is not None and row[0] in counts:
                    inside = km_between(place.latitude, place.longitude, lat, lon)
                    counts[row[0]] += inside <= current[row[0]]
            for code, radius in list(current.items()):
                if counts[code] >= queries.NEAR_CANDIDATES or radius >= radii[code]:
                    del current[code]
                else:
                    current[code] = min(
                        radii[code], nearby.wider(radius, counts[code], queries.NEAR_CANDIDATES)
                    )


def _raw_near_parts(
    place: Place, radii: dict[str, float], eligible: str, extra: list[Any]
) -> tuple[list[str], list[Any]]:
    k = math.cos(math.radians(place.latitude))
    parts, params = [], []
    for n, (code, km) in enumerate(radii.items()):
        lat0, lat1, lon0, lon1 = bounding_box(place.latitude, place.longitude, km)
        parts.append(
            f"SELECT * FROM (SELECT id FROM directory_searchentry WHERE stage = %s AND {_WHERE} "  # noqa: S608
            "AND latitude >= %s AND latitude <= %s AND longitude >= %s AND longitude <= %s"
            + eligible
            + " ORDER BY (latitude - %s) * (latitude - %s) + (longitude - %s) * %s * "
            f"(longitude - %s) * %s, id LIMIT {queries.NEAR_CANDIDATES}) AS near_{n}"
        )
        params += [code, lat0, lat1, lon0, lon1, *extra]
        params += [place.latitude, place.latitude, place.longitude, k, place.longitude, k]
    return parts, params


def _raw_area(
    place: Place, codes: list[str], eligible: str, extra: list[Any]
) -> tuple[str, list[Any]]:
    marks = ", ".join(["%s"] * len(codes))
    sql = (
        "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY stage ORDER BY "  # noqa: S608
        "capacity_available DESC NULLS LAST, id) AS r FROM directory_searchentry "
        f"WHERE stage IN ({marks}) AND {_WHERE} AND latitude IS NULL AND province IN (%s, 'CA')"
        + eligible
        + f") AS area WHERE r <= {queries.AREA_CANDIDATES}"
    )
    return sql, [*codes, place.province, *extra]


def _raw_eligibility(profile: queries.Profile) -> tuple[str, list[Any]]:
    sql, params = "", []
    if profile.age is not None:
        sql += (
            " AND (minimum_age IS NULL OR minimum_age <= %s)"
            " AND (maximum_age IS NULL OR maximum_age >= %s)"
        )
        params += [profile.age, profile.age]
    if profile.gender:
        sql += " AND (genders = '' OR genders LIKE %s)"
        params.append(f"% {profile.gender} %")
    if profile.addiction:
        sql += " AND (addiction_accepted IS NULL OR addiction_accepted = %s)"
        params.append(True)
    return sql, params


def raw_search(args: tuple[Place, str]) -> None:
    place, word = args
    lat0, lat1, lon0, lon1 = bounding_box(place.latitude, place.longitude, 50)
    with connection.cursor() as cursor:
        where = (
            "stage = '*' AND status <> 'defunct' AND confidentiality IN ('public', 'hidden')"
            " AND text LIKE %s AND ((latitude >= %s AND latitude <= %s AND longitude >= %s"
            " AND longitude <= %s) OR (latitude IS NULL AND province IN (%s, 'CA')))"
        )
        params = [f"%{word}%", lat0, lat1, lon0, lon1, place.province]
        cursor.execute(
            f"SELECT COUNT(DISTINCT service_id) FROM directory_searchentry "  # noqa: S608
            f"WHERE {where}",
            params,
        )
        cursor.fetchall()
        cursor.execute(
            f"SELECT service_id, latitude, longitude FROM directory_searchentry "  # noqa: S608
            f"WHERE {where} ORDER BY latitude LIMIT 80",
            params,
        )
        cursor.fetchall()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the data already in HARBOUR_VAR_DIR / HARBOUR_DATABASE_URL",
    )
    args = parser.parse_args()
    vendor = connection.vendor
    if args.reuse:
        from harbour.directory.models import Service

        call_command("migrate", verbosity=0)
        _analyze(vendor)
        print(f"database: {vendor}; reusing {Service.objects.count():,} services")
    else:
        _fresh(vendor, args.services, args.seed)
    run_queries(args.queries, args.seed)
    if os.environ["HARBOUR_VAR_DIR"] == _TMP:
        shutil.rmtree(_TMP, ignore_errors=True)  # the throwaway SQLite file and static dir


def _fresh(vendor: str, services: int, seed: int) -> None:
    if vendor == "postgresql":
        _refuse_a_real_database()
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    with transaction.atomic():
        generate(services, seed=seed)
    _analyze(vendor)
    print(
        f"database: {vendor}; generated {services:,} services in "
        f"{time.perf_counter() - start:.0f} s (CPU cores: {os.cpu_count()})"
    )


def _refuse_a_real_database() -> None:
    """The PostgreSQL database is reset: never one that holds cases (this benchmark makes none)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('public.cases_case') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute("SELECT EXISTS (SELECT 1 FROM cases_case)")
            if cursor.fetchone()[0]:
                sys.exit("refusing to reset a database that holds cases: give an empty one")


def _analyze(vendor: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vendor == "postgresql" else "ANALYZE")


def run_queries(count: int, seed: int) -> None:
    if connection.vendor == "sqlite" and os.environ.get("BENCH_SQLITE_CACHE_MB"):
        # Optional: what a deployment could set in the connection's init_command. The figures in
        # benchmarks/README.md were measured without it.
        megabytes = int(os.environ["BENCH_SQLITE_CACHE_MB"])
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size=-{megabytes * 1024}")
            cursor.execute(f"PRAGMA mmap_size={megabytes * 1024 * 1024}")
    rng = random.Random(seed)
    centres = population_centres()
    weights = [c.population for c in centres]
    picks = rng.choices(centres, weights, k=count)
    places = [Place("city", c.name, c.province, c.latitude, c.longitude) for c in picks]
    aud = policy.PUBLIC_AUDIENCE
    needs = [n for n, m in pathway().needs.items() if m.stage]
    cases = [
        (
            p,
            rng.sample(needs, 3),
            queries.Profile(
                age=rng.randint(16, 60),
                gender=rng.choice(["woman", "man", ""]),
                addiction=rng.random() < 0.3,
                language=rng.choice(["", "spa", "fra"]),
            ),
        )
        for p in places
    ]
    words = ["shelter", "legal", "clinic", "support", "house"]
    searches = [(p, rng.choice(words)) for p in places]
    results = {
        "care map (Harbour)": timed(lambda c: queries.care_map(aud, c[0], c[1], c[2]), cases),
        "care map (raw SQL)": timed(raw_care_map, cases),
        "search (Harbour)": timed(
            lambda s: queries.search(aud, text=s[1], place=s[0], radius_km=50), searches
        ),
        "search (raw SQL)": timed(raw_search, searches),
    }
    print(f"{'query':<22}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}")
    for name, values in results.items():
        print(
            f"{name:<22}{percentile(values, 0.5):>10.1f}{percentile(values, 0.95):>10.1f}"
            f"{statistics.fmean(values):>10.1f}"
        )
    for what in ("care map", "search"):
        ours, raw = results[f"{what} (Harbour)"], results[f"{what} (raw SQL)"]
        print(
            f"ratio {what}: p50 {percentile(ours, 0.5) / percentile(raw, 0.5):.2f}x, "
            f"p95 {percentile(ours, 0.95) / percentile(raw, 0.95):.2f}x (Harbour / raw SQL)"
        )
    p95 = percentile(results["care map (Harbour)"], 0.95)
    print(f"target care map p95 < 100 ms: {'met' if p95 < 100 else 'NOT met'} ({p95:.1f} ms)")


if __name__ == "__main__":
    main()
