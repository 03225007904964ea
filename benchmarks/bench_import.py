"""Benchmark: importing a CSV of intakes (issue 13) beside a raw bulk insert of the same rows into
the same database (executemany on SQLite, COPY on PostgreSQL), in the same run.

The import is the real path (`interchange.actions.create_import_job` + `run_import_job`): every
row read, mapped, validated by the intake's rules (the dry run), then — on commit — checked
again and written in one transaction through the bulk intake `cases.bulk.start_intakes`
(validation, a survivor key each, sealing, search tokens, two audit events per row; ADR 45).
The file is streamed, never held as a list of rows. The baseline writes the same cells as text
into a bare table: what moving the bytes into the database costs without any of that.

    .venv/bin/python benchmarks/bench_import.py --rows 100000
    .venv/bin/python benchmarks/bench_import.py --rows 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/empty_db

Prints rows per second of both sides, their ratio, and the import's peak memory (resident set
size of the process, and Python's own allocations via tracemalloc when `--tracemalloc`). The
upload limits (HARBOUR_IMPORT_MAX_MB, HARBOUR_IMPORT_MAX_ROWS) are raised for the run if the file
needs more. The audit chain is verified after the import (not timed). See benchmarks/README.md.
"""

import argparse
import random
import resource
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = [
    "given_name", "family_name", "birth_date", "gender_identity", "intake_date",
    "intake_province", "consent_to_record", "exploitation_types", "current_needs",
]  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default="", help="an EMPTY database (default SQLite)")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python memory")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway directory")
    parser.add_argument(
        "--check-only", action="store_true", help="measure the check (dry run) only: no writes"
    )
    return parser.parse_args(argv)


def configure(args: argparse.Namespace) -> Path:
    from benchenv import throwaway_harbour

    return throwaway_harbour(args.database_url, name="import", HARBOUR_FAST_PASSWORD_HASHER="1")


def csv_rows(n: int, seed: int = 13) -> list[list[str]]:
    rng = random.Random(seed)
    names = ["Nadia", "Amélie", "Zoé", "Linh", "Grace", "Sofia", "Maria", "Ana", "Priya", "Jean"]
    provinces = ["CA-ON", "CA-QC", "CA-BC", "CA-MB", "CA-AB", "CA-NS"]
    kinds = ["sexual_exploitation", "forced_labour", "sexual_exploitation|forced_labour"]
    rows = []
    for i in range(n):
        day = 1 + i % 28
        rows.append([
            rng.choice(names), f"Bench-{i}", f"{1970 + i % 35}-0{1 + i % 9}-{day:02d}",
            rng.choice(["woman", "man", "Woman"]), f"2026-0{1 + i % 9}-{day:02d}",
            rng.choice(provinces), "yes", rng.choice(kinds), "safe_housing|legal",
        ])  # fmt: skip
    return rows


def as_csv(rows: list[list[str]]) -> bytes:
    lines = [",".join(COLUMNS)] + [",".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def import_side(data: bytes, rows: int, check_only: bool = False) -> dict[str, Any]:
    from harbour.accounts.actions import create_user
    from harbour.audit.actions import SystemActor
    from harbour.interchange import actions, reading
    from harbour.orgs.actions import create_organisation

    reading.MAX_ROWS = max(reading.MAX_ROWS, rows)
    reading.MAX_BYTES = max(reading.MAX_BYTES, len(data) + 1)
    system = SystemActor("benchmark")
    org = create_organisation(
        by=system, name_en="Bench", name_fr="Banc", short_name="bench", type="ngo",
        province="CA-ON", city="Toronto", provinces_served=["CA-ON"],
    )  # fmt: skip
    user = create_user(
        by=system, org_id=org.pk, role="supervisor", email="bench@example.org",
        full_name="Bench", password=secrets.token_urlsafe(16), must_change_password=False,
    )  # fmt: skip
    started = time.perf_counter()
    job = actions.create_import_job(by=user, data=data, dry_run=True)
    job = actions.run_import_job(job_id=job.pk)
    checked = time.perf_counter()
    assert job.status == "checked", job.problems[:5]
    if check_only:
        return {"seconds": checked - started, "check": checked - started, "write": 0.0,
                "created": 0}  # fmt: skip
    actions.commit_import_job(by=user, job=job)
    job = actions.run_import_job(job_id=job.pk)  # checked again, then written
    done = time.perf_counter()
    assert job.status == "done", job.problems[:5]
    check = checked - started
    # The commit checks the file again before writing: its own check is part of "write".
    return {"seconds": done - started, "check": check, "write": done - checked,
            "created": job.created_count}  # fmt: skip


def verify_trail() -> bool:
    """What `harbour audit verify` checks: every chain, every hash, every head."""
    from harbour.audit.queries import verify

    _checked, problems = verify()
    return not problems


def baseline_side(rows: list[list[str]]) -> float:
    """The same cells as text into a bare table: COPY on PostgreSQL, executemany on SQLite."""
    from django.db import connection, transaction

    columns = ", ".join(f"{c} text" for c in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_raw ({columns})")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY bench_raw ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("%s" for _ in COLUMNS)
            cursor.executemany(f"INSERT INTO bench_raw VALUES ({marks})", rows)  # noqa: S608
    return time.perf_counter() - started


def main() -> None:
    args = parse_args()
    var_dir = configure(args)
    try:
        if args.tracemalloc:
            import tracemalloc

            tracemalloc.start()
        rows = csv_rows(args.rows)
        data = as_csv(rows)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        ours = import_side(data, args.rows, args.check_only)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        peak, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
        # After the peak is read: `audit verify` holds a chain's events in memory.
        ours["verified"] = verify_trail()
        traced = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
        base = baseline_side(rows)
        from django.db import connection

        ours_rate, base_rate = args.rows / ours["seconds"], args.rows / base
        print(f"database: {connection.vendor}; rows: {args.rows:,}; file: {len(data) / 1e6:.1f} MB")
        print(f"import (check + write, all or nothing): {ours['seconds']:.1f} s, "
              f"{ours_rate:,.0f} rows/s, {ours['created']:,} cases "
              f"(dry-run check {ours['check']:.1f} s, commit: check again + write "
              f"{ours['write']:.1f} s); audit chain verifies: {ours.get('verified')}")  # fmt: skip
        print(f"CPU time of this process up to the end of the import: {cpu:.0f} s "
              "(on a shared machine, wall time over CPU time shows the contention)")  # fmt: skip
        print(f"baseline (raw bulk insert): {base:.2f} s, {base_rate:,.0f} rows/s")
        print(f"ratio (baseline rows/s ÷ import rows/s): {base_rate / ours_rate:,.0f}×")
        print(
            f"peak resident memory: {peak / 1024:.0f} MB "
            f"(before the import: {before / 1024:.0f} MB)"
        )
        if traced is not None:
            print(f"peak Python allocations (tracemalloc): {traced / 1e6:.0f} MB")
    finally:
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
