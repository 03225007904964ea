"""GET /api/v1/openapi.json (no sign-in needed): built at every request before, now once per
language and process (harbour.api.openapi, issue #9). Printed side by side, from the same run:

- before: the same request through the whole stack with the kept document dropped before each
  one, so it is built again as every request used to;
- now: the same request, the document kept;
- baseline: a bare Django JsonResponse of the same dict (no middleware, no building): the cost
  of sending a JSON document of this size at all.

Medians of --runs requests (wall time, and CPU time of this process), with the ratios and the
load average. No database is needed (the document is public and no query is made).

    nice -n 10 .venv/bin/python benchmarks/bench_openapi.py [--runs 40]
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
_TMP = tempfile.mkdtemp(prefix="bench-openapi-")
os.environ["HARBOUR_VAR_DIR"] = _TMP
os.environ.pop("HARBOUR_DATABASE_URL", None)  # a throwaway SQLite file, never opened
os.environ.setdefault("HARBOUR_SECRET_KEY", "benchmark-only-secret-key-0123456789abcdefghij")
os.environ.setdefault("HARBOUR_MASTER_KEY", "YmVuY2gtb25seS1tYXN0ZXIta2V5LTMyLWJ5dGVzISE")
os.makedirs(os.path.join(_TMP, "static"), exist_ok=True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["HARBOUR_ALLOWED_HOSTS"] = "testserver"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from ninja.responses import NinjaJSONEncoder  # noqa: E402

from harbour.api.api import api  # noqa: E402

URL = "/api/v1/openapi.json"


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of `runs` calls."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=40)
    runs = parser.parse_args().runs
    client = Client()

    def request() -> None:
        response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, response.status_code

    def rebuilt() -> None:
        api._documents.clear()
        request()

    request()  # imports, URL resolver, translations: not what is measured
    schema = client.get(URL).json()

    def baseline() -> None:
        JsonResponse(schema, encoder=NinjaJSONEncoder, safe=False)

    with CaptureQueriesContext(connection) as queries:
        request()
    size = len(client.get(URL).content)
    before = timed(rebuilt, max(5, runs // 4))  # 0.25 s each
    now = timed(request, runs)
    base = timed(baseline, runs)
    load = os.getloadavg()
    print(
        f"GET {URL}: {size:,} bytes, {len(queries)} queries; medians, load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(f"  {'':<44}{'wall ms':>10}{'CPU ms':>10}")
    for name, (wall, cpu) in (
        ("before (built at every request)", before),
        ("now (kept per language and process)", now),
        ("baseline (bare JsonResponse of the dict)", base),
    ):
        print(f"  {name:<44}{wall:>10.2f}{cpu:>10.2f}")
    print(
        f"  now / before   = {now[0] / before[0]:.4f} wall, {now[1] / before[1]:.4f} CPU "
        f"({before[0] / now[0]:.0f}x faster)"
    )
    print(f"  now / baseline = {now[0] / base[0]:.2f} wall, {now[1] / base[1]:.2f} CPU")


if __name__ == "__main__":
    main()
