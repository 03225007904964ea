"""Seeding bench_linkage_lookup.py's hub fast, with the rows the bulk import writes (issue 12).

The bulk import writes a survivor's encoding with `linkage.actions.new_encodings` and its
lookup blocks with `new_blocks`. At 1,000,000 encodings that is about 50,000,000 block rows;
made as Django instances (what `new_blocks` returns) they cost about 2.5 ms a record in
`Model.__init__` alone, hours for a million. This module writes the same rows without the
instances:

- the encodings are `new_encodings`' own instances (one a record: cheap), written with COPY;
- the blocks are the keys `new_blocks` computes, by the same functions it calls
  (`Encoding.from_text`, `actions._block_texts`, `actions.block_keys`), as bare tuples
  written with COPY;
- each worker process encodes a batch and writes it itself, in its own transaction, with
  `synchronous_commit` off for its session only (a crash would lose the seed, not corrupt it);
- the blocks' indexes and constraints are dropped for the load and made again after from their
  own definitions as PostgreSQL printed them, then checked to be the same, then ANALYZE.

`harbour/linkage/tests/test_lookup_seed.py` compares these rows with `new_encodings`' and
`new_blocks`' at a small size.
"""

import multiprocessing
import os
import random
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench_linkage import population

BLOCKS = "linkage_encodingblock"
# Organisations holding the encodings: two per province, so a province is told (ADR 41 needs 3
# active organisations per province; with the asker's, Ontario has 3).
PROVINCES = ("CA-ON", "CA-QC", "CA-BC", "CA-AB", "CA-MB", "CA-NS")
BATCH = 5000


@dataclass
class World:
    asker: Any
    orgs: list[Any]
    records: list[dict]  # the seeded identities, in order
    survivor_ids: list[Any] = field(default_factory=list)  # the survivor of each record
    seconds: float = 0.0
    indexes_s: float = 0.0  # of seconds: the blocks' indexes made again after the load


def make_orgs() -> tuple[Any, list[Any]]:
    from harbour.accounts.actions import create_user
    from harbour.audit.actions import SystemActor
    from harbour.orgs.actions import create_organisation

    system = SystemActor("benchmark")
    orgs = [
        create_organisation(
            by=system,
            name_en=f"Holder {i}",
            name_fr=f"Détenteur {i}",
            short_name=f"h{i}",
            type="ngo",
            province=province,
            provinces_served=[province],
        )
        for i, province in enumerate(p for p in PROVINCES for _ in range(2))
    ]
    asking = create_organisation(
        by=system, name_en="Asking", name_fr="Demandeur", short_name="ask", type="ngo",
        province="CA-ON", provinces_served=["CA-ON"],
    )  # fmt: skip
    asker = create_user(
        by=system, org_id=asking.pk, role="caseworker", email="ask@example.org",
        full_name="Asking Caseworker", password=secrets.token_urlsafe(24),
    )  # fmt: skip
    return asker, orgs


def seed(n: int, seed_: int, workers: int, names: str) -> World:
    """Survivors with their encodings and blocks, made as the bulk import makes them (the
    real encoder, the hub key) in `workers` forked processes. On PostgreSQL each worker writes
    its own batches (COPY) while the blocks' indexes are dropped (`without_indexes`); on SQLite
    this process writes them (`bulk_create`)."""
    from django.db import connections

    from harbour.linkage.keys import hub_key

    asker, orgs = make_orgs()
    records, _truth = population(n, seed_, names)
    world = World(asker=asker, orgs=orgs, records=records)
    rng = random.Random(seed_)
    owners = [rng.choice(orgs).pk for _ in records]
    chunks = [
        (start, records[start : start + BATCH], owners[start : start + BATCH])
        for start in range(0, len(records), BATCH)
    ]
    hub_key()
    started = time.perf_counter()
    fork = multiprocessing.get_context("fork")
    if connections["default"].vendor != "postgresql":
        connections.close_all()  # the children must not share this process's connection
        with fork.Pool(workers) as pool:
            for survivors, encodings, blocks in pool.imap(_made, chunks):
                _write_sqlite(survivors, encodings, blocks)
                world.survivor_ids += [s.pk for s in survivors]
        world.seconds = time.perf_counter() - started
        return world
    with without_indexes() as figures:
        connections.close_all()  # as above; each worker opens its own
        with fork.Pool(workers) as pool:
            for i, (ids, _blocks) in enumerate(pool.imap(made_and_written, chunks)):
                world.survivor_ids += ids
                if i % 20 == 19:
                    print(f"  seeded {len(world.survivor_ids):,} in "
                          f"{time.perf_counter() - started:.0f} s, load {os.getloadavg()[0]:.1f}",
                          flush=True)  # fmt: skip
    world.indexes_s = figures["indexes_and_analyze_s"]
    world.seconds = time.perf_counter() - started
    return world


def _made(chunk: tuple[int, list[dict], list[Any]]) -> tuple[list, list, list[tuple]]:
    """In a worker (SQLite): one batch's survivors and encodings (unsaved), and its blocks."""
    survivors, encodings = _survivors_and_encodings(chunk)
    return survivors, encodings, block_rows(encodings)


