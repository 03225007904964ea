"""Benchmark: the returning-survivor hint (issue 12, ADR 41) through the database, at N
encodings, beside the bare SQL of its candidate lookup and the kernel's in-memory index.

N generated records (benchmarks/bench_linkage.py's population: about 1.4 records per person,
with typos, variants, swapped dates, missing fields) are spread over several organisations in
several provinces and written the way the bulk intake import writes them
(`linkage.actions.new_encodings` and `new_blocks`: the real encoder with the hub's key, then the
EncodingBlock rows; the survivors' own sealed values are not written, the hint never reads
them): on PostgreSQL by `lookup_seed` (the same rows, COPY, the blocks' indexes made after the
load: 1,000,000 in about 45 minutes on the loaded 2-CPU machine). Seeding is not timed. Then M
probes of each kind, by a caseworker of another organisation (which holds no encodings),
through the function the intake calls:

  in the hub   a seeded record altered as a returning survivor's would be (a typo in a name,
               or day and month swapped)
  not in it    a person of another generated population

  ours         `returning_hint(by=caseworker, values=...)`: validation, encoding, the probe
               limits (lifted for the run through the settings, still counted), the candidate
               lookup, the comparisons, consent and places, the audit events; one transaction
  raw SQL      the same candidate lookup as bare SQL over the EncodingBlock index (block sizes,
               narrowed sizes when a block is oversized, the candidates' rows fetched), from keys
               computed beforehand: no Django, no model instances, no comparisons
  kernel       `matching.LookupIndex` in memory over the same encodings: candidates and their
               comparisons (the floor without a database)

The raw SQL and the kernel must find the same candidates for every probe (printed: "candidate
sets differing"). Printed: p50/p95/p99 per side and kind, the ratios, queries per probe, rows per
encoding, seed time, database size.

    .venv/bin/python benchmarks/bench_linkage_lookup.py --encodings 10000
    createdb -h 127.0.0.1 -U postgres harbour_lookup
    .venv/bin/python benchmarks/bench_linkage_lookup.py --encodings 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/harbour_lookup --explain
    dropdb -h 127.0.0.1 -U postgres harbour_lookup

At 1,000,000 seed once (`--state DIR`: the first call seeds and runs linkage, a later one times)
and leave out the kernel's index (`--no-kernel`: about 17 GB in Python); `--wait-for-run`,
`--start-at HH:MM` and `--not-after HH:MM` fit the timing into a quiet window.
"""

