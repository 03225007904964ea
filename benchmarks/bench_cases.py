"""Benchmark: case creation through the API, and case listing, at N cases in one organisation.

Each measurement runs beside a bare Django view on the same database, the same settings and the
same middleware, driven the same way (Django's test Client, in process, one request at a time):

  create  POST /api/v1/cases (bearer token, validation against the dictionary, envelope
          encryption of identifiers, blind index, idempotency, two audit events)
          vs. a bare view: json.loads + Survivor.objects.create + Case.objects.create of the
          same body's plain columns in one transaction (no auth, checks, encryption or audit).
  list    GET /api/v1/cases?page=P&page_size=50[&status=active] (token, policy, count + page)
          vs. a bare view: the same filter, order, count and page size as a values() query.

The ratio (ours / baseline) is the price of what Harbour guarantees on top of plain Django.

    .venv/bin/python benchmarks/bench_cases.py --cases 100000
    .venv/bin/python benchmarks/bench_cases.py --cases 100000 \
        --database-url postgres://postgres@127.0.0.1:5432/harbour_bench

See benchmarks/README.md for how the data is seeded and how to read the output.
"""

import argparse
import base64
import json
import os
import platform
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import types
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cases_seed import (
    Intakes,
    Seeded,
    make_org_and_caseworker,
    reference,
    refresh_statistics,
    seed_in_bulk,
    seed_through_actions,
)

ROOT = Path(__file__).resolve().parent.parent
PAGE_SIZE = 50


# --- configuration: before Django is imported ----------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases to seed (default 100000)")
    parser.add_argument(
        "--database-url",
        default="",
        help="an EMPTY database to use (default: SQLite in a throwaway directory)",
    )
    parser.add_argument("--creates", type=int, default=400, help="measured creations per side")
    parser.add_argument("--lists", type=int, default=300, help="measured list requests per side")
    parser.add_argument(
        "--through-actions",
        type=int,
        default=1000,
        help="cases seeded one by one through the real intake action (the rest in bulk)",
    )
    parser.add_argument("--seed", type=int, default=2026, help="random seed for generated data")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway directory")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    return parser.parse_args(argv)


def configure(args: argparse.Namespace) -> Path:
    """Throwaway secrets and var dir; settings are read from the environment as in production."""
    var_dir = Path(tempfile.mkdtemp(prefix="harbour-bench-"))
    (var_dir / "static").mkdir()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "HARBOUR_VAR_DIR": str(var_dir),
            "HARBOUR_DATABASE_URL": args.database_url,
            "HARBOUR_SECRET_KEY": secrets.token_urlsafe(48),
            "HARBOUR_MASTER_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="),
            "HARBOUR_DEBUG": "false",
            "HARBOUR_SECURE_COOKIES": "false",
            "HARBOUR_FAST_PASSWORD_HASHER": "1",
            "HARBOUR_ALLOWED_HOSTS": "testserver",
            "HARBOUR_LOG_LEVEL": "ERROR",
            "HARBOUR_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return var_dir


# --- the baseline: bare Django views, registered only here ------------------------------------


@dataclass
class Target:
    """Who the bare views write for and read from (they have no authentication to tell them)."""

    org_id: Any = None
    user_id: Any = None
    version: str = ""


TARGET = Target()


def bare_urlconf() -> types.ModuleType:
    """The project's URLs plus the two bare views, as a module Django can use as ROOT_URLCONF."""
    from django.urls import include, path

    module = types.ModuleType("bench_cases_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        path("bare/cases/create", bare_create),
        path("bare/cases", bare_list),
        path("", include("config.urls")),
    ]
    sys.modules[module.__name__] = module
    return module


def _columns(model: Any, values: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in model._meta.concrete_fields}
    return {k: v for k, v in values.items() if k in names}


def bare_create(request: Any) -> Any:
    from django.db import transaction
    from django.http import JsonResponse

    from harbour.cases.models import Case, Survivor

    body = json.loads(request.body)
    with transaction.atomic():
        survivor = Survivor.objects.create(
            org_id=TARGET.org_id,
            reference=reference("S-"),
            standard_version=TARGET.version,
            **_columns(Survivor, body.get("survivor", {})),
        )
        case = Case.objects.create(
            org_id=TARGET.org_id,
            survivor=survivor,
            reference=reference("C-"),
            standard_version=TARGET.version,
            owner_id=TARGET.user_id,
            **_columns(Case, body["case"]),
        )
    return JsonResponse({"id": str(case.pk), "reference": case.reference}, status=201)


