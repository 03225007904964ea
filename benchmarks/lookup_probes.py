"""The probes of bench_linkage_lookup.py (issue 12): the returning survivors and strangers asked
about, their keys computed beforehand, the raw SQL of the hint's candidate lookup (the
baseline), and the database's size. Split from the script to keep each file under 600 lines."""

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench_linkage import population, typo
from lookup_seed import World


def hint_function() -> Callable[..., Any]:
    """The hint the intake calls before saving (`POST /api/v1/linkage/hint` too)."""
    from harbour.linkage import hints

    return hints.returning_hint


def as_typed(record: dict) -> dict:
    """A generated record as typed at intake: text values, ISO dates, absent when missing."""
    out = {}
    for name, value in record.items():
        if value is None:
            continue
        out[name] = value.isoformat() if isinstance(value, dt.date) else value
    return out


# --- probes ------------------------------------------------------------------------------------


def returning(record: dict, rng: random.Random) -> dict:
    """A seeded record as the survivor gives it at another organisation: day and month swapped
    (half the time, where the day can be a month), else a typo in one of the names."""
    out = dict(record)
    born = out["birth_date"]
    if born.day <= 12 and born.day != born.month and rng.random() < 0.5:
        out["birth_date"] = born.replace(month=born.day, day=born.month)
    else:
        name = rng.choice(["given_name", "family_name"])
        out[name] = typo(out[name], rng)
    return as_typed(out)


def probes(
    world: World, m: int, seed_: int, distribution: str
) -> tuple[dict[str, list[dict]], list[Any]]:
    """M returning survivors (seeded records with both names and a birth date, altered) and M
    persons of another generated population; and the survivor each returning one came from."""
    rng = random.Random(seed_ + 1)
    names = ("given_name", "family_name", "birth_date")
    seeded = [i for i, r in enumerate(world.records) if all(r.get(k) for k in names)]
    sources, returning_ = [], []
    for _ in range(m):  # drawn in turn, as before: the same probes for the same seed
        sources.append(rng.choice(seeded))
        returning_.append(returning(world.records[sources[-1]], rng))
    strangers, _ = population(m, seed_ + 1000, distribution)
    kinds = {"in the hub": returning_, "not in it": [as_typed(r) for r in strangers[:m]]}
    return kinds, [world.survivor_ids[i] for i in sources]


@dataclass
class Probe:
    """A probe's encoding and its hashed lookup keys, made before any timing."""

    mine: Any
    same: str
    pairs: list[tuple[str, str]]


def prepared(values: list[dict]) -> list[Probe]:
    from harbour.linkage.actions import block_keys
    from harbour.linkage.core import matching
    from harbour.linkage.core.encoding import encode
    from harbour.linkage.keys import hub_key
    from harbour.standard.dictionary import current
    from harbour.standard.validation import validate

    key, index = hub_key(), matching.LookupIndex()
    entity, version = current().entity("survivor"), current().latest
    out = []
    for v in values:
        mine = encode(key, validate(entity, v, version=version, partial=True))
        entries = index.entries(mine)
        hashed = block_keys(
            key,
            [matching.block_text(index.same(mine))]
            + [matching.block_text(k) for pair in entries for k in pair],
        )
        out.append(Probe(mine, hashed[0], list(zip(hashed[1::2], hashed[2::2], strict=True))))
    return out


def raw_lookup(cursor: Any, probe: Probe, org_id: Any, key_id: str, limit: int) -> list[tuple]:
    """The hint's candidate lookup as bare SQL: sizes of the record's blocks (one grouped
    query), of the narrowed blocks of the oversized ones (a second), then the other
    organisations' current, not weak encodings holding a chosen key (a third)."""
    from harbour.linkage.core.encoding import SCHEME

    def sizes(keys: list[str]) -> dict[str, int]:
        marks = ", ".join(["%s"] * len(keys))
        cursor.execute(
            f"SELECT key, COUNT(*) FROM linkage_encodingblock WHERE key IN ({marks}) "  # noqa: S608
            "GROUP BY key",
            keys,
        )
        return dict(cursor.fetchall())

    found = sizes([probe.same, *(k for k, _n in probe.pairs)])
    narrowed = [n for k, n in probe.pairs if found.get(k, 0) > limit]
    if narrowed:
        found |= sizes(narrowed)
    chosen = [
        b
        for b in (probe.same, *(n if found.get(k, 0) > limit else k for k, n in probe.pairs))
        if found.get(b, 0) <= limit
    ]
    marks = ", ".join(["%s"] * len(chosen))
    cursor.execute(
        "SELECT e.org_id, e.survivor_id, e.encoding FROM linkage_survivorencoding e "  # noqa: S608
        "WHERE e.id IN (SELECT b.encoding_id FROM linkage_encodingblock b "
        f"WHERE b.key IN ({marks})) AND e.scheme = %s AND e.key_id = %s AND NOT e.weak "
        "AND e.org_id <> %s",
        [*chosen, SCHEME, key_id, _db_id(org_id)],
    )
    return cursor.fetchall()


def _db_id(value: Any) -> Any:
    from django.db import connection

    return value.hex if connection.vendor == "sqlite" else value


# --- sizes and plans ---------------------------------------------------------------------------


def database_size() -> dict[str, int]:
    from django.db import DatabaseError, connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT pg_database_size(current_database()), "
                "pg_total_relation_size('linkage_encodingblock'), "
                "pg_total_relation_size('linkage_survivorencoding')"
            )
            total, blocks, encodings = cursor.fetchone()
            return {"database": total, "blocks": blocks, "encodings": encodings}
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute("PRAGMA page_size")
        size = pages * cursor.fetchone()[0]
        try:  # per table where SQLite was built with the dbstat table
            cursor.execute(
                "SELECT name, SUM(pgsize) FROM dbstat WHERE name LIKE 'linkage_%' GROUP BY name"
            )
            tables = dict(cursor.fetchall())
        except DatabaseError:  # dbstat is optional in SQLite builds
            tables = {}
        blocks = sum(v for k, v in tables.items() if "encodingblock" in k)
        encodings = sum(v for k, v in tables.items() if "survivorencoding" in k)
        return {"database": size, "blocks": blocks, "encodings": encodings}
