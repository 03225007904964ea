"""Blocking: which pairs of encodings are compared at all (ADR 41). Candidate pairs share a
block: the same birth filter, or the same sampled bits of the joined name filters in one LSH
band; oversized blocks are split rather than lost. `LookupIndex` is the same blocking for one
record at a time (the hint at intake), and `block_text` what a persistent index hashes.

The pure-Python reference: the batch uses `packed.candidate_pairs` and
`packed.recovered_pairs`, the same pairs over arrays (the tests check that they agree).
"""

import random
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from harbour.linkage.core.encoding import FIELDS, Encoding


@dataclass(frozen=True)
class Blocking:
    """Candidate pairs share a block: the same filter of a strong field, or the same sampled
    bits of the name filters in one LSH band (bit sampling for Hamming distance)."""

    bands: int = 24
    bits_per_band: int = 40
    max_block: int = 400  # larger blocks are split, then dropped (quadratic time)
    # A name band larger than this is split by birth bits in a batch run: at 1,000,000
    # records bands of one common full name (different people, different dates) held 200
    # million pairs at 400, 15 million at 20; at 100,000, F1 was the same (0.926 and 0.927).
    # The lookup of one record keeps `max_block` (ADR 41, amended 2026-12-06).
    band_block: int = 20
    # What the birth bits alone lost (ADR 41, amended 2026-12-06, fourth session): the same
    # person with a changed or missing date in an oversized band. Such a band is also split
    # by sex and place of birth (`split_by_traits`), and each record without a date in a band
    # of at most `fan_block` records can be paired with every other member (0, the default:
    # never; at 300,000 records it added 1.8 million pairs and moved only the expected
    # count, by 0.1 point). Batch only: the lookup's keys and `entries`, which the hint's
    # stored blocks are made from, do not change.
    split_by_traits: bool = True
    fan_block: int = 0
    seed: int = 12

    def positions(self) -> list[list[int]]:
        """One list per band: the sampled positions of the joined name filters (the given
        name's bits first, then the family name's)."""
        rng = random.Random(self.seed)
        width = 2 * (FIELDS["given"].bits + FIELDS["family"].bits)
        return [rng.sample(range(width), self.bits_per_band) for _ in range(self.bands)]

    def masks(self) -> list[int]:
        """One mask per band (`positions` as a bitset)."""
        return [sum(1 << p for p in band) for band in self.positions()]

    def split_positions(self) -> tuple[list[int], list[int], list[int]]:
        """The sampled bits of the given name, family name and birth filters that split an
        oversized block (`pairs_by_rule`)."""
        rng = random.Random(self.seed + 1)
        return (
            rng.sample(range(2 * FIELDS["given"].bits), 24),
            rng.sample(range(2 * FIELDS["family"].bits), 24),
            rng.sample(range(2 * FIELDS["birth"].bits), 16),
        )

    def keys(self, enc: Encoding, masks: Sequence[int]) -> list[Hashable]:
        # The whole birth filter is a block; whole name filters are not (a common given name
        # would make one huge block, and EM would learn "same given name" as the match class).
        keys: list[Hashable] = [("birth", enc.filters["birth"])] if "birth" in enc.filters else []
        given, family = enc.filters.get("given"), enc.filters.get("family")
        if given is not None and family is not None:
            joined = given | (family << (2 * FIELDS["given"].bits))
            # The sampled bits, kept in place: equal exactly when the sampled bits are equal.
            keys.extend((band, joined & mask) for band, mask in enumerate(masks))
        return keys

    def pairs_by_rule(
        self, records: Sequence[Encoding]
    ) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
        """Candidate pairs found by the birth block, and by the name bands (EM learns each
        field's m from the pairs the *other* rule found, where that field is not biased).

        The reference, over Python sets: `link` uses `packed.candidate_pairs`, the same pairs
        over arrays (the tests check that they agree)."""
        found: tuple[set[tuple[int, int]], set[tuple[int, int]]] = (set(), set())
        split = self._splitters()
        for key, members in self._blocks(records).items():
            rule = 0 if key[0] == "birth" else 1  # type: ignore[index]
            limit = self.max_block if rule == 0 else self.band_block
            groups = [members]
            if len(members) > limit:
                # A common name or a placeholder birthday: split the block by a few sampled bits
                # of the other rule's field, rather than lose every pair in it.
                sub: dict[Hashable, list[int]] = defaultdict(list)
                for i in members:
                    sub[split[rule](records[i])].append(i)
                groups = list(sub.values())
            _add_pairs(found[rule], groups, limit)
        return found

    def recovered_pairs(self, records: Sequence[Encoding]) -> set[tuple[int, int]]:
        """What splitting an oversized name band by birth bits loses: the same person with a
        changed or missing date. In each band of more than `band_block` records, the pairs
        sharing sex and place of birth (parts of at most `band_block`), and each undated
        record with every other member when the band holds at most `fan_block`. Candidates
        only: EM does not learn from them (same names, other dates: mostly different people,
        which would read as matches and pull the birth field's m down)."""
        found: set[tuple[int, int]] = set()
        for key, members in self._blocks(records).items():
            if key[0] == "birth" or len(members) <= self.band_block:  # type: ignore[index]
                continue
            if self.split_by_traits:
                sub: dict[Hashable, list[int]] = defaultdict(list)
                for i in members:
                    traits = _traits(records[i])
                    # Both missing is no shared value: such records are not grouped together.
                    if traits != (None, None):
                        sub[traits].append(i)
                _add_pairs(found, sub.values(), self.band_block)
            if len(members) <= self.fan_block:
                for i in members:
                    if "birth" not in records[i].filters:
                        found.update((min(i, j), max(i, j)) for j in members if j != i)
        return found

    def _blocks(self, records: Sequence[Encoding]) -> dict[Hashable, list[int]]:
        masks = self.masks()
        blocks: dict[Hashable, list[int]] = defaultdict(list)
        for i, enc in enumerate(records):
            for key in self.keys(enc, masks):
                blocks[key].append(i)
        return blocks

    def _splitters(self) -> tuple[Any, Any]:
        given, family, birth = (sum(1 << p for p in x) for x in self.split_positions())

        def by_names(enc: Encoding) -> Hashable:
            f = enc.filters
            return (f.get("given", 0) & given, f.get("family", 0) & family)

        def by_birth(enc: Encoding) -> Hashable:
            return enc.filters.get("birth", 0) & birth

        return by_names, by_birth


