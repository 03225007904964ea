"""benchmarks/lookup_seed.py, the fast seeding of the hint's benchmark at 1,000,000 encodings
(issue 12): its rows must be the rows the bulk import writes (`new_encodings`, `new_blocks`),
or the hint would be timed on a hub no one could have."""

import os
import sys
from pathlib import Path

import pytest
from django.db import connection

from harbour.cases.models import Survivor
from harbour.linkage.actions import new_blocks, new_encodings
from harbour.linkage.core.encoding import LinkageKey, encode
from harbour.linkage.models import EncodingBlock, SurvivorEncoding
from harbour.standard.dictionary import current

# The benchmarks are scripts, not a package: the module and its generated population.
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))

import lookup_seed
from bench_linkage import population

pytestmark = pytest.mark.django_db
# COPY and dropping indexes are the tables' owner's (an operator's seeding load): under
# row-level security PostgreSQL refuses COPY FROM, and DDL needs the owner.
postgresql_owner_only = pytest.mark.skipif(
    connection.vendor != "postgresql" or bool(os.environ.get("HARBOUR_TEST_DB_ROLE")),
    reason="COPY and the index definitions: PostgreSQL, as the tables' owner",
)
ENCODING_COLUMNS = ("org_id", "survivor_id", "scheme", "key_id", "encoding", "weak", "person")


def _records(n: int) -> list[dict]:
    """Generated identities with typos, variants and missing fields (the benchmark's own)."""
    records, _truth = population(n, 11)
    return records


def _survivors(org, other_org, n: int, start: int = 0) -> list[Survivor]:
    version = str(current().latest)
    return [
        Survivor(org=(org, other_org)[i % 2], reference=f"T-{start + i}", standard_version=version)
        for i in range(n)
    ]


def test_block_rows_are_new_blocks_rows_in_order(org, other_org):
    survivors = _survivors(org, other_org, 40)
    encodings = new_encodings(list(zip(survivors, _records(40), strict=True)))
    # One of another key: new_blocks gives it no blocks, nor must the fast path.
    other = encode(LinkageKey(b"k" * 32), {"given_name": "Ana", "family_name": "Silva"})
    encodings[3].encoding = other.to_text()
    expected = [(b.org_id, b.encoding_id, b.key) for b in new_blocks(encodings)]
    got = lookup_seed.block_rows(encodings)
    assert got == expected
    assert len(got) > 39 * 50 and not any(e == encodings[3].pk for _o, e, _k in got)


def _stored(survivor_ids) -> tuple[dict, dict]:
    rows = SurvivorEncoding.objects.filter(survivor_id__in=survivor_ids)
    encodings = {r["survivor_id"]: r for r in rows.values(*ENCODING_COLUMNS, "id")}
    blocks: dict = {}
    for encoding, org_id, key in EncodingBlock.objects.filter(
        encoding__survivor_id__in=survivor_ids
    ).values_list("encoding_id", "org_id", "key"):
        blocks.setdefault(encoding, []).append((org_id, key))
    return encodings, blocks


@postgresql_owner_only
def test_the_fast_seed_writes_the_rows_the_bulk_import_writes(org, other_org):
    """Written by `made_and_written` (COPY) and by the ordinary path (`new_encodings`,
    `new_blocks`, `bulk_create`) from the same records: every column but the row's own id and
    timestamps is the same, block for block."""
    records = _records(60)
    fast_ids, written = lookup_seed.made_and_written((0, records, [org.pk, other_org.pk] * 30))
    ordinary = _survivors(org, other_org, 60, start=1000)
    Survivor.objects.bulk_create(ordinary)
    encodings = SurvivorEncoding.objects.bulk_create(
        new_encodings(list(zip(ordinary, records, strict=True)))
    )
    EncodingBlock.objects.bulk_create(new_blocks(encodings))

    fast, fast_blocks = _stored(fast_ids)
    slow, slow_blocks = _stored([s.pk for s in ordinary])
    assert written == sum(len(b) for b in fast_blocks.values()) > 59 * 50
    for mine, theirs in zip(fast_ids, ordinary, strict=True):
        a, b = fast[mine], slow[theirs.pk]
        assert [a[c] for c in ENCODING_COLUMNS if c != "survivor_id"] == [
            b[c] for c in ENCODING_COLUMNS if c != "survivor_id"
        ]
        assert sorted(fast_blocks[a["id"]]) == sorted(slow_blocks[b["id"]])
    assert Survivor.objects.filter(pk__in=fast_ids, reference="S-00000059").exists()


@postgresql_owner_only
def test_the_blocks_indexes_are_made_again_as_they_were(org, other_org):
    with connection.cursor() as cursor:
        before = lookup_seed.definitions(cursor, lookup_seed.BLOCKS)
    assert any("PRIMARY KEY" in d for _n, d in before[0]) and before[1]  # pkey, FKs, key index
    with lookup_seed.without_indexes(), connection.cursor() as cursor:
        assert lookup_seed.definitions(cursor, lookup_seed.BLOCKS) == ([], [])
        lookup_seed.made_and_written((0, _records(4), [org.pk] * 4))
    with connection.cursor() as cursor:
        assert lookup_seed.definitions(cursor, lookup_seed.BLOCKS) == before
    assert EncodingBlock.objects.count() == 4 * 51  # the load itself was written