def _survivors_and_encodings(chunk: tuple[int, list[dict], list[Any]]) -> tuple[list, list]:
    """A batch's survivors and their encodings, unsaved. The values are the generated ones,
    already typed as the import's validator hands them to the encoder."""
    from harbour.cases.models import Survivor
    from harbour.linkage.actions import new_encodings
    from harbour.standard.dictionary import current

    start, records, owners = chunk
    version = str(current().latest)
    survivors = [
        Survivor(org_id=org, reference=f"S-{start + i:08d}", standard_version=version)
        for i, org in enumerate(owners)
    ]
    return survivors, new_encodings(list(zip(survivors, records, strict=True)))


def _write_sqlite(survivors: list, encodings: list, blocks: list[tuple]) -> None:
    from django.db import transaction

    from harbour.cases.models import Survivor
    from harbour.linkage.models import EncodingBlock, SurvivorEncoding

    with transaction.atomic():
        Survivor.objects.bulk_create(survivors, batch_size=1000)
        SurvivorEncoding.objects.bulk_create(encodings, batch_size=1000)
        EncodingBlock.objects.bulk_create(
            [EncodingBlock(org_id=o, encoding_id=e, key=k) for o, e, k in blocks],
            batch_size=2000,
        )


def block_rows(encodings: list[Any], key: Any = None) -> list[tuple[Any, Any, str]]:
    """(org_id, encoding_id, key) of every block `new_blocks(encodings)` would return, in the
    same order, without making an `EncodingBlock` for each."""
    from harbour.linkage import actions
    from harbour.linkage.core import matching
    from harbour.linkage.core.encoding import Encoding, EncodingError
    from harbour.linkage.keys import hub_key

    key = key or hub_key()
    index = matching.LookupIndex()
    out: list[tuple[Any, Any, str]] = []
    for row in encodings:
        try:
            made = Encoding.from_text(row.encoding, key_id=key.key_id)
        except EncodingError:
            continue  # as new_blocks: another key's encoding has no blocks
        texts = actions._block_texts(index, made)
        out += [(row.org_id, row.pk, hashed) for hashed in actions.block_keys(key, texts)]
    return out


def insert_values(model: Any, objs: list[Any]) -> tuple[list[str], list[tuple]]:
    """The columns and values `bulk_create` would insert for `objs` (each field's `pre_save`
    with add=True, then `get_db_prep_save`, as Django's insert compiler does)."""
    from django.db import connection

    fields = list(model._meta.concrete_fields)
    columns = [f.column for f in fields]
    rows = [
        tuple(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields) for obj in objs
    ]
    return columns, rows


def copy_rows(cursor: Any, table: str, columns: list[str], rows: Any) -> None:
    names = ", ".join(columns)
    with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def made_and_written(chunk: tuple[int, list[dict], list[Any]]) -> tuple[list[Any], int]:
    """In a worker: one batch's survivors, encodings and blocks, made as the bulk import makes
    them and written in one transaction on this worker's own connection. Returns the
    survivors' ids in order and how many block rows were written."""
    from django.db import connection, transaction
    from django.utils import timezone

    from harbour.cases.models import Survivor
    from harbour.linkage.models import SurvivorEncoding

    survivors, encodings = _survivors_and_encodings(chunk)
    blocks = block_rows(encodings)
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")  # this seeding transaction only
        Survivor.objects.bulk_create(survivors, batch_size=1000)
        columns, values = insert_values(SurvivorEncoding, encodings)
        copy_rows(cursor, "linkage_survivorencoding", columns, values)
        copy_rows(
            cursor,
            BLOCKS,
            ["id", "created_at", "updated_at", "org_id", "encoding_id", "key"],
            ((uuid.uuid4(), now, now, org, enc, k) for org, enc, k in blocks),
        )
    return [s.pk for s in survivors], len(blocks)


def definitions(cursor: Any, table: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The table's constraints (name, definition) and its indexes not made by a constraint
    (name, CREATE INDEX statement), as PostgreSQL prints them."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass ORDER BY conname",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid AND c.conrelid = x.indrelid) "
        "ORDER BY i.relname",
        [table],
    )
    return constraints, cursor.fetchall()


@contextmanager
def without_indexes(table: str = BLOCKS) -> Iterator[dict[str, float]]:
    """Drop the table's indexes and constraints for a bulk load, then make them again from
    their own definitions, check that PostgreSQL prints the same ones, and ANALYZE."""
    from django.db import connection

    figures: dict[str, float] = {}
    with connection.cursor() as cursor:
        constraints, indexes = definitions(cursor, table)
        for name, _definition in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield figures
    finally:  # a failed load leaves the table with its keys and indexes all the same
        started = time.perf_counter()
        _make_again(table, constraints, indexes)
    with connection.cursor() as cursor:
        figures["indexes_s"] = time.perf_counter() - started
        cursor.execute(f"ANALYZE {table}")
        cursor.execute("ANALYZE linkage_survivorencoding")
    figures["indexes_and_analyze_s"] = time.perf_counter() - started


def _make_again(table: str, constraints: list, indexes: list) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")  # this session only
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        if definitions(cursor, table) != (constraints, indexes):
            raise RuntimeError(f"{table}: the indexes made again differ from the dropped ones")
