"""Benchmark: reading sealed values with per-survivor keys (ADR 36) beside the organisation-key
sealing it replaced, in the same run, on the same database.

Two organisations with the same N survivors and cases: A's sealed the old way (every value under
the organisation's data key: `hbr1`), B's the new way (each survivor's values under their own key,
kept in the key store outside the database: `hbr2`). Measured for each, one request or read at a
time, alternating A and B in rounds:

  case list      GET /api/v1/cases?page=P&page_size=50 (the list shows no sealed value)
  case page      GET /cases/<id>/ as a caseworker: the survivor's identity, the case and its
                 records opened (and the read audited)
  50 names cold  the sealed values of 50 survivors opened, survivor-key cache emptied first
                 (what a list page showing names, or an export, pays on first sight)
  50 names warm  the same, cache filled

    .venv/bin/python benchmarks/bench_sealing.py --survivors 2000
    .venv/bin/python benchmarks/bench_sealing.py --database-url postgres://.../empty_db

Prints p50/p95 per side and the ratio B/A. See benchmarks/README.md.
"""

import argparse
import os
import random
import secrets
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--survivors", type=int, default=2000, help="per organisation")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-round", type=int, default=20, help="measurements per side")
    parser.add_argument("--database-url", default="", help="an EMPTY database (default SQLite)")
    return parser.parse_args(argv)


def configure(args: argparse.Namespace) -> Path:
    from benchenv import throwaway_harbour

    return throwaway_harbour(
        args.database_url,
        name="sealing",
        HARBOUR_SECURE_COOKIES="false",
        HARBOUR_FAST_PASSWORD_HASHER="1",
        HARBOUR_ALLOWED_HOSTS="testserver",
        HARBOUR_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )


def seed(n: int) -> dict[str, Any]:
    """Org A (organisation key) and org B (survivor keys), n intakes each through the action."""
    from cases_seed import Intakes

    from harbour.accounts.actions import create_user, issue_token
    from harbour.audit.actions import SystemActor
    from harbour.cases.actions import start_intake
    from harbour.cases.models import Survivor
    from harbour.orgs import crypto
    from harbour.orgs.actions import create_organisation

    system, sides = SystemActor("benchmark"), {}
    for label in ("A", "B"):
        org = create_organisation(
            by=system, name_en=label, name_fr=label, short_name=f"bench-{label.lower()}",
            type="ngo", province="CA-ON", provinces_served=["CA-ON"],
        )  # fmt: skip
        user = create_user(
            by=system, org_id=org.pk, role="caseworker", email=f"{label}@example.org",
            full_name=label, password=secrets.token_urlsafe(24), must_change_password=False,
        )  # fmt: skip
        intakes, cases = Intakes(2026), []
        for _ in range(n):
            case, _new = start_intake(
                by=user, survivor_values=intakes.survivor(), case_values=intakes.case()
            )
            cases.append(case)
        if label == "A":  # as before ADR 36: the survivor's values under the organisation key
            for case in cases:
                survivor = case.survivor
                values = crypto.open_record(survivor)
                old = crypto.seal(org.pk, values, aad=crypto.record_aad(survivor))
                Survivor.objects.filter(pk=survivor.pk).update(sealed=old)
        sides[label] = {"org": org, "user": user, "token": issue_token(by=user, name="b")[1],
                        "cases": [c.pk for c in cases]}  # fmt: skip
    return sides


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def scenarios(side: dict[str, Any], rng: random.Random) -> dict[str, Callable[[], Any]]:
    from django.test import Client

    from harbour.cases.models import Survivor
    from harbour.orgs import crypto

    api = Client(HTTP_AUTHORIZATION=f"Bearer {side['token']}")
    web = Client()
    web.force_login(side["user"])
    pages = max(1, len(side["cases"]) // 50)
    survivors = list(Survivor.objects.filter(org=side["org"]).only("id", "org_id", "sealed"))

    def names() -> None:
        for survivor in rng.sample(survivors, min(50, len(survivors))):
            crypto.open_record(survivor)

    def cold_names() -> None:
        crypto._SUBJECT_CACHE.clear()
        names()

    return {
        "case list (API, 50 per page)": lambda: api.get(
            f"/api/v1/cases?page={rng.randint(1, pages)}&page_size=50"
        ),
        "case page (identity, audited)": lambda: web.get(f"/cases/{rng.choice(side['cases'])}/"),
        "50 survivors' names, cold cache": cold_names,
        "50 survivors' names, warm cache": names,
    }


def measure(sides: dict[str, Any], args: argparse.Namespace) -> dict[str, dict[str, list[float]]]:
    rng = random.Random(2026)
    runs = {label: scenarios(side, rng) for label, side in sides.items()}
    times: dict[str, dict[str, list[float]]] = {name: {"A": [], "B": []} for name in runs["A"]}
    for _round in range(args.rounds):
        for name in times:
            for label in ("A", "B"):
                for _ in range(args.per_round):
                    times[name][label].append(timed(runs[label][name]))
    return times


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    var_dir = configure(args)
    try:
        from django.db import connection

        started = time.perf_counter()
        sides = seed(args.survivors)
        seeded = time.perf_counter() - started
        times = measure(sides, args)
        print(
            f"sealed reads, organisation key (A, before ADR 36) vs survivor keys (B): "
            f"{connection.vendor}, {args.survivors} survivors per organisation (seeded in "
            f"{seeded:.0f} s through the intake action), {os.cpu_count()} CPUs, load average "
            f"{os.getloadavg()[0]:.1f}"
        )
        line = "{:<34} {:>9} {:>9} {:>9} {:>9} {:>8}"
        print(line.format("", "A p50 ms", "A p95 ms", "B p50 ms", "B p95 ms", "B/A p50"))
        for name, by_side in times.items():
            a, b = by_side["A"], by_side["B"]
            ratio = statistics.median(b) / statistics.median(a)
            cells = [f"{v:.2f}" for v in (p(a, 50), p(a, 95), p(b, 50), p(b, 95))]
            print(line.format(name, *cells, f"x{ratio:.2f}"))
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