def _traits(enc: Encoding) -> Hashable:
    """The sex and place filters (None missing): the second split of an oversized name band.
    A record missing both is left out of that split (`recovered_pairs`)."""
    return (enc.filters.get("sex"), enc.filters.get("place"))


def _add_pairs(into: set[tuple[int, int]], groups: Iterable[list[int]], limit: int) -> None:
    """Every pair inside each group of 2 to `limit` members (members in increasing order)."""
    for group in groups:
        if 1 < len(group) <= limit:
            for x in range(len(group)):
                for y in range(x + 1, len(group)):
                    into.add((group[x], group[y]))


Key = tuple[Any, ...]


def block_text(key: Key) -> str:
    """A block key as text ("birth:…", "band3:…", then the narrowing bits after "/"; "same:…"
    for a whole encoding), the same in every process: what a persistent index hashes."""
    if key[0] == "same":
        return "same:" + ".".join(f"{name}={bits:x}" for name, bits in key[1])
    rule, bits, *narrowed = key
    text = f"{'birth' if rule == 'birth' else f'band{rule}'}:{bits:x}"
    for split in narrowed:
        text += "/" + ".".join(f"{x:x}" for x in (split if isinstance(split, tuple) else (split,)))
    return text


class LookupIndex:
    """Incremental blocking for the lookup of one record (the hint at intake): the records
    sharing at least one of `Blocking.keys` with a query, without scanning every record.

    A block larger than `Blocking.max_block` is narrowed as `Blocking.pairs_by_rule` splits
    it: to the records that also share the query's sampled bits of the other rule's field;
    a narrowed block still too large is left out and counted (`skipped`), never returned
    whole. Identical records are always candidates of each other (up to the cap), even when
    every block they share is too large: each record is also filed under its whole encoding
    (`same`). Each record is filed under `entries`, which is what a persistent index stores."""

    def __init__(self, blocking: Blocking | None = None) -> None:
        self.blocking = blocking or Blocking()
        self._masks = self.blocking.masks()
        self._split = self.blocking._splitters()
        self._blocks: dict[Hashable, set[Hashable]] = defaultdict(set)
        self.skipped = 0  # narrowed blocks left out by the latest `candidates`

    def entries(self, enc: Encoding) -> list[tuple[Key, Key]]:
        """(key, narrowed key) for each block key of a record."""
        out = []
        for key in self.blocking.keys(enc, self._masks):
            assert isinstance(key, tuple)  # Blocking.keys makes (rule, bits)
            rule = 0 if key[0] == "birth" else 1
            out.append((key, (*key, self._split[rule](enc))))
        return out

    @staticmethod
    def same(enc: Encoding) -> Key:
        """The key of the records identical to this one (every filter equal)."""
        return ("same", tuple(sorted(enc.filters.items())))

    def add(self, record_id: Hashable, enc: Encoding) -> None:
        self._blocks[self.same(enc)].add(record_id)
        for key, narrowed in self.entries(enc):
            self._blocks[key].add(record_id)
            self._blocks[narrowed].add(record_id)

    def candidates(self, enc: Encoding) -> set[Hashable]:
        found: set[Hashable] = set()
        self.skipped = 0
        limit = self.blocking.max_block
        same = self._blocks.get(self.same(enc), set())
        if len(same) <= limit:
            found |= same
        for key, narrowed in self.entries(enc):
            members = self._blocks.get(key, set())
            if len(members) > limit:
                members = self._blocks.get(narrowed, set())
                if len(members) > limit:
                    self.skipped += 1
                    continue
            found |= members
        return found