def bare_list(request: Any) -> Any:
    from django.http import JsonResponse

    from harbour.cases.models import Case

    page, size = int(request.GET.get("page", 1)), int(request.GET.get("page_size", PAGE_SIZE))
    cases = Case.objects.filter(org_id=TARGET.org_id)
    if request.GET.get("status"):
        cases = cases.filter(status=request.GET["status"])
    columns = [f.attname for f in Case._meta.concrete_fields if f.name != "sealed"]
    rows = cases.order_by("-intake_date", "-created_at").values(*columns, "survivor__reference")
    return JsonResponse(
        {
            "count": cases.count(),
            "page": page,
            "page_size": size,
            "results": list(rows[(page - 1) * size : page * size]),
        }
    )


bare_create.csrf_exempt = True  # type: ignore[attr-defined]


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class Side:
    name: str
    latencies: list[float] = field(default_factory=list)  # seconds, one per request
    wall: float = 0.0  # seconds spent in the measured requests, back to back
    queries: int = 0  # SQL statements one request runs (counted once, outside the timing)

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.wall

    def summary(self) -> dict[str, float]:
        return {
            "requests": len(self.latencies),
            "req_per_s": round(self.throughput, 1),
            "p50_ms": round(self.p(0.50), 2),
            "p95_ms": round(self.p(0.95), 2),
            "mean_ms": round(statistics.fmean(self.latencies) * 1000, 2),
            "queries_per_request": self.queries,
        }


@dataclass
class Scenario:
    title: str
    ours: Side
    bare: Side

    def ratios(self) -> dict[str, float]:
        return {
            "p50": self.ours.p(0.50) / self.bare.p(0.50),
            "p95": self.ours.p(0.95) / self.bare.p(0.95),
            "throughput": self.ours.throughput / self.bare.throughput,
        }


Request = Callable[[int], Any]


