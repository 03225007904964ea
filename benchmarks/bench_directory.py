"""Directory search and care-map queries at 100,000 services, beside raw SQL doing the same
filtering on the same database. Prints p50/p95 in milliseconds and the ratio Harbour / raw SQL.

    .venv/bin/python benchmarks/bench_directory.py                 # SQLite (a fresh temp file)
    HARBOUR_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_directory \
        .venv/bin/python benchmarks/bench_directory.py             # PostgreSQL (database is reset)

Options: --services N (default 100000), --queries N (default 200), --seed N.
"""

import argparse
import math
import os
import random
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
from harbour.directory import policy, queries  # noqa: E402
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


def raw_care_map(case: tuple[Place, list[str], queries.Profile]) -> None:
    """The same filtering as queries.care_map for the public audience and the same profile, in
    hand-written SQL: for each stage the nearest 60 eligible rows in a box growing 10 km →
    40 km → the stage's radius, 30 province-wide rows, then the candidates' closures and
    dated schedules."""
    place, _needs, profile = case
    k = math.cos(math.radians(place.latitude))
    eligible, extra = _raw_eligibility(profile)
    ids: set[Any] = set()
    with connection.cursor() as cursor:
        for stage in pathway().stages:
            for radius in [*(s for s in queries.STEPS_KM if s < stage.radius_km), stage.radius_km]:
                lat0, lat1, lon0, lon1 = bounding_box(place.latitude, place.longitude, radius)
                cursor.execute(
                    "SELECT service_id, service_at_location_id, terms, latitude, longitude, "  # noqa: S608
                    "capacity_available, languages FROM directory_searchentry WHERE stage = %s "
                    "AND status = 'active' AND confidentiality IN ('public', 'hidden') AND "
                    "latitude >= %s AND latitude <= %s AND longitude >= %s AND longitude <= %s"
                    + eligible
                    + " ORDER BY (latitude - %s) * (latitude - %s) + (longitude - %s) * %s * "
                    "(longitude - %s) * %s LIMIT 60",
                    [
                        stage.code,
                        lat0,
                        lat1,
                        lon0,
                        lon1,
                        *extra,
                        place.latitude,
                        place.latitude,
                        place.longitude,
                        k,
                        place.longitude,
                        k,
                    ],
                )
                rows = cursor.fetchall()
                near = [
                    r
                    for r in rows
                    if km_between(place.latitude, place.longitude, r[3], r[4]) <= radius
                ]
                if len(near) >= 60:
                    break
            ids.update(r[0] for r in near)
            cursor.execute(
                "SELECT service_id, service_at_location_id, terms, capacity_available, "  # noqa: S608
                "languages FROM directory_searchentry WHERE stage = %s AND status = 'active' "
                "AND confidentiality IN ('public', 'hidden') AND latitude IS NULL AND "
                "province IN (%s, 'CA')" + eligible + " ORDER BY capacity_available DESC "
                "LIMIT 30",
                [stage.code, place.province, *extra],
            )
            ids.update(r[0] for r in cursor.fetchall())
        marks = ",".join(["%s"] * len(ids)) or "NULL"
        cursor.execute(
            f"SELECT service_id FROM directory_closure WHERE service_id IN ({marks})",  # noqa: S608
            list(ids),
        )
        cursor.fetchall()
        cursor.execute(
            f"SELECT service_id, valid_from, valid_to FROM directory_schedule "  # noqa: S608
            f"WHERE service_id IN ({marks})",
            list(ids),
        )
        cursor.fetchall()


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

        print(f"database: {vendor}; reusing {Service.objects.count():,} services")
    else:
        _fresh(vendor, args.services, args.seed)
    run_queries(args.queries, args.seed)


def _fresh(vendor: str, services: int, seed: int) -> None:
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    with transaction.atomic():
        generate(services, seed=seed)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"database: {vendor}; generated {services:,} services in "
        f"{time.perf_counter() - start:.0f} s (CPU cores: {os.cpu_count()})"
    )


def run_queries(count: int, seed: int) -> None:
    if connection.vendor == "sqlite" and os.environ.get("BENCH_SQLITE_CACHE_MB"):
        # What a deployment would set in the connection's init_command (see the report).
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