import argparse
import json
import os
import resource
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_linkage import (  # noqa: E402  (the generated population)
    NAMES,
    population,
)
from lookup_probes import (  # noqa: E402  (the probes, the raw SQL baseline)
    Probe,
    database_size,
    hint_function,
    prepared,
    probes,
    raw_lookup,
)
from lookup_seed import PROVINCES, World, seed  # noqa: E402  (seeding, not measured)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--encodings", type=int, default=10_000, help="records seeded")
    parser.add_argument("--probes", type=int, default=200, help="probes of each kind")
    parser.add_argument("--warmup", type=int, default=10, help="untimed probes first")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2, help="processes encoding the seed")
    parser.add_argument(
        "--names",
        choices=NAMES,
        default=NAMES[0],
        help="bench_linkage's name distribution (heavy: every figure before --names)",
    )
    parser.add_argument(
        "--no-run",
        action="store_true",
        help="no linkage run after seeding: the hint then uses the default weights",
    )
    parser.add_argument("--database-url", default="", help="an EMPTY database (default SQLite)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE one lookup")
    parser.add_argument(
        "--misses",
        action="store_true",
        help="print each returning survivor the hint did not find: its comparison with its own "
        "record, the posterior by the levels only and with the run's term frequencies",
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the hints of each kind (after timing)"
    )
    parser.add_argument(
        "--no-kernel", action="store_true", help="no in-memory kernel baseline (its index: GBs)"
    )
    parser.add_argument(
        "--wait-for-run",
        action="store_true",
        help="with --state: prepare while the seeding call's linkage run goes on, time after it",
    )
    parser.add_argument(
        "--start-at", default="", help="HH:MM UTC: prepare, then time from then (a quiet window)"
    )
    parser.add_argument("--not-after", default="", help="HH:MM UTC: no timing started after it")
    parser.add_argument("--json", default="", help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway directory")
    parser.add_argument(
        "--state",
        default="",
        help="a folder: the first call seeds (and runs linkage) then stops, leaving its secrets "
        "and figures there; a later call with the same folder and database times the hint on "
        "that seed (seeding 100,000 takes tens of minutes, the hint's code may change meanwhile)",
    )
    return parser.parse_args(argv)


STATE_ENV = (
    "HARBOUR_VAR_DIR", "HARBOUR_KEYSTORE_URL", "HARBOUR_SECRET_KEY", "HARBOUR_MASTER_KEY",
    "HARBOUR_AUDIT_KEY",
)  # fmt: skip


def configure(args: argparse.Namespace) -> Path:
    from benchenv import throwaway_harbour

    # A seeded state's secrets (its keystore and audit chains were made with them).
    saved = load_state(args)
    return throwaway_harbour(
        args.database_url,
        name="lookup",
        every_org=True,  # seeding is an operator's load over every organisation
        reuse=saved is not None,  # timing on this benchmark's own earlier seed
        # Lifted for the run, not removed: every probe is still counted against them.
        HARBOUR_HINT_PROBES_PER_HOUR=str(10**9),
        HARBOUR_HINT_PROBES_PER_HOUR_ORG=str(10**9),
        **(saved["env"] if saved else {}),
    )


def load_state(args: argparse.Namespace) -> dict[str, Any] | None:
    state = Path(args.state) / "state.json" if args.state else None
    return json.loads(state.read_text()) if state and state.exists() else None


def save_state(args: argparse.Namespace, world: "World", linked: float | None) -> None:
    folder = Path(args.state)
    folder.mkdir(parents=True, exist_ok=True)
    env = {k: os.environ[k] for k in STATE_ENV}
    figures = {
        "seed_s": world.seconds,
        "indexes_s": world.indexes_s,
        "linkage_run_s": linked,
        "encodings": args.encodings,
        "names": args.names,
    }
    (folder / "state.json").write_text(json.dumps({"env": env, "figures": figures}))


def reseeded(args: argparse.Namespace, figures: dict[str, Any]) -> "World":
    """The World of a seeded state: the same generated records (same seed), the survivors by
    their references (S-<index>), the organisations and the asker by their names."""
    from harbour.accounts.models import User
    from harbour.cases.models import Survivor
    from harbour.orgs.models import Organisation

    if figures["encodings"] != args.encodings:
        raise SystemExit(f"the state was seeded with --encodings {figures['encodings']}")
    if figures.get("names", "heavy") != args.names:  # states before --names were heavy
        raise SystemExit(f"the state was seeded with --names {figures.get('names', 'heavy')}")
    records, _truth = population(args.encodings, args.seed, args.names)
    ids = dict(Survivor.objects.filter(reference__startswith="S-").values_list("reference", "pk"))
    world = World(
        asker=User.objects.get(email="ask@example.org"),
        orgs=list(Organisation.objects.filter(short_name__startswith="h").order_by("name_en")),
        records=records,
        survivor_ids=[ids[f"S-{i:08d}"] for i in range(len(records))],
        seconds=figures["seed_s"],
    )
    return world


class QueryCounter:
    """Counts the statements a block runs (an execute wrapper: no capture, no overhead)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def counting() -> Iterator[QueryCounter]:
    from django.db import connection

    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        yield counter


def percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {"p50": at(0.5), "p95": at(0.95), "p99": at(0.99)}


def time_ours(world: World, values: list[dict], warmup: int) -> tuple[list[float], float, int]:
    """ms of each hint, queries per hint, and how many answered 'known'."""
    from harbour.core import tenancy

    hint = hint_function()
    tenancy.for_user(world.asker)  # as a request of this caseworker: their organisation only
    try:
        for v in values[:warmup]:
            hint(by=world.asker, values=v)
        times, known = [], 0
        with counting() as counter:
            for v in values:
                started = time.perf_counter()
                answer = hint(by=world.asker, values=v)
                times.append(1000 * (time.perf_counter() - started))
                known += int(answer.known)
        return times, counter.count / len(values), known
    finally:
        tenancy.reset()


def time_raw(world: World, probes_: list[Probe]) -> tuple[list[float], list[set]]:
    from django.db import connection

    from harbour.linkage.core import matching
    from harbour.linkage.keys import hub_key

    key_id, limit = hub_key().key_id, matching.Blocking().max_block
    times, found = [], []
    with connection.cursor() as cursor:
        for probe in probes_:
            started = time.perf_counter()
            rows = raw_lookup(cursor, probe, world.asker.org_id, key_id, limit)
            times.append(1000 * (time.perf_counter() - started))
            found.append({uuid.UUID(str(survivor)) for _org, survivor, _e in rows})
    return times, found


def linkage_run() -> float:
    """`harbour linkage run` over the seeded encodings (not timed with the probes): the hint
    then uses the weights it learnt, as in a hub where runs are scheduled."""
    from harbour.audit.actions import SystemActor
    from harbour.linkage.actions import run_linkage

    started = time.perf_counter()
    run_linkage(by=SystemActor("benchmark"))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux
    print(f"linkage run in {seconds:.0f} s; this process's peak RSS {peak:.2f} GiB; load "
          f"{os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    return seconds


def run_has_frequencies() -> bool:
    from harbour.linkage.queries import current_run

    run = current_run()
    return run is not None and "frequencies" in (run.weights or {})


def misses(world: World, values: list[dict], sources: list[Any], stored: list) -> int:
    """Each returning survivor the hint did not tell "known": its comparison vector with its
    own seeded record, how many of the run's records hold its exact given name, family name
    and birth date, and the posterior by the levels only and with those frequencies (the
    threshold is 0.7). Returns how many were missed."""
    from harbour.core import tenancy
    from harbour.linkage import lookup
    from harbour.linkage.core import matching
    from harbour.linkage.keys import hub_key
    from harbour.linkage.queries import current_run_id

    hint, key = hint_function(), hub_key()
    scoring = lookup.scoring(current_run_id())
    by_id = dict(stored)
    probes_ = prepared(values)
    missed = 0
    tenancy.for_user(world.asker)
    try:
        answers = [hint(by=world.asker, values=v).known for v in values]
    finally:
        tenancy.reset()
    print("\nreturning survivors not told 'known' (vector: given, family, birth, sex, place):")
    for probe, source, known in zip(probes_, sources, answers, strict=True):
        if known:
            continue
        missed += 1
        own = by_id[source]
        vector = matching.compare(probe.mine, own)
        plain = scoring.weights.probability(vector) if scoring else float("nan")
        tf = float("nan")
        if scoring is not None:
            extra = scoring.adjustments(key, probe.mine)
            shared = [
                e
                for e, name in zip(extra, lookup.TF_FIELDS, strict=True)
                if probe.mine.filters.get(name) is not None
                and probe.mine.filters.get(name) == own.filters.get(name)
            ]
            tf = scoring.weights.probability(vector, sum(shared))
        print(f"  {vector}  levels only {plain:.3f}  with term frequencies {tf:.3f}")
    return missed


def kernel_index(world: World) -> tuple[Any, list[Any], float]:
    """The kernel's index over the stored encodings (read back, as the hint reads them)."""
    from harbour.linkage.core import matching
    from harbour.linkage.core.encoding import Encoding
    from harbour.linkage.keys import hub_key
    from harbour.linkage.models import SurvivorEncoding

    key_id = hub_key().key_id
    rows = SurvivorEncoding.objects.values_list("survivor_id", "encoding").order_by("pk")
    stored = [(s, Encoding.from_text(t, key_id=key_id)) for s, t in rows.iterator(5000)]
    started = time.perf_counter()
    index = matching.LookupIndex()
    for survivor, made in stored:
        index.add(survivor, made)
    return index, stored, time.perf_counter() - started


def time_kernel(index: Any, stored: list, probes_: list[Probe]) -> tuple[list[float], list[set]]:
    from harbour.linkage.core import matching
    from harbour.linkage.queries import current_run

    # The hint's weights: the latest run's, the defaults before any run.
    run = current_run()
    weights = (
        matching.Weights(m=run.weights["m"], u=run.weights["u"], prior=run.weights["prior"])
        if run is not None and run.weights
        else matching.estimate({}, {})
    )
    by_id = dict(stored)
    times, found = [], []
    for probe in probes_:
        started = time.perf_counter()
        candidates = {c for c in index.candidates(probe.mine) if not by_id[c].weak}
        for c in candidates:
            other = by_id[c]
            if not matching.same_person_for_sure(probe.mine, other):
                weights.probability(matching.compare(probe.mine, other))
        times.append(1000 * (time.perf_counter() - started))
        found.append(candidates)
    return times, found


def explain(world: World, probe: Probe) -> None:
    """EXPLAIN ANALYZE of the hint's three queries for one probe (PostgreSQL)."""
    from django.db import connection

    from harbour.linkage.core import matching
    from harbour.linkage.keys import hub_key

    if connection.vendor != "postgresql":
        return
    plans: list[str] = []

    def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().upper().startswith("SELECT"):
            execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params, many, context)
            plans.append("\n".join(r[0] for r in context["cursor"].fetchall()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture), connection.cursor() as cursor:
        limit = matching.Blocking().max_block
        raw_lookup(cursor, probe, world.asker.org_id, hub_key().key_id, limit)
    for plan in plans:
        print("\n" + plan)


def profile(world: World, values: list[dict], kind: str) -> None:
    """Where a hint's time goes: cProfile of the same probes again, by cumulative time."""
    import cProfile
    import pstats

    from harbour.core import tenancy

    hint = hint_function()
    tenancy.for_user(world.asker)
    profiler = cProfile.Profile()
    try:
        profiler.enable()
        for v in values:
            hint(by=world.asker, values=v)
        profiler.disable()
    finally:
        tenancy.reset()
    print(f"\nprofile of {len(values)} hints, {kind}:")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)