def run(title: str, ours: Request, bare: Request, count: int, rounds: int = 10) -> Scenario:
    """Alternate the two sides in rounds so drift (a growing table, a warming cache) hits both."""
    scenario = Scenario(title, Side("Harbour"), Side("bare Django view"))
    for i in range(4):  # warm-up, not counted
        ours(i), bare(i)
    scenario.ours.queries, scenario.bare.queries = _queries(ours, 4), _queries(bare, 4)
    per_round = max(1, count // rounds)
    done = 0
    while done < count:
        step = min(per_round, count - done)
        for side, call in ((scenario.ours, ours), (scenario.bare, bare)):
            _timed(side, call, range(done, done + step))
        done += step
    return scenario


def _queries(call: Request, i: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call(i)
    return len(captured.captured_queries)


def _timed(side: Side, call: Request, indexes: range) -> None:
    for i in indexes:
        started = time.perf_counter()
        call(i)
        elapsed = time.perf_counter() - started
        side.latencies.append(elapsed)
        side.wall += elapsed


def _expect(response: Any, status: int) -> Any:
    if response.status_code != status:
        raise SystemExit(f"unexpected HTTP {response.status_code}: {response.content[:300]!r}")
    return response


def create_scenario(seeded: Seeded, intakes: Intakes, count: int) -> Scenario:
    from django.test import Client

    api = Client(HTTP_AUTHORIZATION=f"Bearer {seeded.token}")
    bare = Client()

    def body() -> str:
        return json.dumps({"survivor": intakes.survivor(), "case": intakes.case()})

    def ours(i: int) -> None:
        _expect(
            api.post(
                "/api/v1/cases",
                body(),
                content_type="application/json",
                headers={"Idempotency-Key": secrets.token_hex(16)},
            ),
            201,
        )

    def baseline(i: int) -> None:
        _expect(bare.post("/bare/cases/create", body(), content_type="application/json"), 201)

    return run("create a case: POST /api/v1/cases", ours, baseline, count)


def list_scenario(seeded: Seeded, count: int, *, deep: bool, seed: int) -> Scenario:
    from django.test import Client

    from harbour.cases.models import Case

    api = Client(HTTP_AUTHORIZATION=f"Bearer {seeded.token}")
    bare = Client()
    query = "&status=active" if deep else ""
    active = Case.objects.filter(org_id=seeded.org.pk, status="active").count()
    last_page = max(1, -(-active // PAGE_SIZE))
    rng = random.Random(seed)
    pages = [rng.randint(1, last_page) if deep else 1 for _ in range(count + 5)]

    def ours(i: int) -> None:
        _expect(api.get(f"/api/v1/cases?page={pages[i]}&page_size={PAGE_SIZE}{query}"), 200)

    def baseline(i: int) -> None:
        _expect(bare.get(f"/bare/cases?page={pages[i]}&page_size={PAGE_SIZE}{query}"), 200)

    title = (
        f"list cases, status=active, random page of {last_page}"
        if deep
        else "list cases, first page"
    )
    return run(f"{title} (page_size={PAGE_SIZE})", ours, baseline, count)


# --- report ------------------------------------------------------------------------------------


def environment(args: argparse.Namespace) -> dict[str, Any]:
    import django
    from django.db import connection

    from harbour.cases.models import Case

    with connection.cursor() as cursor:
        cursor.execute(
            "select sqlite_version()" if connection.vendor == "sqlite" else "show server_version"
        )
        db_version = cursor.fetchone()[0]
    return {
        "database": f"{connection.vendor} {db_version}",
        "cases_in_org": Case.objects.filter(org_id=TARGET.org_id).count(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}",
        "client": "django.test.Client, in process, sequential",
        "args": {k: str(v) for k, v in vars(args).items()},
    }


def print_report(env: dict[str, Any], seeded: Seeded, scenarios: list[Scenario]) -> None:
    print(
        f"\nHarbour case benchmarks · {env['database']} · Python {env['python']} · "
        f"Django {env['django']} · {env['machine']}"
    )
    print(f"cases in the organisation: {env['cases_in_org']:,} · client: {env['client']}")
    if seeded.through_actions:
        rate = seeded.through_actions / seeded.actions_seconds
        print(
            f"seeded {seeded.through_actions:,} through cases.actions.start_intake in "
            f"{seeded.actions_seconds:.1f} s ({rate:.0f}/s) and {seeded.bulk:,} in bulk in "
            f"{seeded.bulk_seconds:.1f} s ({seeded.bulk / max(seeded.bulk_seconds, 1e-9):.0f}/s)"
        )
    header = (
        f"  {'':<18}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}"
        f"{'queries':>9}"
    )
    for s in scenarios:
        print(f"\n{s.title}\n{header}")
        for side in (s.ours, s.bare):
            m = side.summary()
            print(
                f"  {side.name:<18}{m['requests']:>9}{m['req_per_s']:>9}{m['p50_ms']:>9}"
                f"{m['p95_ms']:>9}{m['mean_ms']:>9}{m['queries_per_request']:>9}"
            )
        r = s.ratios()
        print(
            f"  ratio ours/baseline: p50 ×{r['p50']:.2f}, p95 ×{r['p95']:.2f}, "
            f"throughput ×{r['throughput']:.2f}"
        )


def results_json(env: dict[str, Any], seeded: Seeded, scenarios: list[Scenario]) -> str:
    seeding = {k: v for k, v in asdict(seeded).items() if k not in {"org", "user", "token"}}
    return json.dumps(
        {
            "environment": env,
            "seeding": seeding,
            "scenarios": [
                {
                    "title": s.title,
                    "harbour": s.ours.summary(),
                    "baseline": s.bare.summary(),
                    "ratio_ours_over_baseline": s.ratios(),
                }
                for s in scenarios
            ],
        },
        indent=2,
        default=str,
    )


# --- main --------------------------------------------------------------------------------------


def prepare_database() -> None:
    from django.conf import settings
    from django.core.management import call_command

    from harbour.cases.models import Case

    call_command("migrate", verbosity=0, interactive=False)
    if Case.objects.exists():
        raise SystemExit("The database already holds cases: give --database-url an empty one.")
    settings.ROOT_URLCONF = bare_urlconf()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    var_dir = configure(args)
    try:
        prepare_database()
        from harbour.standard.dictionary import current

        seeded = make_org_and_caseworker()
        TARGET.org_id, TARGET.user_id = seeded.org.pk, seeded.user.pk
        TARGET.version = str(current().latest)
        intakes = Intakes(args.seed)
        through = min(args.through_actions, args.cases)
        print(
            f"Seeding {args.cases:,} cases ({through:,} through the intake action) ...", flush=True
        )
        seed_through_actions(seeded, intakes, through)
        seed_in_bulk(seeded, intakes, args.cases - through)
        refresh_statistics()
        env = environment(args)
        print("Measuring ...", flush=True)
        scenarios = [
            list_scenario(seeded, args.lists, deep=False, seed=args.seed),
            list_scenario(seeded, args.lists, deep=True, seed=args.seed),
            create_scenario(seeded, intakes, args.creates),
        ]
        print_report(env, seeded, scenarios)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(results_json(env, seeded, scenarios), encoding="utf-8")
    finally:
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