# --- the run -----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection

    from harbour.linkage.models import EncodingBlock, SurvivorEncoding

    saved = load_state(args)
    if saved:
        world, linked = reseeded(args, saved["figures"]), saved["figures"]["linkage_run_s"]
        if not args.no_run and not args.wait_for_run and not run_has_frequencies():
            linked = linkage_run()  # the seed's run predates the stored term frequencies
    else:
        world = seed(args.encodings, args.seed, args.workers, args.names)
        if args.state:  # saved before the run too: a later call runs it if this one did not
            save_state(args, world, None)
        print(f"seeded in {world.seconds:.0f} s; load {os.getloadavg()[0]:.1f}", flush=True)
        linked = None if args.no_run else linkage_run()
        if args.state:
            save_state(args, world, linked)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            return {}
    encodings = SurvivorEncoding.objects.count()
    blocks = EncodingBlock.objects.count()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would soon after a bulk load
    sizes = database_size()
    step(f"{encodings:,} encodings, {blocks:,} blocks; building the kernel's index")
    index, stored, built = kernel_index(world) if not args.no_kernel else (None, [], 0.0)
    kinds, sources = probes(world, args.probes, args.seed, args.names)
    ready = {kind: prepared(values) for kind, values in kinds.items()}
    step(f"kernel index built in {built:.0f} s; probes ready")
    if args.wait_for_run:
        linked = wait_for_run(args)
    wait_until(args.start_at)
    if args.not_after and time.strftime("%H:%M", time.gmtime()) >= args.not_after:
        raise SystemExit(f"not timed: past {args.not_after} UTC (the quiet window is over)")
    out: dict[str, Any] = {
        "vendor": connection.vendor,
        "encodings": encodings,
        "names": args.names,
        "organisations": len(world.orgs),
        "rows_per_encoding": blocks / encodings,
        "seed_s": world.seconds,
        "indexes_s": world.indexes_s,
        "linkage_run_s": linked,
        "index_build_s": built,
        "size": sizes,
        "load_before": os.getloadavg(),
        "kinds": {},
    }
    for kind, values in kinds.items():
        raw_t, raw_found = time_raw(world, ready[kind])
        if index is None:  # --no-kernel: no in-memory baseline
            kernel_t, kernel_found = [float("nan")] * len(raw_t), raw_found
        else:
            kernel_t, kernel_found = time_kernel(index, stored, ready[kind])
        ours_t, queries, known = time_ours(world, values, args.warmup)
        differing = sum(a != b for a, b in zip(raw_found, kernel_found, strict=True))
        out["kinds"][kind] = {
            "ours": percentiles(ours_t),
            "raw_sql": percentiles(raw_t),
            "kernel": percentiles(kernel_t),
            "queries_per_probe": queries,
            "answered_known": known,
            "probes": len(values),
            "candidates_mean": sum(len(f) for f in raw_found) / len(raw_found),
            "candidate_sets_differing": differing,
            # Returning survivors whose own seeded record was among the candidates: the others
            # were lost to blocking, whatever the weights.
            "source_among_candidates": (
                sum(s in f for s, f in zip(sources, raw_found, strict=True))
                if kind == "in the hub"
                else None
            ),
        }
        if args.explain and kind == "in the hub":
            explain(world, ready[kind][0])
        if args.misses and kind == "in the hub":
            misses(world, values, sources, stored)
        if args.profile:
            profile(world, values, kind)
    out["load_after"] = os.getloadavg()
    return out


def step(what: str) -> None:
    print(f"{time.strftime('%H:%M:%S', time.gmtime())} {what}; load {os.getloadavg()[0]:.1f}",
          flush=True)  # fmt: skip


def wait_for_run(args: argparse.Namespace) -> float | None:
    """Until the seeding call's linkage run is stored (this call prepared meanwhile); its
    time as that call saved it."""
    while not run_has_frequencies():
        time.sleep(15)
    step("the linkage run is stored")
    time.sleep(5)  # the seeding call saves its figures just after
    saved = load_state(args)
    return saved["figures"]["linkage_run_s"] if saved else None


def wait_until(hhmm: str) -> None:
    """Sleep until hh:mm UTC (a quiet window's start): everything before it is preparation
    (reading 1,000,000 encodings back and indexing them in memory takes minutes)."""
    if not hhmm:
        return
    hour, minute = (int(x) for x in hhmm.split(":"))
    now = time.gmtime()
    left = (hour * 60 + minute) * 60 - (now.tm_hour * 3600 + now.tm_min * 60 + now.tm_sec)
    if left > 0:
        step(f"waiting {left} s for {hhmm} UTC")
        time.sleep(left)
    step("timing")


def report(r: dict[str, Any]) -> None:
    mib = 1024 * 1024
    size = r["size"]
    weights = (
        f"weights of a linkage run ({r['linkage_run_s']:.0f} s)"
        if r["linkage_run_s"] is not None
        else "default weights (no linkage run)"
    )
    print(
        f"returning-survivor hint: {r['vendor']}, {r['encodings']:,} encodings "
        f"(names {r['names']}) over "
        f"{r['organisations']} organisations in {len(PROVINCES)} provinces, "
        f"{r['rows_per_encoding']:.1f} block rows per encoding; seeded in {r['seed_s']:.0f} s; "
        f"{weights}; database {size['database'] / mib:,.1f} MiB "
        f"(blocks {size['blocks'] / mib:,.1f} MiB, encodings {size['encodings'] / mib:,.1f} "
        f"MiB); kernel index built in "
        f"{r['index_build_s']:.1f} s; {os.cpu_count()} CPUs, load average "
        f"{r['load_before'][0]:.1f} before, {r['load_after'][0]:.1f} after"
    )
    for kind, k in r["kinds"].items():
        print(
            f"\n{kind}: {k['probes']} probes, {k['answered_known']} answered 'known', "
            f"{k['candidates_mean']:.0f} candidates per probe on average, "
            f"{k['queries_per_probe']:.1f} queries per hint; candidate sets differing between "
            f"raw SQL and kernel: {k['candidate_sets_differing']}"
        )
        if k["source_among_candidates"] is not None:
            print(
                f"  the returning survivor's own record among the candidates: "
                f"{k['source_among_candidates']} of {k['probes']}"
            )
        print(f"  {'ms':<40}{'p50':>9}{'p95':>9}{'p99':>9}")
        for label, name in (
            ("kernel LookupIndex in memory", "kernel"),
            ("raw SQL candidate lookup (baseline)", "raw_sql"),
            ("Harbour returning_hint", "ours"),
        ):
            p = k[name]
            print(f"  {label:<40}{p['p50']:9.2f}{p['p95']:9.2f}{p['p99']:9.2f}")
        for label, base in (("raw SQL", "raw_sql"), ("kernel", "kernel")):
            ratio = {q: k["ours"][q] / k[base][q] for q in ("p50", "p95", "p99")}
            print(
                f"  {'Harbour / ' + label:<40}"
                + "".join(f"{'x' + format(v, '.1f'):>9}" for v in ratio.values())
            )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    var_dir = configure(args)
    try:
        result = run(args)
        if not result:
            print(f"seeded; state in {args.state}: run again with the same --state to time it")
            return
        report(result)
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=2, default=str))
    finally:
        # With a state, its own folder is kept (the one made by this call is not used).
        if not args.keep and (not args.state or str(var_dir) != os.environ["HARBOUR_VAR_DIR"]):
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
